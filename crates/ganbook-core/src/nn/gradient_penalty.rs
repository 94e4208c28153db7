//! WGAN-GP's gradient penalty (Gulrajani et al., 2017), through the critic's input gradient
//! written out layer by layer (input_gradient.rs: burn has no double backward).

use super::Sequential;
use super::input_gradient::input_gradient;
use crate::bail;
use crate::error::Result;
use crate::tensor::{BinOp, DynTensor, Reduce, Unary};
use burn::tensor::Distribution;

/// mean over samples of (||∇x D(x̂)||₂ - 1)², x̂ = ε real + (1 - ε) fake with ε ~ U[0, 1)
/// per sample. real and fake are detached: the penalty trains the critic only.
pub fn gradient_penalty(
    critic: &mut Sequential,
    real: &DynTensor,
    fake: &DynTensor,
    label: Option<&DynTensor>,
) -> Result<DynTensor> {
    let shape = real.shape();
    if fake.shape() != shape {
        bail!(
            "real {shape:?} and fake {:?} batches must have one shape",
            fake.shape()
        );
    }
    let mut eps_shape = vec![1; shape.len()];
    eps_shape[0] = shape[0];
    let eps = DynTensor::random(&eps_shape, Distribution::Default)?;
    let mixed = real
        .clone()
        .detach()
        .binary(eps.clone(), BinOp::Mul)?
        .binary(
            fake.clone()
                .detach()
                .binary(eps.rsub_scalar(1.0), BinOp::Mul)?,
            BinOp::Add,
        )?;
    penalty_of(input_gradient(critic, mixed, label)?)
}

/// mean over samples of (||g_i||₂ - 1)² for per-sample input gradients g: [N, ...].
pub fn penalty_of(g: DynTensor) -> Result<DynTensor> {
    let shape = g.shape();
    let n = shape[0];
    let per_sample = g
        .reshape(&[n, shape[1..].iter().product()])?
        .unary(Unary::Square);
    let norms = per_sample
        .reduce(Reduce::Sum, Some(1))?
        .add_scalar(1e-12)
        .unary(Unary::Sqrt);
    norms
        .add_scalar(-1.0)
        .unary(Unary::Square)
        .reduce(Reduce::Mean, None)
}
