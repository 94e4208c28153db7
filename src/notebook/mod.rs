//! Notebooks: a script split into cells (`// %%`), run cell by cell in one scope, with a deep
//! snapshot after each cell so that an edit re-runs only from the first changed cell.
//! `ganbook run --watch FILE` drives it on every save; `index.html` shows it, and
//! `notebook.ipynb` keeps it after each update.

pub mod cells;
pub mod html;
pub mod ipynb;
pub mod run_view;
pub mod snapshot;
pub mod watch;

use crate::error::Result;
use crate::script;
use crate::script::errors::Failure;
use crate::script::modules::Resolver;
use crate::session::options::read_script;
use crate::state::RunState;
use cells::Cell;
use rhai::Engine;
use snapshot::State;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Status {
    Pending,
    Running,
    Reused,
    Ok,
    Failed,
    Interrupted,
}

impl Status {
    pub fn word(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Running => "running",
            Status::Reused => "reused",
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Interrupted => "interrupted",
        }
    }
}

/// What the notebook view shows of a cell.
#[derive(Clone, Debug)]
pub struct Record {
    pub title: String,
    pub source: String,
    pub status: Status,
    pub output: String,
    /// Why the cell failed or where it was interrupted, file names relative to the script's
    /// folder.
    pub error: Option<String>,
    /// Images the cell wrote, relative to the run folder.
    pub images: Vec<PathBuf>,
    pub seconds: f64,
    pub started: Option<Instant>,
}

impl Record {
    /// A cell that has not run yet.
    pub fn pending(cell: &Cell) -> Record {
        Record {
            title: cell.title.clone(),
            source: cell.source.clone(),
            status: Status::Pending,
            output: String::new(),
            error: None,
            images: Vec::new(),
            seconds: 0.0,
            started: None,
        }
    }
}

/// What one [`Notebook::update`] did.
#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    pub reused: Vec<usize>,
    pub ran: Vec<usize>,
    pub failed: Option<usize>,
    pub interrupted: Option<usize>,
}

/// Told what the notebook view shows each time it is written.
pub type Observer = Box<dyn Fn(&html::Page) + Send>;

pub struct Notebook {
    engine: Engine,
    ctx: Arc<RunState>,
    path: PathBuf,
    resolver_dir: PathBuf,
    cells: Vec<Cell>,
    /// `snapshots[i]`: the state after cell i, for the cells that ran to the end unchanged.
    snapshots: Vec<State>,
    /// How many cells, from the first, ran to the end in the current state.
    completed: usize,
    initial: State,
    /// Module name -> its text when the cells importing it last ran.
    modules: BTreeMap<String, Option<String>>,
    pub records: Vec<Record>,
    /// The script's header comment, for the view.
    header: Option<String>,
    printed: Arc<Mutex<String>>,
    /// The script as errors in the terminal name it (as typed on the command line).
    pub name: String,
    /// What index.html says the run is doing; while watching, an update ends in `Watching`.
    pub state: html::RunState,
    /// Whether a watcher re-runs the notebook on saves.
    pub watching: bool,
    /// Print progress lines to the terminal.
    pub verbose: bool,
    /// Told what the view shows each time it is written (a live page follows it so).
    pub observer: Option<Observer>,
}

impl Notebook {
    pub fn new(path: &Path, ctx: &Arc<RunState>) -> Notebook {
        let mut engine = script::engine(ctx);
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        engine.set_module_resolver(Resolver::sandboxed(&dir, ctx.sandbox().clone()));
        let printed = Arc::new(Mutex::new(String::new()));
        let (p, c) = (printed.clone(), ctx.clone());
        engine.on_print(move |s| {
            c.print_line(s);
            let mut out = p.lock().unwrap_or_else(|e| e.into_inner());
            out.push_str(s);
            out.push('\n');
        });
        let p = printed.clone();
        engine.on_debug(move |s, _, pos| {
            println!("[{pos}] {s}");
            let mut out = p.lock().unwrap_or_else(|e| e.into_inner());
            out.push_str(s);
            out.push('\n');
        });
        Notebook {
            engine,
            initial: State::initial(ctx),
            ctx: ctx.clone(),
            path: path.to_path_buf(),
            resolver_dir: dir,
            cells: Vec::new(),
            snapshots: Vec::new(),
            completed: 0,
            modules: BTreeMap::new(),
            records: Vec::new(),
            header: None,
            printed,
            name: path.display().to_string(),
            state: html::RunState::Running,
            watching: false,
            verbose: true,
            observer: None,
        }
    }

    /// Files whose change calls for an update: the script and the module files it imports.
    pub fn watched_files(&self) -> Vec<PathBuf> {
        let r = Resolver::new(&self.resolver_dir);
        let mut v = vec![self.path.clone()];
        v.extend(self.modules.keys().filter_map(|m| r.locate(m)));
        v
    }

    /// The index of the first cell that must run for `cells` (the file as it is now).
    fn first_changed(
        &self,
        cells: &[Cell],
        module_texts: &BTreeMap<String, Option<String>>,
    ) -> usize {
        let mut k = 0;
        while k < cells.len() && k < self.completed && self.cells.get(k) == Some(&cells[k]) {
            k += 1;
        }
        for (i, c) in cells.iter().enumerate().take(k) {
            if c.imports
                .iter()
                .any(|(m, _)| self.modules.get(m) != module_texts.get(m))
            {
                return i;
            }
        }
        k
    }

