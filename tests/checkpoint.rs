//! Checkpoints: a run saved half-way and resumed in a fresh engine continues with exactly the
//! losses of an uninterrupted run (models, Adam state, RNG incl. dropout masks, step).

use ganbook::script::{self, context::Context};
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
    let ctx = Context::new(BTreeMap::new(), out.to_path_buf());
    ctx.log.lock().unwrap().quiet = true;
    let engine = script::engine(&ctx);
    let mut scope = Scope::new();
    scope.push("losses", Array::new());
    if let Err(e) = engine.run_with_scope(&mut scope, src) {
        panic!("{}", ganbook::run::format_eval_error("test.rhai", &e).0);
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
    let ctx = Context::new(BTreeMap::new(), out.to_path_buf());
    let engine = script::engine(&ctx);
    let e = engine
        .run(&format!("{SETUP} load(\"a\", #{{D: D}});"))
        .unwrap_err();
    let msg = ganbook::run::format_eval_error("t.rhai", &e).0;
    assert!(msg.contains("no model 'D'"), "{msg}");
}
