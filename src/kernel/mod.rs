//! `ganbook kernel -f CONNECTION_FILE`: ganbook as a Jupyter kernel (JupyterLab, VS Code,
//! nbclient). One more front end on the session: cells run in one REPL session on the main
//! thread ([`executor`]); the five sockets (shell, control, stdin, iopub, heartbeat) are
//! served by a tokio thread ([`channels`]) through runtimed's `jupyter-zmq-client` (pure-Rust
//! ZeroMQ, HMAC-SHA256-signed messages; a message with a wrong signature is refused and the
//! kernel keeps serving). Interrupts come as messages on the control socket
//! (`interrupt_mode: "message"`) and stop a cell between two steps, state intact.
//! `ganbook kernel install` writes the kernelspec ([`install`]).

pub mod capture;
pub mod channels;
pub mod executor;
pub mod install;

use crate::error::Result;
use crate::repl::Repl;
use crate::session::Session;
use jupyter_protocol::{ConnectionInfo, JupyterMessage};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

/// The run folder's record of the cells a kernel ran.
pub const CELLS_FILE: &str = "cells.rhai";

/// What the sockets' thread asks of the main thread.
pub enum Job {
    /// A shell request; the reply (if any) goes back through the sender.
    Shell(
        Box<JupyterMessage>,
        tokio::sync::oneshot::Sender<Option<JupyterMessage>>,
    ),
    Shutdown,
}

/// Reads a connection file, with an error naming the file and what is wrong.
pub fn read_connection(path: &Path) -> Result<ConnectionInfo> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| crate::err!("cannot read connection file {}: {e}", path.display()))?;
    let info: ConnectionInfo = serde_json::from_str(&text)
        .map_err(|e| crate::err!("connection file {} is not valid: {e}", path.display()))?;
    if !info.key.is_empty() && info.signature_scheme != "hmac-sha256" {
        crate::bail!(
            "connection file {}: signature scheme '{}' is not supported (hmac-sha256 is)",
            path.display(),
            info.signature_scheme
        );
    }
    Ok(info)
}

/// The run folder: `outputs/<notebook name>` when Jupyter says which notebook this kernel
/// serves (`JPY_SESSION_NAME`), else `outputs/kernel`; relative to the kernel's working
/// folder, which Jupyter sets to the notebook's.
fn out_dir() -> PathBuf {
    let name = std::env::var("JPY_SESSION_NAME")
        .ok()
        .and_then(|n| {
            Path::new(&n)
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
        })
        .filter(|n| !n.is_empty() && !n.starts_with('.'))
        .unwrap_or_else(|| "kernel".into());
    PathBuf::from("outputs").join(name)
}

/// Keeps the cells run so far as `cells.rhai` in the run folder: the session as a script
/// that `ganbook run` replays.
fn save_cells(session: &Session, source: &str, log: &capture::Log) {
    let path = session.state().out_dir().join(CELLS_FILE);
    if let Err(e) = crate::files::write_atomic(&path, source.as_bytes()) {
        log.say(&format!("cannot write {}: {e}", path.display()));
    }
}

/// Ends the kernel when the process that started it (Jupyter's server, nbclient, VS Code) dies
/// without shutting it down: an orphaned kernel is adopted by another process, so its parent
/// changes. A running cell is interrupted first.
fn watch_parent(jobs: mpsc::Sender<Job>, interrupt: std::sync::Arc<AtomicBool>) {
    let parent = std::os::unix::process::parent_id();
    let _ = std::thread::Builder::new()
        .name("kernel-parent".into())
        .spawn(move || {
            while std::os::unix::process::parent_id() == parent {
                std::thread::sleep(std::time::Duration::from_millis(500));
            }
            interrupt.store(true, Ordering::SeqCst);
            let _ = jobs.send(Job::Shutdown);
        });
}

/// Serves one notebook until Jupyter shuts the kernel down. Returns the exit code.
pub fn serve(connection_file: &Path, device: &str) -> i32 {
    let info = match read_connection(connection_file) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let session = match Session::open_kernel(device, out_dir()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let (iopub_tx, iopub_rx) = tokio::sync::mpsc::unbounded_channel();
    let (capture, log) = match capture::Capture::start(iopub_tx.clone()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: cannot capture the kernel's output: {e}");
            return 1;
        }
    };
    let (jobs_tx, jobs_rx) = mpsc::channel();
    watch_parent(jobs_tx.clone(), session.state().interrupt_flag());
    let sockets = channels::Sockets {
        info,
        jobs: jobs_tx,
        iopub_tx: iopub_tx.clone(),
        iopub_rx,
        interrupt: session.state().interrupt_flag(),
        log: log.clone(),
    };
    let net_log = log.clone();
    let network = std::thread::Builder::new()
        .name("kernel-sockets".into())
        .spawn(move || {
            if let Err(e) = sockets.serve() {
                net_log.say(&format!("error: {e}"));
            }
        });
    if let Err(e) = network {
        log.say(&format!("error: cannot start the sockets' thread: {e}"));
        return 1;
    }
    let mut executor = executor::Executor::new(Repl::new(session.state()), capture, iopub_tx);
    let mut code = 1;
    for job in jobs_rx {
        match job {
            Job::Shell(msg, reply) => {
                let answer = executor.handle(&msg);
                let source = executor.history.concat();
                save_cells(&session, &source, &log);
                if let Err(e) = session.write_record(&source, "running", None) {
                    log.say(&format!("cannot write run.json: {e}"));
                }
                let _ = reply.send(answer);
            }
            Job::Shutdown => {
                code = 0;
                break;
            }
        }
    }
    let source = executor.history.concat();
    let status = if code == 0 { "finished" } else { "failed" };
    if let Err(e) = session.finish(&source, status, None) {
        log.say(&format!("cannot write run.json: {e}"));
    }
    code
}
