//! Benches `soak_gan`, `soak_dcgan32` and `soak_repl`: memory stays flat over a long run. A
//! 2-D GAN (the teaching MLP, batch 256) trains 20,000 steps through the script engine as
//! `ganbook run` would (NaN watch, `log` every 10 steps, checkpoint "last" every 1,000), the
//! DCGAN 32x32 bench network trains 1,000 steps, and a REPL
//! session takes 1,000 inputs (tensors, models, training steps, functions, errors). Each
//! prints the resident memory (VmRSS) along the way, and the growth from the lowest figure
//! after a warm-up (a conservative base: a spike at the warm-up's end cannot hide growth) to
//! the end.

use super::Settings;
use super::script_step::ScriptStep;
use crate::err;
use crate::error::Result;
use crate::repl::Repl;
use crate::script;
use crate::state::RunState;
use rhai::Scope;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

/// Resident memory after the warm-up and at the end, in bytes.
#[derive(Clone, Debug)]
pub struct Soak {
    /// The lowest figure from the end of the warm-up on.
    pub warm_rss: u64,
    pub end_rss: u64,
    /// (steps or inputs done, resident bytes) along the way.
    pub samples: Vec<(usize, u64)>,
    pub seconds: f64,
}

impl Soak {
    /// Growth from the lowest figure after the warm-up to the end, in percent.
    pub fn growth_pct(&self) -> f64 {
        (self.end_rss as f64 / self.warm_rss as f64 - 1.0) * 100.0
    }

    fn print(&self, name: &str, unit: &str, warmup: usize, total: usize) {
        let mb = |b: u64| b as f64 / (1 << 20) as f64;
        let trail: Vec<String> = self
            .samples
            .iter()
            .map(|(n, b)| format!("{n}:{:.1}", mb(*b)))
            .collect();
        println!("bench {name} rss_mb {}", trail.join(" "));
        println!(
            "bench {name} {unit}={total} warmup={warmup} warm_rss_mb={:.1} end_rss_mb={:.1} growth_pct={:.2} seconds={:.2}",
            mb(self.warm_rss),
            mb(self.end_rss),
            self.growth_pct(),
            self.seconds
        );
    }
}

/// This process's resident memory (VmRSS) in bytes; 0 where the system does not say.
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

const GAN_SETUP: &str = r#"
seed(1);
let h = HIDDEN;
let G = sequential([linear(2, h), relu(), linear(h, h), relu(), linear(h, h), relu(), linear(h, 2)]);
let D = sequential([linear(2, h), leaky_relu(0.2), linear(h, h), leaky_relu(0.2),
                    linear(h, h), leaky_relu(0.2), linear(h, 1)]);
