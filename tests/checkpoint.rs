//! Checkpoints: a run saved half-way and resumed in a fresh engine continues with exactly the
//! losses of an uninterrupted run (models, Adam state, RNG incl. dropout masks, step).

use ganbook::script;
use ganbook::state::RunState;
use rhai::{Array, Scope};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

/// The session RNG is process-wide: tests that draw from it take turns.
static RNG_TURN: Mutex<()> = Mutex::new(());

const SETUP: &str = r#"
seed(7);
let G = sequential([linear(4, 16), relu(), dropout(0.3), linear(16, 2)]);
let D = sequential([linear(2, 16), leaky_relu(0.2), linear(16, 1)]);
let opt_g = adam(G, #{ lr: 1e-3, betas: [0.5, 0.999] });
let opt_d = adam(D, #{ lr: 1e-3 });
"#;

const STEPS: &str = r#"
for step in start..end {
    let real = toy2d("ring8", 32);
    let fake = G.forward(randn([32, 4]));
    let d_loss = bce_logits(D.forward(real), 1.0) + bce_logits(D.forward(fake.detach()), 0.0);
    opt_d.step(d_loss);
    let g_loss = bce_logits(D.forward(fake), 1.0);
    opt_g.step(g_loss);
    log(step, #{ d: d_loss, g: g_loss });
    losses.push(g_loss.item());
}
"#;

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ganbook-ckpt-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn run(out: &std::path::Path, src: &str) -> Array {
    let ctx = RunState::new(BTreeMap::new(), out.to_path_buf());
    ctx.set_quiet();
    let engine = script::engine(&ctx);
    let mut scope = Scope::new();
    scope.push("losses", Array::new());
    if let Err(e) = engine.run_with_scope(&mut scope, src) {
        panic!(
            "{}",
            ganbook::script::errors::format_eval_error("test.rhai", &e).0
        );
    }
    scope.get_value::<Array>("losses").unwrap()
}

fn floats(a: &Array) -> Vec<f64> {
    a.iter().map(|v| v.as_float().unwrap()).collect()
}

#[test]
fn a_resumed_run_continues_with_the_same_losses() {
    let _turn = RNG_TURN.lock().unwrap();
    let straight = run(
        &tmp("straight"),
        &format!("{SETUP} let start = 0; let end = 10; {STEPS}"),
    );
    let out = tmp("resume");
    let first = run(
        &out,
        &format!(
            "{SETUP} let start = 0; let end = 5; {STEPS} save(#{{G: G, D: D, opt_g: opt_g, opt_d: opt_d, step: 4}}, \"last\");"
        ),
    );
    // A fresh engine, a different seed: everything must come from the checkpoint.
    let resumed = run(
        &out,
        &format!(
            "{} let ck = load(\"last\", #{{G: G, D: D, opt_g: opt_g, opt_d: opt_d}}); let start = ck.step + 1; let end = 10; {STEPS}",
            SETUP.replace("seed(7)", "seed(99)")
        ),
    );
    let mut joined = floats(&first);
    joined.extend(floats(&resumed));
    assert_eq!(joined.len(), 10);
    assert_eq!(
        joined,
        floats(&straight),
        "resumed losses differ from the uninterrupted run"
    );
}

#[test]
fn checkpoint_round_trip_is_exact_and_errors_name_what_is_missing() {
    let _turn = RNG_TURN.lock().unwrap();
    let out = tmp("exact");
    let src = format!(
        "{SETUP} G.eval(); let z = randn([3, 4]); let before = G.forward(z).to_array(); save(#{{G: G, note: \"hi\"}}, \"a\"); \
         G.init(\"dcgan\"); let r = randn([2]); load(\"a\", #{{G: G}}); let after = G.forward(z).to_array(); \
         let r2 = randn([2]); losses.push(before == after); losses.push(r.to_array() == r2.to_array()); losses.push(has_checkpoint(\"a\")); losses.push(has_checkpoint(\"b\"));"
    );
    let got = run(&out, &src);
    let flags: Vec<bool> = got.iter().map(|v| v.as_bool().unwrap()).collect();
    assert_eq!(flags, vec![true, true, true, false]);
    assert!(out.join("checkpoints/a/checkpoint.json").exists());
    let ctx = RunState::new(BTreeMap::new(), out.to_path_buf());
    let engine = script::engine(&ctx);
    let e = engine
        .run(&format!("{SETUP} load(\"a\", #{{D: D}});"))
        .unwrap_err();
    let msg = ganbook::script::errors::format_eval_error("t.rhai", &e).0;
    assert!(msg.contains("no model 'D'"), "{msg}");
}

/// The error of running `src` in an engine whose run folder is `out`.
fn run_err(out: &std::path::Path, src: &str) -> String {
    let ctx = RunState::new(BTreeMap::new(), out.to_path_buf());
    ctx.set_quiet();
    match script::engine(&ctx).run(src) {
        Ok(()) => "no error".into(),
        Err(e) => ganbook::script::errors::format_eval_error("t.rhai", &e).0,
    }
}

#[test]
fn damaged_checkpoints_are_errors_naming_the_file() {
    let _turn = RNG_TURN.lock().unwrap();
    let out = tmp("damaged");
    let save = format!(
        "{SETUP} opt_g.step(G.forward(randn([2, 4])).mean()); save(#{{G: G, opt_g: opt_g, step: 1}}, \"a\");"
    );
    let load = format!("{SETUP} load(\"a\", #{{G: G, opt_g: opt_g}});");
    let dir = out.join("checkpoints/a");
    let cases: [(&str, &dyn Fn(), &str); 5] = [
        (
            "truncated model",
            &|| {
                let b = std::fs::read(dir.join("G.bpk")).unwrap();
                std::fs::write(dir.join("G.bpk"), &b[..b.len() / 2]).unwrap();
            },
            "G.bpk",
        ),
        (
            "garbage model",
            &|| std::fs::write(dir.join("G.bpk"), b"not a burnpack file at all").unwrap(),
            "G.bpk",
        ),
        (
            "truncated optimizer state",
            &|| {
                let b = std::fs::read(dir.join("opt_g.optim.bpk")).unwrap();
                std::fs::write(dir.join("opt_g.optim.bpk"), &b[..b.len() - 7]).unwrap();
            },
            "opt_g.optim.bpk",
        ),
        (
            "truncated manifest",
            &|| {
                let t = std::fs::read_to_string(dir.join("checkpoint.json")).unwrap();
                std::fs::write(dir.join("checkpoint.json"), &t[..t.len() / 2]).unwrap();
            },
            "checkpoint.json is damaged",
        ),
        (
            // 64 bytes, but not 64 hex digits: once a panic slicing inside a character
            "random generator state of multi-byte characters",
            &|| {
                let t = std::fs::read_to_string(dir.join("checkpoint.json")).unwrap();
                let v: serde_json::Value = serde_json::from_str(&t).unwrap();
                let seed = v["rng"]["seed"].as_str().unwrap().to_string();
                let t = t.replace(&seed, &"é".repeat(32));
                std::fs::write(dir.join("checkpoint.json"), t).unwrap();
            },
            "checkpoint.json is damaged: random generator state",
        ),
    ];
    for (what, damage, expect) in cases {
        run(&out, &save);
        damage();
        let msg = run_err(&out, &load);
        assert!(msg.contains(expect), "{what}: {msg}");
        assert!(!msg.contains("panicked"), "{what}: {msg}");
    }
}

#[test]
fn a_save_cut_off_between_its_renames_leaves_the_last_good_checkpoint() {
    let _turn = RNG_TURN.lock().unwrap();
    let out = tmp("cutoff");
    run(
        &out,
        &format!("{SETUP} save(#{{G: G, step: 4}}, \"last\");"),
    );
    // what a kill between commit's two renames leaves: last.old, a complete last.tmp, no last
    let ck = out.join("checkpoints");
    std::fs::rename(ck.join("last"), ck.join("last.old")).unwrap();
    let got = run(
        &out,
        &format!(
            "{SETUP} losses.push(has_checkpoint(\"last\")); losses.push(load(\"last\", #{{G: G}}).step);"
        ),
    );
    assert_eq!(format!("{got:?}"), "[true, 4]");
    assert!(ck.join("last/checkpoint.json").exists() && !ck.join("last.old").exists());
}
