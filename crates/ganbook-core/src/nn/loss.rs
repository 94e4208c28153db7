//! GAN losses, mean-reduced, with PyTorch's definitions.

use crate::bail;
use crate::error::Result;
use crate::tensor::{BinOp, DynTensor, Reduce, Unary};

/// A target: one number for every element (0.9 = label smoothing), or a tensor.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // built once per loss call
pub enum Target {
    Value(f64),
    Tensor(DynTensor),
}

impl Target {
    fn tensor_like(&self, pred: &DynTensor, what: &str) -> Result<DynTensor> {
        match self {
            Target::Value(v) => DynTensor::full(&pred.shape(), *v),
            Target::Tensor(t) => {
                if t.numel() != pred.numel() {
                    bail!(
                        "{what}: target shape {:?} does not match prediction shape {:?}",
                        t.shape(),
                        pred.shape()
                    );
                }
                t.clone().reshape(&pred.shape())
            }
        }
    }
}

fn mean(x: DynTensor) -> Result<DynTensor> {
    x.reduce(Reduce::Mean, None)
}

/// Binary cross-entropy on probabilities, as PyTorch computes it: log terms clamped at -100,
/// and the gradient in `p` taken as (p - t) / max(p (1 - p), 1e-12), finite even where `p` is
/// exactly 0 or 1 (a saturated sigmoid), where the logs' own backward would give 0 * inf = NaN.
pub fn bce(p: &DynTensor, target: &Target) -> Result<DynTensor> {
    let t = target.tensor_like(p, "bce")?;
    // The value, differentiable in the target only.
    let q = p.clone().detach();
    let log_p = q.clone().unary(Unary::Log).clamp(-100.0, f64::MAX);
    let log_1mp = q
        .clone()
        .rsub_scalar(1.0)
        .unary(Unary::Log)
        .clamp(-100.0, f64::MAX);
    let pos = t.clone().binary(log_p, BinOp::Mul)?;
    let neg = t.clone().rsub_scalar(1.0).binary(log_1mp, BinOp::Mul)?;
    let value = pos.binary(neg, BinOp::Add)?.unary(Unary::Neg);
    // The gradient in p, attached as p g - detach(p g), which adds exactly zero to the value.
    let denom = q
        .clone()
        .binary(q.clone().rsub_scalar(1.0), BinOp::Mul)?
        .clamp(1e-12, f64::MAX);
    let g = q
        .binary(t.detach(), BinOp::Sub)?
        .binary(denom, BinOp::Div)?;
    let pg = p.clone().binary(g, BinOp::Mul)?;
    let zero = pg.clone().binary(pg.detach(), BinOp::Sub)?;
    mean(value.binary(zero, BinOp::Add)?)
}

/// Binary cross-entropy on logits, computed stably as
/// -t log(sigmoid(x)) - (1 - t) log(sigmoid(-x)); its gradient is sigmoid(x) - t everywhere,
/// x = 0 included (a max/abs formulation takes subgradients there and gets it wrong).
pub fn bce_logits(x: &DynTensor, target: &Target) -> Result<DynTensor> {
    let t = target.tensor_like(x, "bce_logits")?;
    let log_sigmoid =
        |v: DynTensor| crate::map_rank!(v, s => burn::tensor::activation::log_sigmoid(s));
    let pos = t.clone().binary(log_sigmoid(x.clone()), BinOp::Mul)?;
    let neg = t
        .rsub_scalar(1.0)
        .binary(log_sigmoid(x.clone().unary(Unary::Neg)), BinOp::Mul)?;
    mean(pos.binary(neg, BinOp::Add)?.unary(Unary::Neg))
}

pub fn mse(a: &DynTensor, target: &Target) -> Result<DynTensor> {
    let t = target.tensor_like(a, "mse")?;
    mean(a.clone().binary(t, BinOp::Sub)?.unary(Unary::Square))
}

pub fn l1(a: &DynTensor, target: &Target) -> Result<DynTensor> {
    let t = target.tensor_like(a, "l1")?;
    mean(a.clone().binary(t, BinOp::Sub)?.unary(Unary::Abs))
}

/// Class labels for cross-entropy: one class for the whole batch, or one per row.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // built once per loss call
pub enum Labels {
    Class(i64),
    PerRow(DynTensor),
}

/// Cross-entropy of [N, C] logits against class indices.
pub fn cross_entropy(logits: &DynTensor, labels: &Labels) -> Result<DynTensor> {
    let shape = logits.shape();
    let &[n, c] = shape.as_slice() else {
        bail!("cross_entropy expects logits [N, C], got {shape:?}");
    };
    let idx = match labels {
        Labels::Class(k) => {
            if *k < 0 || *k as usize >= c {
                bail!("cross_entropy: class {k} is not in 0..{c}");
            }
            DynTensor::full(&[n], *k as f64)?
        }
        Labels::PerRow(t) => {
            if t.numel() != n {
                bail!(
                    "cross_entropy: {n} rows of logits but labels of shape {:?}",
                    t.shape()
                );
            }
            t.clone().reshape(&[n])?
        }
    };
    let idx = idx.to_indices("cross_entropy", c)?;
    let log_p = logits
        .clone()
        .softmax(1, true)?
        .ranked::<2>("cross_entropy")?;
    let picked = log_p.gather(1, idx.reshape([n, 1]));
    Ok(DynTensor::new(picked.mean().neg()))
}

/// Hinge loss for the discriminator: mean(relu(1 - D(real))) + mean(relu(1 + D(fake))).
pub fn hinge_d(real: &DynTensor, fake: &DynTensor) -> Result<DynTensor> {
    let r = mean(real.clone().rsub_scalar(1.0).unary(Unary::Relu))?;
    let f = mean(fake.clone().add_scalar(1.0).unary(Unary::Relu))?;
    r.binary(f, BinOp::Add)
}

/// Hinge loss for the generator: -mean(D(fake)).
pub fn hinge_g(fake: &DynTensor) -> Result<DynTensor> {
    Ok(mean(fake.clone())?.unary(Unary::Neg))
}

/// Critic loss of WGAN: mean(D(fake)) - mean(D(real)).
pub fn wasserstein_d(real: &DynTensor, fake: &DynTensor) -> Result<DynTensor> {
    mean(fake.clone())?.binary(mean(real.clone())?, BinOp::Sub)
}

/// Generator loss of WGAN: -mean(D(fake)).
pub fn wasserstein_g(fake: &DynTensor) -> Result<DynTensor> {
    hinge_g(fake)
}
