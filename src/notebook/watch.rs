//! `ganbook run --watch FILE`: run the notebook, then on every save of the script (or of a
//! module it imports) re-run from the first changed cell. A save while a cell runs interrupts
//! it. Saves are debounced: the update starts once the files have been quiet for 100 ms.

use super::Notebook;
use crate::error::Result;
use crate::run::RunOptions;
use crate::script::context::Context;
use crate::{device, err, rng};
use notify::{RecursiveMode, Watcher};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const DEBOUNCE: Duration = Duration::from_millis(100);

pub fn watch(opts: RunOptions) -> i32 {
    match watch_inner(opts) {
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

fn watch_inner(opts: RunOptions) -> Result<i32> {
    let params = crate::run::parse_sets(&opts.sets)?;
    device::select(&opts.device)?;
    let script = canonical(&opts.script);
    if !script.is_file() {
        return Err(err!("cannot read script {}", opts.script.display()));
    }
    let stem = script.file_stem().and_then(|s| s.to_str()).unwrap_or("run");
    let out_dir = opts
        .out
        .clone()
        .unwrap_or_else(|| Path::new("outputs").join(stem));
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| err!("cannot create the run folder {}: {e}", out_dir.display()))?;
    let ctx = Context::with_sandbox(params, out_dir.clone(), opts.sandbox(&out_dir)?);
    opts.apply_limits(&ctx);
    ctx.log.lock().unwrap().quiet = true;
    if let Some(s) = opts.seed {
        rng::seed(s);
        *ctx.seed.lock().unwrap() = Some(s);
    }
    let quit = Arc::new(AtomicBool::new(false));
    {
        let (q, flag) = (quit.clone(), ctx.interrupt.clone());
        let _ = ctrlc::set_handler(move || {
            q.store(true, Ordering::Relaxed);
            flag.store(true, Ordering::Relaxed);
        });
    }
    let shared = Arc::new(Mutex::new(Shared::default()));
    let (sh, flag) = (shared.clone(), ctx.interrupt.clone());
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

    let mut nb = Notebook::new(&script, &ctx);
    nb.live = true;
    let mut watched: Vec<PathBuf> = Vec::new();
    let dir = canonical(script.parent().unwrap_or(Path::new(".")));
    watcher
        .watch(&dir, RecursiveMode::NonRecursive)
        .map_err(|e| err!("cannot watch {}: {e}", dir.display()))?;
    watched.push(dir);
    println!(
        "watching {} — the notebook is {}; Ctrl-C stops",
        opts.script.display(),
        out_dir.join("index.html").display()
    );
    loop {
        remember(&shared, &nb);
        ctx.clear_interrupt();
        match nb.update() {
            Ok(o) => println!("%% done: {}", summary(&o)),
            Err(e) => eprintln!("error: {e}"),
        }
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
            if quit.load(Ordering::Relaxed) {
                println!("stopped");
                return Ok(130);
            }
            std::thread::sleep(Duration::from_millis(10));
            let mut s = shared.lock().unwrap_or_else(|p| p.into_inner());
            if s.changed.is_some_and(|t| t.elapsed() >= DEBOUNCE) {
                s.changed = None;
                break;
            }
        }
    }
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