    /// Reads the script and runs it from its first changed cell, on the state the cells
    /// before it left. Stops at the first failing or interrupted cell.
    pub fn update(&mut self) -> Result<Outcome> {
        let text = read_script(&self.path)?;
        let cells = cells::split(&text);
        self.header = cells::header(&text);
        self.state = html::RunState::Running;
        let resolver = Resolver::new(&self.resolver_dir);
        let module_texts: BTreeMap<String, Option<String>> = cells
            .iter()
            .flat_map(|c| c.imports.iter().map(|(m, _)| m.clone()))
            .map(|m| {
                let t = resolver.text(&m);
                (m, t)
            })
            .collect();
        let start = self.first_changed(&cells, &module_texts);
        let old_records = std::mem::take(&mut self.records);
        self.records = cells
            .iter()
            .enumerate()
            .map(|(i, c)| match old_records.get(i) {
                Some(r) if i < start => Record {
                    status: Status::Reused,
                    ..r.clone()
                },
                _ => Record::pending(c),
            })
            .collect();
        self.snapshots.truncate(start);
        self.completed = start;
        self.cells = cells;
        self.modules = module_texts;
        let mut outcome = Outcome {
            reused: (0..start).collect(),
            ..Default::default()
        };
        for i in 0..start {
            self.say(&format!("{}: reused", self.cells[i].label(i)));
        }
        if start == self.cells.len() {
            self.finish(&outcome);
            return Ok(outcome);
        }
        let from = if start == 0 {
            &self.initial
        } else {
            &self.snapshots[start - 1]
        };
        let mut live = from.restore(&self.ctx)?;
        for i in start..self.cells.len() {
            let status = self.run_cell(i, &mut live);
            match status {
                Status::Ok => {
                    outcome.ran.push(i);
                    self.completed = i + 1;
                }
                Status::Failed => {
                    outcome.failed = Some(i);
                    break;
                }
                _ => {
                    outcome.interrupted = Some(i);
                    break;
                }
            }
            if i + 1 < self.cells.len() {
                let s = State::capture(&live.scope, &live.functions, &live.imports, &self.ctx);
                self.snapshots.push(s);
            }
        }
        let _ = self.ctx.with_log(|l| l.flush());
        self.finish(&outcome);
        Ok(outcome)
    }

    /// Sets the view's state after an update and writes it, and notebook.ipynb.
    fn finish(&mut self, outcome: &Outcome) {
        self.state = if self.watching {
            html::RunState::Watching
        } else if outcome.failed.is_some() {
            html::RunState::Failed
        } else if outcome.interrupted.is_some() {
            html::RunState::Stopped
        } else {
            html::RunState::Finished
        };
        self.write_html();
        self.with_page(ipynb::write);
    }

    fn run_cell(&mut self, i: usize, live: &mut snapshot::Live) -> Status {
        let cell = self.cells[i].clone();
        let label = cell.label(i);
        let name = self.name.clone();
        self.printed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        let before = html::images(self.ctx.out_dir());
        self.records[i].status = Status::Running;
        self.records[i].started = Some(Instant::now());
        self.write_html();
        self.say(&format!("{label}: running"));
        let clock = Instant::now();
        let result = (|| {
            let source = cell.padded();
            let ast = self
                .engine
                .compile_with_scope(&live.scope, &source)
                .map_err(|e| Failure::Syntax(e, source.clone()))?;
            let imports_text = live.imports.join("\n");
            let imports = self
                .engine
                .compile(&imports_text)
                .map_err(|e| Failure::Syntax(e, imports_text.clone()))?;
            live.functions = live.functions.merge(&ast.clone_functions_only());
            let program = imports.merge(&live.functions.merge(&ast));
            self.engine
                .run_ast_with_scope(&mut live.scope, &program)
                .map_err(Failure::Run)
        })();
        let seconds = clock.elapsed().as_secs_f64();
        let output = self
            .printed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut error = None;
        let status = match result {
            Ok(()) => {
                for (_, stmt) in &cell.imports {
                    if !live.imports.contains(stmt) {
                        live.imports.push(stmt.clone());
                    }
                }
                self.say(&format!("{label}: ok in {seconds:.2} s"));
                Status::Ok
            }
            Err(failure) => {
                let (msg, interrupted) = failure.describe(&name);
                error = Some(failure.describe(&self.file_name()).0);
                if interrupted {
                    self.say(&format!("{label}: interrupted after {seconds:.2} s"));
                    Status::Interrupted
                } else {
                    eprintln!("{msg}");
                    self.say(&format!("{label}: failed"));
                    Status::Failed
                }
            }
        };
        let after = html::images(self.ctx.out_dir());
        let r = &mut self.records[i];
        r.status = status;
        r.output = output;
        r.error = error;
        r.seconds = seconds;
        r.images = after
            .into_iter()
            .filter(|(p, t)| before.get(p) != Some(t))
            .map(|(p, _)| p)
            .collect();
        status
    }

    fn say(&self, line: &str) {
        if self.verbose {
            println!("%% {line}");
        }
    }

    /// The script's file name: how the view names it (relative to the script's folder).
    fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default()
    }

    pub fn write_html(&self) {
        self.with_page(html::write);
        if let Some(observe) = &self.observer {
            self.with_page(|p| observe(p));
        }
    }

    /// Makes the next [`Notebook::update`] run from cell `cell` (0 is the first) on the state
    /// the cells before it left, as if it had changed.
    pub fn rerun_from(&mut self, cell: usize) {
        self.completed = self.completed.min(cell);
    }

    /// Calls `write` with what the views show now.
    fn with_page(&self, write: impl FnOnce(&html::Page)) {
        write(&html::Page {
            title: &self.file_name(),
            header: self.header.as_deref(),
            state: self.state,
            cells: &self.records,
            out_dir: self.ctx.out_dir(),
            now: SystemTime::now(),
        });
    }

    pub fn context(&self) -> &Arc<RunState> {
        &self.ctx
    }
}
