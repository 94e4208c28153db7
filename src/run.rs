//! `ganbook run FILE` and `ganbook check FILE`: run a script, record run.json.

use crate::error::Result;
use crate::sandbox::Sandbox;
use crate::script::{self, context::Context};
use crate::{device, err, rng};
use rhai::{Engine, EvalAltResult, ParseError, Position};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

pub struct RunOptions {
    pub script: PathBuf,
    pub sets: Vec<String>,
    pub device: String,
    pub out: Option<PathBuf>,
    pub seed: Option<u64>,
    /// More folders the script may read (`--allow-read`).
    pub allow_read: Vec<PathBuf>,
    /// More folders the script may write (`--allow-write`).
    pub allow_write: Vec<PathBuf>,
    /// The largest tensor in bytes (`--max-memory`); None: half the RAM.
    pub max_memory: Option<u64>,
    /// Stop at the first NaN/Inf loss or logged value (`--stop-on-nan`).
    pub stop_on_nan: bool,
    /// Continue from the run folder's checkpoint "last" (`--resume`).
    pub resume: bool,
}

impl RunOptions {
    /// Options for `script` with every default.
    pub fn new(script: impl Into<PathBuf>) -> RunOptions {
        RunOptions {
            script: script.into(),
            sets: Vec::new(),
            device: "cpu".into(),
            out: None,
            seed: None,
            allow_read: Vec::new(),
            allow_write: Vec::new(),
            max_memory: None,
            stop_on_nan: false,
            resume: false,
        }
    }

    /// The folder the script is in ("." for a bare file name).
    pub fn script_dir(&self) -> PathBuf {
        self.script
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf()
    }

    /// The file policy of a run writing to `out_dir`: read the script's folder, the working
    /// folder and `--allow-read`; write `out_dir` and `--allow-write`.
    pub fn sandbox(&self, out_dir: &Path) -> Result<Sandbox> {
        let mut read = vec![self.script_dir(), PathBuf::from(".")];
        read.extend(self.allow_read.iter().cloned());
        for d in &self.allow_read {
            if !d.is_dir() {
                return Err(err!("--allow-read {}: not a folder", d.display()));
            }
        }
        let mut write = vec![out_dir.to_path_buf()];
        write.extend(self.allow_write.iter().cloned());
        Sandbox::new(&read, &write)
    }

