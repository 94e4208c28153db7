//! GAN losses, mean-reduced, with PyTorch's definitions.

use crate::bail;
use crate::error::Result;
use crate::tensor::{BinOp, DynTensor, Reduce, Unary};

/// A target: one number for every element (0.9 = label smoothing), or a tensor.
#[derive(Clone, Debug)]
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

/// Binary cross-entropy on probabilities; log terms clamped at -100 as PyTorch does.
pub fn bce(p: &DynTensor, target: &Target) -> Result<DynTensor> {
    let t = target.tensor_like(p, "bce")?;
    let log_p = p.clone().unary(Unary::Log).clamp(-100.0, f64::MAX);
    let log_1mp = p
        .clone()
        .rsub_scalar(1.0)
        .unary(Unary::Log)
        .clamp(-100.0, f64::MAX);
    let pos = t.clone().binary(log_p, BinOp::Mul)?;
    let neg = t.rsub_scalar(1.0).binary(log_1mp, BinOp::Mul)?;
    mean(pos.binary(neg, BinOp::Add)?.unary(Unary::Neg))
}

/// Binary cross-entropy on logits, computed stably:
/// max(x, 0) - x t + log(1 + exp(-|x|)).
pub fn bce_logits(x: &DynTensor, target: &Target) -> Result<DynTensor> {
    let t = target.tensor_like(x, "bce_logits")?;
    let softplus = x
        .clone()
        .unary(Unary::Abs)
        .unary(Unary::Neg)
        .unary(Unary::Exp);
    let softplus = crate::map_rank!(softplus, s => s.log1p());
    let xt = x.clone().binary(t, BinOp::Mul)?;
    mean(
        x.clone()
            .unary(Unary::Relu)
            .binary(xt, BinOp::Sub)?
            .binary(softplus, BinOp::Add)?,
    )
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
