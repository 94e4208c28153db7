//! The hostile corpus in tests/hostile/: every case ends in a script error containing its
//! `// expect:` text; none panics, aborts or hangs (see tests/hostile/README.md).

use ganbook::sandbox::Sandbox;
use ganbook::script;
use ganbook::script::errors::{format_eval_error, format_parse_error};
use ganbook::state::RunState;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Duration;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/hostile");

struct Case {
    file: String,
    index: usize,
    expect: String,
    source: String,
}

fn cases(file: &str) -> Vec<Case> {
    let text = std::fs::read_to_string(Path::new(CORPUS).join(file)).unwrap();
    text.split("\n// ---\n")
        .enumerate()
        .map(|(index, source)| {
            let expect = source
                .lines()
                .find_map(|l| l.strip_prefix("// expect: "))
                .unwrap_or_else(|| panic!("{file} case {index} has no // expect: line"))
                .trim()
                .to_string();
            Case {
                file: file.to_string(),
                index,
                expect,
                source: source.to_string(),
            }
        })
        .collect()
}

/// Runs one case as `ganbook run` would (sandboxed, interrupt after 2 s) on a thread with
/// the main thread's 8 MiB stack. Ok: the error text; Err: what went wrong instead.
fn run_case(case: &Case, out: &Path) -> Result<String, String> {
    ganbook::memory_limit::set(1 << 30);
    let sandbox = Sandbox::new(&[PathBuf::from(CORPUS), PathBuf::from(".")], &[out.into()])
        .map_err(|e| e.to_string())?;
    let ctx = RunState::with_sandbox(Default::default(), out.to_path_buf(), sandbox.clone());
    let mut engine = script::engine(&ctx);
    engine.set_module_resolver(ganbook::script::modules::Resolver::sandboxed(
        Path::new(CORPUS),
        sandbox,
    ));
    let name = format!("{}#{}", case.file, case.index);
    let source = case.source.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    let n = name.clone();
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                match engine.compile(&source) {
                    Err(e) => Some(format_parse_error(&n, &source, &e).0),
                    Ok(ast) => engine
                        .run_ast(&ast)
                        .err()
                        .map(|e| format_eval_error(&n, &e).0),
                }
            }));
            let _ = tx.send(r);
        })
        .unwrap();
    let got = rx.recv_timeout(Duration::from_secs(2)).or_else(|_| {
        ctx.interrupt_flag().store(true, Ordering::Relaxed);
        rx.recv_timeout(Duration::from_secs(58))
    });
    match got {
        Err(_) => Err(format!("{name}: still running 58 s after the interrupt")),
        Ok(Err(_)) => Err(format!("{name}: panicked")),
        Ok(Ok(None)) => Err(format!("{name}: ran without an error")),
        Ok(Ok(Some(msg))) => Ok(msg),
    }
}

fn check_file(file: &str) {
    let out = std::env::temp_dir().join(format!(
        "ganbook-hostile-{}-{}",
        file.trim_end_matches(".rhai"),
        std::process::id()
    ));
    let mut failures = Vec::new();
    let all = cases(file);
    assert!(all.len() >= 3, "{file}: too few cases");
    for case in &all {
        match run_case(case, &out) {
            Ok(msg) if msg.to_lowercase().contains(&case.expect.to_lowercase()) => {}
            Ok(msg) => failures.push(format!(
                "{}#{}: expected '{}' in: {msg}",
                case.file, case.index, case.expect
            )),
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn wrong_types() {
    check_file("wrong_types.rhai");
}

#[test]
fn huge_shapes() {
    check_file("huge.rhai");
}

#[test]
fn deep_recursion() {
    check_file("recursion.rhai");
}

#[test]
fn deep_nesting() {
    check_file("nesting.rhai");
}

#[test]
fn infinite_loops_stop_at_the_interrupt() {
    check_file("loops.rhai");
}

#[test]
fn path_escapes() {
    check_file("paths.rhai");
}

#[test]
fn every_corpus_file_is_run() {
    let mut files: Vec<_> = std::fs::read_dir(CORPUS)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| f.ends_with(".rhai"))
        .collect();
    files.sort();
    let this = std::fs::read_to_string(file!()).unwrap();
    for f in files {
        assert!(
            this.contains(&format!("check_file(\"{f}\")")),
            "{f} is not run by tests/hostile.rs"
        );
    }
}
