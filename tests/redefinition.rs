//! A variable defined again holds its new value: in the REPL's session (one line, across
//! lines, through `:load`, after an error, after Ctrl-C) and in the notebook's re-runs.
//! (Rhai keeps every `let` as a new scope entry; compacting or copying the scope once kept the
//! oldest.) The same through a real terminal is in tests/repl.rs.

use ganbook::notebook::Notebook;
use ganbook::repl::{Repl, commands};
use ganbook::state::RunState;
use rhai::Dynamic;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

fn session() -> Repl {
    let ctx = RunState::new(BTreeMap::new(), std::env::temp_dir().join("ganbook-redef"));
    ctx.set_quiet();
    Repl::new(&ctx)
}

/// Runs `input` and fails the test if it fails.
fn ok(s: &mut Repl, input: &str) {
    assert!(s.eval("input", input, false), "failed: {input}");
}

/// The value of `expr` in the session.
fn value(s: &mut Repl, expr: &str) -> Dynamic {
    ok(s, &format!("let probe_value = {expr};"));
    s.scope.get("probe_value").unwrap().clone()
}

fn int(s: &mut Repl, expr: &str) -> i64 {
    value(s, expr).as_int().unwrap()
}

fn text(s: &mut Repl, expr: &str) -> String {
    value(s, expr).to_string()
}

/// Each kind of value, bound twice: (first, second, an expression that tells them apart,
/// what it gives for the second).
const KINDS: &[(&str, &str, &str, &str)] = &[
    ("1", "2", "x", "2"),
    ("1.5", "2.5", "x", "2.5"),
    ("\"old\"", "\"new\"", "x", "new"),
    ("true", "false", "x", "false"),
    ("[1]", "[1, 2, 3]", "x.len()", "3"),
    ("#{a: 1}", "#{a: 1, b: 2}", "x.len()", "2"),
    ("zeros([2])", "zeros([5])", "x.shape()", "[5]"),
    (
        "sequential([linear(2, 4)])",
        "sequential([linear(2, 8)])",
        "x.forward(randn([1, 2])).shape()",
        "[1, 8]",
    ),
    (
        "adam(sequential([linear(2, 2)]), #{lr: 0.1})",
        "adam(sequential([linear(2, 2)]), #{lr: 0.25})",
        "x.lr",
        "0.25",
    ),
    ("|v| v + 1", "|v| v + 100", "x.call(1)", "101"),
    (
        "toy2d(\"ring8\", 3)",
        "toy2d(\"ring8\", 7)",
        "x.shape()",
        "[7, 2]",
    ),
];

#[test]
fn every_kind_of_value_across_lines() {
    let mut s = session();
    for (first, second, probe, want) in KINDS {
        ok(&mut s, &format!("let x = {first};"));
        ok(&mut s, &format!("let x = {second};"));
        assert_eq!(text(&mut s, probe), *want, "let x = {first}; then {second}");
        // Once more, so the compacted scope is compacted again.
        ok(&mut s, &format!("let x = {first};"));
        ok(&mut s, &format!("let x = {second};"));
        assert_eq!(text(&mut s, probe), *want, "the second time: {second}");
    }
    assert_eq!(
        s.scope.len(),
        2,
        "shadowed entries are dropped: x and probe_value"
    );
}

#[test]
fn every_kind_of_value_in_one_line() {
    let mut s = session();
    for (first, second, probe, want) in KINDS {
        ok(&mut s, &format!("let x = {first}; let x = {second};"));
        assert_eq!(
            text(&mut s, probe),
            *want,
            "let x = {first}; let x = {second};"
        );
    }
}

#[test]
fn a_rebuilt_model_is_the_one_trained() {
    let mut s = session();
    ok(&mut s, "let G = sequential([linear(2, 4)]);");
    ok(&mut s, "let opt = adam(G);");
    ok(&mut s, "let G = sequential([linear(2, 8)]);");
    ok(&mut s, "let opt = adam(G);");
    ok(
        &mut s,
        "let loss = G.forward(randn([3, 2])).mean(); opt.step(loss);",
    );
    assert_eq!(text(&mut s, "G.forward(randn([1, 2])).shape()"), "[1, 8]");
}

