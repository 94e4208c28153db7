//! A session: one run of ganbook, opened once by whichever front end the user came through
//! (`run`, `run --watch`, the REPL, and the next ones: a Jupyter kernel, a live page).
//! [`Session::open`] does the whole set-up in one place: `--set` values parsed and checked
//! against the script, the device started, the run folder made ready, the file sandbox, the
//! memory limit, NaN policy, seed, `--resume`, the TensorBoard events file, the crash record,
//! Ctrl-C. The session owns the run's [`RunState`], gives the front end a script engine bound
//! to it, and writes run.json.
//!
//! What stays process-wide, and why: the device (burn's device handles and the tensors made
//! on them are the process's), the random generators (`seed(n)` must reach every layer's
//! initialiser, which runs below the session), the memory limit (checked by the core at
//! every allocation), the crash guard (a signal handler is the process's) and the Ctrl-C
//! handler (one per process: ctrlc refuses a second). So one session per process at a time.

pub mod ipynb_script;
pub mod options;
pub mod run_folder;

use crate::device;
use crate::error::Result;
use crate::script::modules::Resolver;
use crate::state::RunState;
use crate::state::record::Started;
use options::RunOptions;
use rhai::Engine;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub struct Session {
    state: Arc<RunState>,
    started: Started,
    /// Where `import "x"` looks first: the script's folder.
    script_dir: PathBuf,
    /// Set by Ctrl-C beside the run's interrupt flag: the user wants the session to end
    /// (`run --watch` stops watching; a plain run's engine stops on the interrupt alone).
    quit: Arc<AtomicBool>,
    /// `--resume` was asked for.
    resume: bool,
}

/// Starts device `name` with the crash guard armed first, so that a driver crashing on
/// the first kernel still ends in a clear message (before any run folder exists).
pub fn start_device(name: &str) -> Result<()> {
    crate::crash_guard::arm(name, None);
    device::select(name)
}

impl Session {
    /// Opens a run of `opts.script` whose text is `source` (see the module doc for the steps).
    pub fn open(opts: &RunOptions, source: &str) -> Result<Session> {
        let params = options::parse_sets(&opts.sets)?;
        start_device(&opts.device)?;
        let out_dir = opts.prepare(source, &params)?;
        let state = RunState::with_sandbox(params, out_dir.clone(), opts.sandbox(&out_dir)?);
        if let Some(m) = opts.max_memory {
            crate::memory_limit::set(m);
        }
        state.set_stop_on_nan(opts.stop_on_nan);
        let resumed_from = if opts.resume {
            Some(state.prepare_resume()?)
        } else {
            None
        };
        if let Some(s) = opts.seed {
            state.set_seed(s);
        }
        if opts.tensorboard {
            state.open_events()?;
        }
        let started = Started::now(opts.script.display().to_string(), resumed_from);
        crate::crash_guard::arm(&opts.device, Some((&out_dir, started.fixed_fields())));
        let session = Session {
            state,
            started,
            script_dir: opts.script_dir(),
            quit: Arc::new(AtomicBool::new(false)),
            resume: opts.resume,
        };
        session.catch_ctrl_c();
        Ok(session)
    }

    /// Opens the REPL's session on device `device_name`: no script, files in outputs/repl,
    /// no status line. The REPL calls [`Session::catch_ctrl_c`] once its line editor is up.
    pub fn open_repl(device_name: &str) -> Result<Session> {
        let session = Session::interactive(device_name, PathBuf::from("outputs/repl"), "(repl)")?;
        session.state.set_quiet();
        Ok(session)
    }

    /// Opens a Jupyter kernel's session: files in `out_dir`, the training status line
    /// rewritten in place under the running cell. Interrupts come from the kernel's control
    /// socket (the session's interrupt flag), not from Ctrl-C.
    pub fn open_kernel(device_name: &str, out_dir: PathBuf) -> Result<Session> {
        let session = Session::interactive(device_name, out_dir, "(jupyter kernel)")?;
        std::fs::create_dir_all(session.state.out_dir())
            .map_err(|e| crate::err!("cannot create {}: {e}", session.state.out_dir().display()))?;
        session.state.set_status_in_place();
        Ok(session)
    }

    /// A session without a script (REPL, kernel), started on its device.
    fn interactive(device_name: &str, out_dir: PathBuf, label: &str) -> Result<Session> {
        start_device(device_name)?;
        Ok(Session {
            state: RunState::new(BTreeMap::new(), out_dir),
            started: Started::now(label.into(), None),
            script_dir: PathBuf::from("."),
            quit: Arc::new(AtomicBool::new(false)),
            resume: false,
        })
    }

    /// Makes Ctrl-C interrupt what runs and note that the user wants to stop. (Call it after
    /// anything that installs its own SIGINT handler, such as a line editor.)
    pub fn catch_ctrl_c(&self) {
        let (quit, interrupt) = (self.quit.clone(), self.state.interrupt_flag());
        // A second handler cannot be installed (tests open several sessions in one process).
        let _ = ctrlc::set_handler(move || {
            quit.store(true, Ordering::Relaxed);
            interrupt.store(true, Ordering::Relaxed);
        });
    }

    pub fn state(&self) -> &Arc<RunState> {
        &self.state
    }

    /// Whether Ctrl-C asked the session to end.
    pub fn quit_requested(&self) -> bool {
        self.quit.load(Ordering::Relaxed)
    }

    /// A script engine bound to this session's state, importing modules from the script's
    /// folder as the sandbox allows.
    pub fn engine(&self) -> Engine {
        let mut engine = crate::script::engine(&self.state);
        engine.set_module_resolver(Resolver::sandboxed(
            &self.script_dir,
            self.state.sandbox().clone(),
        ));
        engine
    }

    /// Writes run.json: `source` is the script's text as it ran, `status` ok, error,
    /// interrupted, nan or stopped.
    pub fn write_record(&self, source: &str, status: &str, error: Option<&str>) -> Result<()> {
        self.started.write(&self.state, source, status, error)
    }

    /// The end of a plain run: warns about `--set` values the script never read and an
    /// unused `--resume`, writes the metrics files a last time (and the hparams, if the script
    /// read more params since they went to the events file), then run.json.
    pub fn finish(&self, source: &str, status: &str, error: Option<&str>) -> Result<()> {
        for k in self.state.unread_sets() {
            eprintln!("warning: --set {k} was never read by the script (no param(\"{k}\", ...))");
        }
        if self.resume && !self.state.resumed() {
            eprintln!(
                "warning: --resume was given but the script never called resume(#{{...}}), so it started over"
            );
        }
        if let Err(e) = self.state.with_log(|l| l.finish()) {
            eprintln!("error: {e}");
        }
        self.state.finish_events();
        self.write_record(source, status, error)
    }
}
