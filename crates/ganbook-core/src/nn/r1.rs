//! The R1 penalty (Mescheder et al., 2018; StyleGAN's regulariser): the mean over real
//! samples of |grad_x D(x)|^2, added to D's loss times gamma / 2. Its input gradient is
//! written out layer by layer as the gradient penalty's is (burn has no double backward), so
//! the critic may hold what `gradient_penalty` allows.
//!
//! # Shapes
//! - real: [N, ...] as D takes it -> a scalar [1]

use super::Sequential;
use super::input_gradient::input_gradient;
use crate::error::Result;
use crate::tensor::{DynTensor, Reduce, Unary};

/// mean over samples of the squared norm of D's input gradient at the real samples (with
/// their classes, `label`, for a conditional D).
pub fn r1_penalty(
    critic: &mut Sequential,
    real: &DynTensor,
    label: Option<&DynTensor>,
) -> Result<DynTensor> {
    let g = input_gradient(critic, real.clone().detach(), label)?;
    let shape = g.shape();
    g.reshape(&[shape[0], shape[1..].iter().product()])?
        .unary(Unary::Square)
        .reduce(Reduce::Sum, Some(1))?
        .reduce(Reduce::Mean, None)
}
