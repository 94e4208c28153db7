//! `ganbook run FILE` and `ganbook check FILE`: run a script, record run.json.

use crate::error::Result;
use crate::notebook::run_view::{self, RunView};
use crate::sandbox::Sandbox;
use crate::script::{self, context::Context};
use crate::{device, err, rng};
use rhai::{Engine, EvalAltResult, ParseError, Position};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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

    /// The run folder: `--out`, or `outputs/<script name>`.
    pub fn out_dir(&self) -> PathBuf {
        let stem = self
            .script
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("run");
        self.out
            .clone()
            .unwrap_or_else(|| Path::new("outputs").join(stem))
    }

    /// Before a run: refuses a `--set` name the script (`source`) has no `param` for, then
    /// makes the run folder ready — created, or emptied for a new run by moving the
    /// previous run aside (said in one line); `--resume` keeps it as it is.
    pub fn prepare(&self, source: &str, params: &BTreeMap<String, String>) -> Result<PathBuf> {
        let out_dir = self.out_dir();
        let mut readable = vec![self.script_dir(), PathBuf::from(".")];
        readable.extend(self.allow_read.iter().cloned());
        let sandbox = Sandbox::new(&readable, &[]).unwrap_or_else(|_| Sandbox::permissive());
        crate::set_check::check_script(source, params, &self.script_dir(), sandbox)?;
        if self.resume {
            std::fs::create_dir_all(&out_dir)
                .map_err(|e| err!("cannot create the run folder {}: {e}", out_dir.display()))?;
        } else if let Some(moved) =
            crate::run_folder::prepare(&out_dir, self.out.is_some(), &self.script)?
        {
            eprintln!("{}", crate::run_folder::moved_note(&moved));
        }
        Ok(out_dir)
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

/// Exit codes: 0 ok, 1 script error, 2 usage error, 3 stopped on NaN/Inf, 4 crashed (a signal
/// such as a GPU driver's SIGSEGV: see crash_guard), 130 interrupted.
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
    crate::crash_guard::arm(&opts.device, None);
    device::select(&opts.device)?;
    let out_dir = opts.prepare(&source, &params)?;
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

    let name = opts.script.display().to_string();
    let record = crate::run_record::Started::now(name.clone(), resumed_from);
    crate::crash_guard::arm(&opts.device, Some((&out_dir, record.fixed_fields())));
    let (program, view) = with_view(&mut engine, &opts.script, &source, &out_dir);
    let outcome = program.and_then(|ast| {
        view.lock().unwrap_or_else(|p| p.into_inner()).enter(0);
        let _refresher = run_view::Refresher::start(&view);
        engine.run_ast(&ast).map_err(Failure::Run)
    });
    let stopped_on_nan = ctx.nan.lock().unwrap().stopped;
    let described = outcome.as_ref().err().map(|f| f.describe(&name));
    let (status, code) = match &described {
        None => ("ok", 0),
        Some((_, true)) => ("interrupted", 130),
        Some(_) if stopped_on_nan => ("nan", 3),
        Some(_) => ("error", 1),
    };
    let error = described.map(|(msg, _)| msg);
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
    record.write(&ctx, &source, status, error.as_deref())?;
    let mut view = view.lock().unwrap_or_else(|p| p.into_inner());
    match &outcome {
        Ok(()) => view.end(crate::notebook::Status::Ok, None, None),
        Err(f) => {
            let (text, interrupted) = f.describe(&file_name(&opts.script));
            let status = if interrupted {
                crate::notebook::Status::Interrupted
            } else {
                crate::notebook::Status::Failed
            };
            view.end(status, Some(text), f.line());
        }
    }
    Ok(code)
}

/// The script's file name (how the notebook view names it: relative to its folder).
fn file_name(script: &Path) -> String {
    script
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
}

/// Compiles `source` for a plain run that shows its cells in index.html: the program (its
/// `// %%` markers turned into calls that tell the view a cell began, when they are all
/// top-level statements), and the view, which also gets what the script prints.
fn with_view(
    engine: &mut Engine,
    script: &Path,
    source: &str,
    out_dir: &Path,
) -> (
    std::result::Result<rhai::AST, Failure>,
    Arc<std::sync::Mutex<RunView>>,
) {
    let cells = crate::notebook::cells::split(source);
    let marked = engine
        .compile(run_view::instrument(source, &cells))
        .ok()
        .filter(|ast| run_view::markers_at_top_level(ast, &cells));
    let (program, cells) = match marked {
        Some(ast) => (Ok(ast), cells),
        None => match engine.compile(source) {
            Ok(ast) => (Ok(ast), RunView::whole(source)),
            // the view shows the syntax error in the cell holding its line
            Err(e) => (Err(Failure::Syntax(e, source.to_string())), cells),
        },
    };
    let view = Arc::new(std::sync::Mutex::new(RunView::new(
        &file_name(script),
        source,
        &cells,
        out_dir.to_path_buf(),
    )));
    let v = view.clone();
    engine.register_fn(run_view::ENTER, move |i: rhai::INT| {
        v.lock()
            .unwrap_or_else(|p| p.into_inner())
            .enter(i as usize)
    });
    let v = view.clone();
    engine.on_print(move |s| {
        println!("{s}");
        v.lock().unwrap_or_else(|p| p.into_inner()).print(s);
    });
    (program, view)
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
                format_parse_error(&path.display().to_string(), &source, &e).0
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

/// Why a script stopped before its end.
pub enum Failure {
    /// A syntax error in the source text (kept for the hint it may give).
    Syntax(ParseError, String),
    /// A run-time error, or an interruption (Ctrl-C, a save while watching).
    Run(Box<EvalAltResult>),
}

impl Failure {
    /// The message naming the script `name` (`file:line:col: ...`), and whether it was an
    /// interruption.
    pub fn describe(&self, name: &str) -> (String, bool) {
        match self {
            Failure::Syntax(e, source) => format_parse_error(name, source, e),
            Failure::Run(e) => format_eval_error(name, e),
        }
    }

    /// The script's line it happened at, where known.
    pub fn line(&self) -> Option<usize> {
        match self {
            Failure::Syntax(e, _) => e.position().line(),
            Failure::Run(e) => error_position(e).line(),
        }
    }
}

/// `file:line:col: message` for a syntax error in `source`, with a hint line when the text at
/// the error looks like a PyTorch habit (keyword arguments, `t[0, 1]`, `t[:, 0]`); the bool
/// says "interrupted" (never, here).
pub fn format_parse_error(name: &str, source: &str, e: &ParseError) -> (String, bool) {
    let mut text = format!(
        "error: {}: syntax error: {}",
        at(name, e.position()),
        e.err_type()
    );
    if let Some(h) = script::parse_hints::hint(source, e) {
        text += &format!("\n  {h}");
    }
    (text, false)
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
