//! `ganbook run --watch FILE`: run the notebook, then on every save of the script (or of a
//! module it imports) re-run from the first changed cell. A save while a cell runs interrupts
//! it. Saves are debounced: the update starts once the files have been quiet for 100 ms.

use super::Notebook;
use crate::err;
use crate::error::Result;
use crate::session::Session;
use crate::session::options::{RunOptions, read_script};
use notify::{RecursiveMode, Watcher};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const DEBOUNCE: Duration = Duration::from_millis(100);

pub fn watch(opts: RunOptions) -> i32 {
    watch_with(opts, |_, _| Ok(Box::new(())))
}

/// As [`watch`], with `setup` called once the notebook exists (before it first runs); what it
/// returns is kept until the watch ends. A live page starts its server here.
pub fn watch_with(
    opts: RunOptions,
    setup: impl FnOnce(&Arc<crate::state::RunState>, &mut Notebook) -> Result<Box<dyn std::any::Any>>,
) -> i32 {
    match watch_inner(opts, setup) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

/// The watched files' contents as last run, and when an unseen change arrived.
#[derive(Default)]
struct Shared {
    known: HashMap<PathBuf, String>,
    changed: Option<Instant>,
}

fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

fn watch_inner(
    opts: RunOptions,
    setup: impl FnOnce(&Arc<crate::state::RunState>, &mut Notebook) -> Result<Box<dyn std::any::Any>>,
) -> Result<i32> {
    let script = canonical(&opts.script);
    let source = read_script(&opts.script)?;
    let session = Session::open(&opts, &source)?;
    let ctx = session.state();
    ctx.set_quiet();
    let shared = Arc::new(Mutex::new(Shared::default()));
    let (sh, flag) = (shared.clone(), ctx.interrupt_flag());
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let Ok(event) = res else { return };
        if event.kind.is_access() {
            return;
        }
        let mut s = sh.lock().unwrap_or_else(|p| p.into_inner());
        for p in &event.paths {
            let p = canonical(p);
            let Some(old) = s.known.get(&p) else { continue };
            // An editor's save may leave the file empty for a moment: wait for its content.
            match std::fs::read_to_string(&p) {
                Ok(now) if &now != old => {
                    s.changed = Some(Instant::now());
                    flag.store(true, Ordering::Relaxed);
                }
                _ => {}
            }
        }
    })
    .map_err(|e| err!("cannot watch files: {e}"))?;

    let mut nb = Notebook::new(&script, ctx);
    nb.name = opts.script.display().to_string();
    nb.watching = true;
    let _kept = setup(ctx, &mut nb)?;
    let mut watched: Vec<PathBuf> = Vec::new();
    let dir = canonical(script.parent().unwrap_or(Path::new(".")));
    watcher
        .watch(&dir, RecursiveMode::NonRecursive)
        .map_err(|e| err!("cannot watch {}: {e}", dir.display()))?;
    watched.push(dir);
    println!(
        "watching {} — the notebook is {}; Ctrl-C stops",
        opts.script.display(),
        ctx.out_dir().join("index.html").display()
    );
    loop {
        remember(&shared, &nb);
        ctx.clear_interrupt();
        let (status, error) = match nb.update() {
            Ok(o) => {
                println!("%% done: {}", summary(&o));
                let error = nb.records.iter().find_map(|r| r.error.clone());
                match (o.failed, o.interrupted) {
                    (Some(_), _) => ("error", error),
                    (_, Some(_)) => ("interrupted", error),
                    _ => ("ok", None),
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                ("error", Some(e.to_string()))
            }
        };
        write_record(&session, &nb, status, error.as_deref());
        let _ = std::io::Write::flush(&mut std::io::stdout());
        // Watch the folders of the script and its modules (editors save by renaming).
        for f in nb.watched_files() {
            let dir = canonical(f.parent().unwrap_or(Path::new(".")));
            if !watched.contains(&dir) {
                watcher
                    .watch(&dir, RecursiveMode::NonRecursive)
                    .map_err(|e| err!("cannot watch {}: {e}", dir.display()))?;
                watched.push(dir);
            }
        }
        remember_new(&shared, &nb);
        loop {
            if session.quit_requested() {
                nb.state = super::html::RunState::Stopped;
                write_record(&session, &nb, "stopped", error.as_deref());
                println!("stopped");
                return Ok(130);
            }
            std::thread::sleep(Duration::from_millis(10));
            // the live page asked to go back to a cell
            if let Some(cell) = ctx.controls().take_reset() {
                println!("%% going back to cell {}", cell + 1);
                nb.rerun_from(cell);
                break;
            }
            let mut s = shared.lock().unwrap_or_else(|p| p.into_inner());
            if s.changed.is_some_and(|t| t.elapsed() >= DEBOUNCE) {
                s.changed = None;
                break;
            }
        }
    }
}

/// Writes run.json as a plain run does (the script as it is now, `status` ok, error,
/// interrupted or stopped), then the view, which links it.
fn write_record(session: &Session, nb: &Notebook, status: &str, error: Option<&str>) {
    let source = read_script(&nb.watched_files()[0]).unwrap_or_default();
    if let Err(e) = session.write_record(&source, status, error) {
        eprintln!("error: {e}");
    }
    nb.write_html();
}

/// Records the files' contents as the update about to start will read them.
fn remember(shared: &Mutex<Shared>, nb: &Notebook) {
    let mut s = shared.lock().unwrap_or_else(|p| p.into_inner());
    s.known.clear();
    for f in nb.watched_files() {
        let f = canonical(&f);
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        s.known.insert(f, text);
    }
}

/// Adds files first imported by the update that just ran (their contents as now).
fn remember_new(shared: &Mutex<Shared>, nb: &Notebook) {
    let mut s = shared.lock().unwrap_or_else(|p| p.into_inner());
    for f in nb.watched_files() {
        let f = canonical(&f);
        s.known
            .entry(f.clone())
            .or_insert_with(|| std::fs::read_to_string(&f).unwrap_or_default());
    }
}

pub fn summary(o: &super::Outcome) -> String {
    let list = |v: &[usize]| {
        v.iter()
            .map(|i| (i + 1).to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut s = format!("reused [{}] ran [{}]", list(&o.reused), list(&o.ran));
    if let Some(i) = o.failed {
        s += &format!(" failed [{}]", i + 1);
    }
    if let Some(i) = o.interrupted {
        s += &format!(" interrupted [{}]", i + 1);
    }
    s
}
