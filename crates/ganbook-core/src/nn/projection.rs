//! The projection discriminator's head (Miyato & Koyama, 2018; SNGAN and BigGAN's class-
//! conditional D): from D's features h and the sample's class y, `linear(h) + <embed(y), h>`.
//! The inner product asks whether the features fit the class the sample claims.
//!
//! # Shapes
//! - input: [N, features]; label: [N] class indices
//! - output: [N, 1]

use super::conditional_norm::labels_for;
use super::embedding::Embedding;
use super::init::Scheme;
use super::linear::Linear;
use crate::bail;
use crate::error::Result;
use crate::tensor::{BinOp, DynTensor, Reduce};
use burn::module::Module;

#[derive(Module, Debug)]
pub struct Projection {
    /// features -> 1
    pub linear: Linear,
    /// [n_classes, features]
    pub embed: Embedding,
}

impl Projection {
    /// The class vectors start Glorot-uniform, as SNGAN's code draws them (PyTorch's
    /// Embedding default, N(0, 1), makes the inner product's scale grow with the features and
    /// saturates D's first logits).
    pub fn new(classes: usize, features: usize) -> Projection {
        let mut embed = Embedding::new(classes, features);
        embed.init(Scheme::Xavier);
        Projection {
            linear: Linear::new(features, 1, true),
            embed,
        }
    }

    pub fn describe(&self) -> String {
        let (n, f) = self.embed.dims();
        format!("projection({n}, {f})")
    }

    pub fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let f = self.embed.dims().1;
        match input {
            &[n, k] if k == f => Ok(vec![n, 1]),
            _ => bail!("expects features [N, {f}], got {input:?}"),
        }
    }

    /// h: [N, F], label: [N] -> [N, 1]
    pub fn forward(&self, h: DynTensor, label: Option<&DynTensor>) -> Result<DynTensor> {
        let shape = self.output_shape(&h.shape())?;
        let label = labels_for(label, shape[0], "D.forward(x, y)")?;
        let e = self.embed.forward(label.clone())?; // [N, F]
        let inner = e
            .binary(h.clone(), BinOp::Mul)?
            .reduce(Reduce::Sum, Some(1))?
            .reshape(&shape)?; // [N, 1]
        self.linear.forward(h)?.binary(inner, BinOp::Add)
    }

    /// d(sum(g * out))/dh, differentiable in the weights (for the gradient and R1
    /// penalties): g W^T + g * embed(y). g: [N, 1] -> [N, F]
    pub fn input_gradient(&self, g: DynTensor, label: Option<&DynTensor>) -> Result<DynTensor> {
        let n = g.shape()[0];
        let label = labels_for(
            label,
            n,
            "r1_penalty(D, real, y) or gradient_penalty(D, real, fake, y)",
        )?;
        let w = DynTensor::new(self.linear.weight.val().transpose()); // [1, F]
        let e = self.embed.forward(label.clone())?; // [N, F]
        g.clone()
            .matmul(w)?
            .binary(e.binary(g, BinOp::Mul)?, BinOp::Add)
    }

    pub fn init(&mut self, scheme: Scheme) {
        self.linear.init(scheme);
        self.embed.init(scheme);
    }
}