#[test]
fn constants_and_functions_are_redefined_too() {
    let mut s = session();
    ok(&mut s, "const c = 1;");
    ok(&mut s, "let c = 2;");
    assert_eq!(int(&mut s, "c"), 2);
    ok(&mut s, "c = 3;");
    assert_eq!(int(&mut s, "c"), 3, "the new c is a variable");
    ok(&mut s, "fn f() { 1 }");
    ok(&mut s, "fn f() { 2 }");
    assert_eq!(int(&mut s, "f()"), 2);
}

#[test]
fn load_redefines_what_the_session_had() {
    let mut s = session();
    ok(&mut s, "let a = 1;");
    ok(&mut s, "let G = sequential([linear(2, 4)]);");
    let file = std::env::temp_dir().join(format!("ganbook-redef-{}.rhai", std::process::id()));
    std::fs::write(
        &file,
        "let a = 2;\nlet b = 3;\nlet G = sequential([linear(2, 8)]);\n",
    )
    .unwrap();
    commands::command(&mut s, &format!(":load {}", file.display()));
    assert_eq!(int(&mut s, "a"), 2);
    assert_eq!(int(&mut s, "b"), 3);
    assert_eq!(text(&mut s, "G.forward(randn([1, 2])).shape()"), "[1, 8]");
    let vars = commands::vars(&s);
    assert_eq!(
        vars.lines().filter(|l| l.starts_with("a ")).count(),
        1,
        ":vars lists a once:\n{vars}"
    );
    assert!(vars.contains("a            i64        2"), "{vars}");
    let _ = std::fs::remove_file(file);
}

#[test]
fn after_an_error_the_newest_value_holds() {
    let mut s = session();
    ok(&mut s, "let a = 1;");
    // The error comes after the new `let` ran: a is 2 now, in this session as in a script.
    assert!(!s.eval("input", "let a = 2; throw \"boom\";", false));
    assert_eq!(int(&mut s, "a"), 2);
    ok(&mut s, "let a = 3;");
    assert_eq!(int(&mut s, "a"), 3);
    // A syntax error runs nothing.
    assert!(!s.eval("input", "let a = 4 +* 1;", false));
    assert_eq!(int(&mut s, "a"), 3);
}

#[test]
fn after_an_interrupt_the_newest_value_holds() {
    let mut s = session();
    ok(&mut s, "let a = 1;");
    let flag = s.ctx.interrupt_flag();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        flag.store(true, Ordering::Relaxed);
    });
    assert!(!s.eval("input", "let a = 2; loop { a += 0; }", false));
    stopper.join().unwrap();
    assert_eq!(int(&mut s, "a"), 2);
    ok(&mut s, "let a = 5;");
    assert_eq!(int(&mut s, "a"), 5);
}

#[test]
fn notebook_reruns_see_the_newest_value() {
    let dir = std::env::temp_dir().join(format!("ganbook-redef-nb-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let script: PathBuf = dir.join("nb.rhai");
    let cells = |last: &str| {
        format!(
            "// %% one\nlet a = 1;\nlet G = sequential([linear(2, 4)]);\n\
             // %% two\nlet a = 2;\nlet G = sequential([linear(2, 8)]);\n\
             // %% three\n{last}\n"
        )
    };
    std::fs::write(&script, cells("result(\"a\", a);")).unwrap();
    let ctx = RunState::new(BTreeMap::new(), dir.join("out"));
    let mut nb = Notebook::new(&script, &ctx);
    nb.verbose = false;
    let last_result = |ctx: &RunState| ctx.results().last().unwrap().1.clone();
    assert_eq!(nb.update().unwrap().ran, [0, 1, 2]);
    assert_eq!(last_result(&ctx), 2);
    // Edits of the last cell re-run it alone, twice, from the snapshot after cell two.
    for (n, probe) in ["a + 0", "G.forward(randn([1, 2])).shape()[1]"]
        .iter()
        .enumerate()
    {
        std::fs::write(&script, cells(&format!("result(\"p{n}\", {probe});"))).unwrap();
        let outcome = nb.update().unwrap();
        assert_eq!(outcome.reused, [0, 1]);
        assert_eq!(outcome.ran, [2]);
        let want = if n == 0 { 2 } else { 8 };
        assert_eq!(last_result(&ctx), want, "{probe}");
    }
    let _ = std::fs::remove_dir_all(dir);
}
