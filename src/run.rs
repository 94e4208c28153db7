//! `ganbook run FILE` and `ganbook check FILE`: run a script, record run.json.

use crate::error::Result;
use crate::notebook::run_view::{self, RunView};
use crate::script;
use crate::script::errors::{Failure, format_parse_error};
use crate::session::Session;
use crate::session::options::{RunOptions, read_script};
use crate::state::RunState;
use rhai::Engine;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    let session = Session::open(&opts, &source)?;
    let (ctx, mut engine) = (session.state(), session.engine());
    let name = opts.script.display().to_string();
    let out_dir = ctx.out_dir().to_path_buf();
    let (program, view) = with_view(&mut engine, ctx, &opts.script, &source, &out_dir);
    let outcome = program.and_then(|ast| {
        view.lock().unwrap_or_else(|p| p.into_inner()).enter(0);
        let _refresher = run_view::Refresher::start(&view);
        engine.run_ast(&ast).map_err(Failure::Run)
    });
    let stopped_on_nan = ctx.stopped_on_nan();
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
    session.finish(&source, status, error.as_deref())?;
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
    ctx: &Arc<RunState>,
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
    let (v, c) = (view.clone(), ctx.clone());
    engine.on_print(move |s| {
        c.print_line(s);
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
    let engine = script::engine(&RunState::new(BTreeMap::new(), PathBuf::from("outputs")));
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