let opt_g = adam(G, #{ lr: 1e-3, betas: [0.5, 0.999] });
let opt_d = adam(D, #{ lr: 1e-3, betas: [0.5, 0.999] });
"#;

/// One chunk of steps `first..last` (both set in the scope before it runs).
const GAN_STEPS: &str = r#"
for step in first..last {
    let real = toy2d("ring8", 256);
    let fake = G.forward(randn([256, 2]));
    let d_loss = bce_logits(D.forward(real), 1.0) + bce_logits(D.forward(fake.detach()), 0.0);
    opt_d.step(d_loss, "d_loss");
    let g_loss = bce_logits(D.forward(fake), 1.0);
    opt_g.step(g_loss, "g_loss");
    if step % 10 == 0 { log(step, #{ d_loss: d_loss, g_loss: g_loss }); }
    if step % 1000 == 999 { save(#{ G: G, D: D, opt_g: opt_g, opt_d: opt_d, step: step }, "last"); }
}
"#;

/// Trains the 2-D GAN (hidden width `hidden`) for `steps` steps in chunks of `chunk`,
/// measuring after each; growth is measured from the lowest figure after `warmup` steps.
pub fn gan(steps: usize, warmup: usize, chunk: usize, hidden: usize) -> Result<Soak> {
    let out = scratch("soak-gan");
    let ctx = RunState::new(BTreeMap::new(), out.clone());
    ctx.set_quiet();
    let engine = script::engine(&ctx);
    let fail = |e: &dyn std::fmt::Display| err!("soak_gan: {e}");
    let mut scope = Scope::new();
    let setup = GAN_SETUP.replace("HIDDEN", &hidden.to_string());
    engine
        .run_with_scope(&mut scope, &setup)
        .map_err(|e| fail(&e))?;
    let chunk_ast = engine.compile(GAN_STEPS).map_err(|e| fail(&e))?;
    let clock = Instant::now();
    let mut samples = Vec::new();
    let mut done = 0;
    while done < steps {
        let last = (done + chunk.max(1)).min(steps);
        scope.set_value("first", done as rhai::INT);
        scope.set_value("last", last as rhai::INT);
        engine
            .run_ast_with_scope(&mut scope, &chunk_ast)
            .map_err(|e| fail(&e))?;
        done = last;
        samples.push((done, rss_bytes()));
    }
    let _ = ctx.with_log(|l| l.finish());
    let _ = std::fs::remove_dir_all(&out);
    finish(samples, warmup, clock)
}

/// Trains one of the `steps` bench networks (benches/NAME.rhai) for `steps` steps,
/// measuring every `chunk`; growth from the lowest figure after `warmup` steps.
pub fn network(name: &str, steps: usize, warmup: usize, chunk: usize) -> Result<Soak> {
    let source = super::steps::NETWORKS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, source)| *source)
        .ok_or_else(|| err!("soak: no bench network '{name}'"))?;
    let mut step = ScriptStep::new(name, source)?;
    let clock = Instant::now();
    let mut samples = Vec::new();
    for done in 1..=steps {
        step.step()?;
        if done % chunk.max(1) == 0 || done == steps {
            samples.push((done, rss_bytes()));
        }
    }
    finish(samples, warmup, clock)
}

/// The REPL inputs, cycled: values, models and optimizers rebound each time, training steps,
/// a function redefined, string building, and inputs that fail (type errors, bad shapes,
/// syntax errors).
const REPL_INPUTS: &[&str] = &[
    "let x = randn([64, 64]);",
    "let y = x.matmul(x.transpose(0, 1)).mean();",
    "let G = sequential([linear(2, 32), relu(), linear(32, 2)]);",
    "let opt = adam(G, #{ lr: 1e-3 });",
    "opt.step(mse(G.forward(randn([16, 2])), 1.0));",
    "fn double(a) { a * 2 }",
    "let n = double(21);",
    "let s = `step ${n}: ${y.item()}`;",
    "let a = []; for i in 0..100 { a.push(i * i); } a.len()",
    "let m = #{ loss: y.item(), shape: x.shape() };",
    "let out = G.forward(randn([4, 2])).to_array();",
    "x.matmul(randn([3, 3]))",
    "let = ;",
    "undefined_name + 1",
];

/// Feeds `inputs` inputs (the list above, cycled) to a REPL session, measuring every
/// `chunk`; growth is measured from the lowest figure after `warmup` inputs. Values are not
/// printed; the failing inputs print their errors (to stderr) as in the REPL.
pub fn repl(inputs: usize, warmup: usize, chunk: usize) -> Result<Soak> {
    let ctx = RunState::new(BTreeMap::new(), scratch("soak-repl"));
    ctx.set_quiet();
    let mut session = Repl::new(&ctx);
    let clock = Instant::now();
    let mut samples = Vec::new();
    for i in 0..inputs {
        let input = REPL_INPUTS[i % REPL_INPUTS.len()];
        session.eval(&format!("input {}", i + 1), input, false);
        let done = i + 1;
        if done % chunk.max(1) == 0 || done == inputs {
            samples.push((done, rss_bytes()));
        }
    }
    finish(samples, warmup, clock)
}

fn finish(samples: Vec<(usize, u64)>, warmup: usize, clock: Instant) -> Result<Soak> {
    let end_rss = samples.last().map_or(0, |s| s.1);
    let warm_rss = samples
        .iter()
        .filter(|(done, _)| *done >= warmup)
        .map(|s| s.1)
        .min()
        .ok_or_else(|| err!("soak: the warm-up is longer than the run"))?;
    if warm_rss == 0 {
        return Err(err!(
            "soak: resident memory cannot be read here (/proc/self/status)"
        ));
    }
    Ok(Soak {
        warm_rss,
        end_rss,
        samples,
        seconds: clock.elapsed().as_secs_f64(),
    })
}

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ganbook-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// `ganbook bench soak_gan`: 20,000 steps, warm-up 2,000.
pub fn run_gan(_: &Settings) -> Result<()> {
    let (steps, warmup) = (20_000, 2_000);
    gan(steps, warmup, 1_000, 128)?.print("soak_gan", "steps", warmup, steps);
    Ok(())
}

/// `ganbook bench soak_dcgan32`: the DCGAN 32x32 bench network (batch 64, own convolution,
/// BatchNorm and activation kernels), 1,000 steps, warm-up 100.
pub fn run_dcgan32(_: &Settings) -> Result<()> {
    let (steps, warmup) = (1_000, 100);
    network("dcgan32", steps, warmup, 50)?.print("soak_dcgan32", "steps", warmup, steps);
    Ok(())
}

/// `ganbook bench soak_repl`: 1,000 inputs, warm-up 100.
pub fn run_repl(_: &Settings) -> Result<()> {
    let (inputs, warmup) = (1_000, 100);
    repl(inputs, warmup, 50)?.print("soak_repl", "inputs", warmup, inputs);
    Ok(())
}