    /// Applies `--max-memory` and `--stop-on-nan` to this process and `ctx`.
    pub fn apply_limits(&self, ctx: &Context) {
        if let Some(m) = self.max_memory {
            crate::memory_limit::set(m);
        }
        ctx.stop_on_nan
            .store(self.stop_on_nan, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Exit codes: 0 ok, 1 script error, 2 usage error, 3 stopped on NaN/Inf, 130 interrupted.
pub fn run(opts: RunOptions) -> i32 {
    match run_inner(opts) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

fn run_inner(opts: RunOptions) -> Result<i32> {
    let source = read_script(&opts.script)?;
    let params = parse_sets(&opts.sets)?;
    device::select(&opts.device)?;
    let stem = opts
        .script
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("run")
        .to_string();
    let out_dir = opts
        .out
        .clone()
        .unwrap_or_else(|| Path::new("outputs").join(&stem));
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| err!("cannot create the run folder {}: {e}", out_dir.display()))?;
    let ctx = Context::with_sandbox(params, out_dir.clone(), opts.sandbox(&out_dir)?);
    opts.apply_limits(&ctx);
    let resumed_from = if opts.resume {
        Some(crate::resume::prepare(&ctx)?)
    } else {
        None
    };
    if let Some(s) = opts.seed {
        rng::seed(s);
        *ctx.seed.lock().unwrap() = Some(s);
    }
    install_interrupt(&ctx);
    let mut engine = script::engine(&ctx);
    engine.set_module_resolver(crate::notebook::modules::Resolver::sandboxed(
        &opts.script_dir(),
        ctx.sandbox.clone(),
    ));

    let started = SystemTime::now();
    let clock = Instant::now();
    let name = opts.script.display().to_string();
    let outcome = match engine.compile(&source) {
        Err(e) => Err(format_parse_error_in(&name, &source, &e)),
        Ok(ast) => engine
            .run_ast(&ast)
            .map_err(|e| format_eval_error(&name, &e)),
    };
    let stopped_on_nan = ctx.nan.lock().unwrap().stopped;
    let (status, code, error) = match &outcome {
        Ok(()) => ("ok", 0, None),
        Err((msg, true)) => ("interrupted", 130, Some(msg.clone())),
        Err((msg, false)) if stopped_on_nan => ("nan", 3, Some(msg.clone())),
        Err((msg, false)) => ("error", 1, Some(msg.clone())),
    };
    if let Some(msg) = &error {
        eprintln!("{msg}");
    }
    warn_unused_sets(&ctx);
    if opts.resume && !ctx.resumed.load(std::sync::atomic::Ordering::Relaxed) {
        eprintln!(
            "warning: --resume was given but the script never called resume(#{{...}}), so it started over"
        );
    }
    if let Err(e) = ctx.log.lock().unwrap().finish() {
        eprintln!("error: {e}");
    }

    let record = serde_json::json!({
        "script": name,
        "script_sha256": hex(&Sha256::digest(source.as_bytes())),
        "params": { "set": ctx.params, "used": *ctx.used_params.lock().unwrap() },
        "seed": *ctx.seed.lock().unwrap(),
        "device": device::current_name(),
        "started": humantime::format_rfc3339_seconds(started).to_string(),
        "ended": humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        "wall_time_s": clock.elapsed().as_secs_f64(),
        "status": status,
        "error": error,
        "results": ctx.results.lock().unwrap().iter().cloned().collect::<serde_json::Map<_, _>>(),
        "ganbook_version": env!("CARGO_PKG_VERSION"),
        "versions": { "ganbook": env!("CARGO_PKG_VERSION"), "burn": "0.22.1", "rhai": "1.27", "rustc_min": env!("CARGO_PKG_RUST_VERSION") },
        "peak_memory_bytes": crate::logbook::peak_memory_bytes(),
        "last_step": *ctx.step.lock().unwrap(),
        "resumed_from": resumed_from,
        "warnings": ctx.nan.lock().unwrap().warnings.clone(),
        "nan_count": ctx.nan.lock().unwrap().count,
        "nan_steps": ctx.nan.lock().unwrap().steps.iter().collect::<Vec<_>>(),
    });
    write_atomic(
        &out_dir.join("run.json"),
        serde_json::to_string_pretty(&record).unwrap().as_bytes(),
    )?;
    Ok(code)
}

/// `ganbook check FILE`: parse only. Exit 0 when the script parses.
pub fn check(path: &Path) -> i32 {
    let source = match read_script(path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let engine = script::engine(&Context::new(BTreeMap::new(), PathBuf::from("outputs")));
    match engine.compile(&source) {
        Ok(_) => {
            println!("{}: ok", path.display());
            0
        }
        Err(e) => {
            eprintln!(
                "{}",
                format_parse_error_in(&path.display().to_string(), &source, &e).0
            );
            1
        }
    }
}

fn read_script(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| err!("cannot read script {}: {e}", path.display()))
}

/// `name=value` pairs from `--set`.
pub fn parse_sets(sets: &[String]) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for s in sets {
        let (k, v) = s
            .split_once('=')
            .ok_or_else(|| err!("--set {s}: expected name=value, e.g. --set steps=50"))?;
        let k = k.trim();
        if k.is_empty() || !k.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return Err(err!("--set {s}: the name must be letters, digits and _"));
        }
        out.insert(k.to_string(), v.to_string());
    }
    Ok(out)
}

fn warn_unused_sets(ctx: &Context) {
    let used = ctx.used_params.lock().unwrap();
    for k in ctx.params.keys() {
        if !used.contains_key(k) {
            eprintln!("warning: --set {k} was never read by the script (no param(\"{k}\", ...))");
        }
    }
}

fn install_interrupt(ctx: &Arc<Context>) {
    let flag = ctx.interrupt.clone();
    // A second handler cannot be installed (tests run several scripts in one process).
    let _ = ctrlc::set_handler(move || flag.store(true, std::sync::atomic::Ordering::Relaxed));
}

fn at(name: &str, pos: Position) -> String {
    match (pos.line(), pos.position()) {
        (Some(l), Some(c)) => format!("{name}:{l}:{c}"),
        (Some(l), None) => format!("{name}:{l}"),
        _ => name.to_string(),
    }
}

/// `file:line:col: message` for a syntax error; the bool says "interrupted" (never, here).
pub fn format_parse_error(name: &str, e: &ParseError) -> (String, bool) {
    (
        format!(
            "error: {}: syntax error: {}",
            at(name, e.position()),
            e.err_type()
        ),
        false,
    )
}

/// As [`format_parse_error`], with a hint line when `source` at the error looks like a
/// PyTorch habit (keyword arguments, `t[0, 1]`, `t[:, 0]`).
pub fn format_parse_error_in(name: &str, source: &str, e: &ParseError) -> (String, bool) {
    let (mut text, interrupted) = format_parse_error(name, e);
    if let Some(h) = script::parse_hints::hint(source, e) {
        text += &format!("\n  {h}");
    }
    (text, interrupted)
}

/// `file:line:col: message` for a run-time error, the innermost call's message first; the
/// bool says whether it was an interruption (Ctrl-C).
pub fn format_eval_error(name: &str, e: &EvalAltResult) -> (String, bool) {
    if let EvalAltResult::ErrorTerminated(..) = e {
        return (format!("interrupted at {}", at(name, e.position())), true);
    }
    let mut inner = e;
    let mut pos = e.position();
    let mut trail = Vec::new();
    while let EvalAltResult::ErrorInFunctionCall(f, _, next, p) = inner {
        trail.push(format!("in {f} called at {}", at(name, *p)));
        if !next.position().is_none() {
            pos = next.position();
        }
        inner = next;
    }
    if let EvalAltResult::ErrorTerminated(..) = inner {
        return (format!("interrupted at {}", at(name, pos)), true);
    }
    let msg = match inner {
        EvalAltResult::ErrorRuntime(v, _) => v.to_string(),
        other => {
            let mut s = other.to_string();
            if let Some(i) = s.rfind(" (line ") {
                s.truncate(i);
            }
            s
        }
    };
    let mut text = format!("error: {}: {msg}", at(name, pos));
    for t in trail {
        text += &format!("\n  {t}");
    }
    (text, false)
}

/// Where a run-time error happened: the innermost call's position that is known.
pub fn error_position(e: &EvalAltResult) -> Position {
    let mut inner = e;
    let mut pos = e.position();
    while let EvalAltResult::ErrorInFunctionCall(_, _, next, _) = inner {
        if !next.position().is_none() {
            pos = next.position();
        }
        inner = next;
    }
    pos
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes a file via a temporary file and a rename, so a reader never sees half of it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| err!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| err!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

/// As [`write_atomic`], the content written by `fill` through a buffer (for content too
/// large to build in memory first).
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let fail = |e: std::io::Error| err!("cannot write {}: {e}", tmp.display());
    let file = std::fs::File::create(&tmp).map_err(fail)?;
    let mut w = std::io::BufWriter::new(file);
    fill(&mut w).map_err(fail)?;
    w.into_inner().map_err(|e| fail(e.into_error()))?;
    std::fs::rename(&tmp, path).map_err(|e| err!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

/// An engine for tests and benchmarks with an empty context.
pub fn bare_engine() -> (Engine, Arc<Context>) {
    let ctx = Context::new(BTreeMap::new(), PathBuf::from("outputs"));
    (script::engine(&ctx), ctx)
}
