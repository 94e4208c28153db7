//! Bench `dcgan32`: a DCGAN-32 training step written as a script against the same step
//! written in Rust, alternating the two so that machine noise hits both alike.

use super::script_step::ScriptStep;
use super::{Settings, report};
use crate::error::Result;
use crate::nn::conv::{Conv2d, ConvSpec, ConvTranspose2d};
use crate::nn::init::Scheme;
use crate::nn::loss::{Target, bce_logits};
use crate::nn::norm::BatchNorm;
use crate::nn::optim::{Algorithm, Optimizer};
use crate::nn::stateless::{Op, Stateless};
use crate::nn::{Layer, Mode, Sequential};
use crate::rng;
use crate::tensor::{BinOp, DynTensor, Unary};
use burn::tensor::Distribution;
use std::time::Instant;

const SCRIPT: &str = include_str!("../../benches/dcgan32.rhai");
const BATCH: usize = 64;

fn spec(kernel: usize, stride: usize, padding: usize) -> ConvSpec {
    ConvSpec {
        stride,
        padding,
        bias: false,
        ..ConvSpec::new(kernel)
    }
}

fn stateless(op: Op) -> Layer {
    Layer::Stateless(Stateless::new(op).expect("valid op"))
}

/// The DCGAN 32x32 generator and discriminator of benches/dcgan32.rhai, built in Rust.
pub fn dcgan32() -> Result<(Sequential, Sequential)> {
    let ct = |i, o, s, p| -> Result<Layer> {
        Ok(Layer::ConvTranspose2d(ConvTranspose2d::new(
            i,
            o,
            spec(4, s, p),
        )?))
    };
    let cv = |i, o, s, p| -> Result<Layer> { Ok(Layer::Conv2d(Conv2d::new(i, o, spec(4, s, p))?)) };
    let bn = |c| Layer::BatchNorm(BatchNorm::new(c));
    let mut g = Sequential::new(vec![
        stateless(Op::Reshape(vec![100, 1, 1])),
        ct(100, 256, 1, 0)?,
        bn(256),
        stateless(Op::Relu),
        ct(256, 128, 2, 1)?,
        bn(128),
        stateless(Op::Relu),
        ct(128, 64, 2, 1)?,
        bn(64),
        stateless(Op::Relu),
        ct(64, 3, 2, 1)?,
        stateless(Op::Tanh),
    ]);
    let lrelu = || stateless(Op::LeakyRelu(0.2));
    let mut d = Sequential::new(vec![
        cv(3, 64, 2, 1)?,
        lrelu(),
        cv(64, 128, 2, 1)?,
        bn(128),
        lrelu(),
        cv(128, 256, 2, 1)?,
        bn(256),
        lrelu(),
        cv(256, 1, 1, 0)?,
        stateless(Op::Flatten),
    ]);
    g.init(Scheme::Dcgan);
    d.init(Scheme::Dcgan);
    Ok((g, d))
}

struct RustStep {
    g: Sequential,
    d: Sequential,
    opt_g: Optimizer,
    opt_d: Optimizer,
    real: DynTensor,
}

impl RustStep {
    fn new() -> Result<RustStep> {
        let (g, d) = dcgan32()?;
        let adam = || Algorithm::Adam {
            betas: (0.5, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
        };
        Ok(RustStep {
            g,
            d,
            opt_g: Optimizer::new(adam(), 2e-4)?,
            opt_d: Optimizer::new(adam(), 2e-4)?,
            real: DynTensor::random(&[BATCH, 3, 32, 32], Distribution::Normal(0.0, 1.0))?
                .unary(Unary::Tanh),
        })
    }

    fn step(&mut self) -> Result<f64> {
        let train = Mode { training: true };
        let z = DynTensor::random(&[BATCH, 100], Distribution::Normal(0.0, 1.0))?;
        let fake = self.g.forward(z, train)?;
        let d_real = self.d.forward(self.real.clone(), train)?;
        let d_fake = self.d.forward(fake.clone().detach(), train)?;
        let d_loss = bce_logits(&d_real, &Target::Value(1.0))?
            .binary(bce_logits(&d_fake, &Target::Value(0.0))?, BinOp::Add)?;
        self.opt_d.step(&mut [&mut self.d], &d_loss)?;
        let g_loss = bce_logits(&self.d.forward(fake, train)?, &Target::Value(1.0))?;
        self.opt_g.step(&mut [&mut self.g], &g_loss)?;
        g_loss.item()
    }
}

/// Runs `warmup` untimed and `steps` timed rounds of each variant; prints one line per
/// variant and the script/Rust ratio of medians.
pub fn run(settings: &Settings) -> Result<()> {
    let (steps, warmup) = (settings.steps, settings.warmup);
    rng::seed(0);
    let mut script = ScriptStep::new("dcgan32", SCRIPT)?;
    let mut rust = RustStep::new()?;
    let (mut t_rust, mut t_script) = (Vec::new(), Vec::new());
    for i in 0..warmup + steps {
        let t = Instant::now();
        rust.step()?;
        let r = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        script.step()?;
        let s = t.elapsed().as_secs_f64() * 1e3;
        if i >= warmup {
            t_rust.push(r);
            t_script.push(s);
        }
    }
    let r = report("dcgan32_step_rust", &mut t_rust, "");
    let s = report("dcgan32_step_script", &mut t_script, "");
    println!("bench dcgan32_step script/rust ratio={:.3}", s / r);
    Ok(())
}
