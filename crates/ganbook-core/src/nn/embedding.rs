//! Embedding table: class index -> learned vector (for conditional GANs).

use super::init::{self, Scheme};
use crate::bail;
use crate::error::Result;
use crate::tensor::DynTensor;
use burn::module::{Module, Param};
use burn::tensor::{Distribution, Tensor};

#[derive(Module, Debug)]
pub struct Embedding {
    /// [n, d], rows drawn from N(0, 1) as in PyTorch.
    pub weight: Param<Tensor<2>>,
}

impl Embedding {
    pub fn new(n: usize, d: usize) -> Embedding {
        Embedding {
            weight: init::param([n, d], Distribution::Normal(0.0, 1.0)),
        }
    }

    pub fn dims(&self) -> (usize, usize) {
        let [n, d] = self.weight.val().dims();
        (n, d)
    }

    pub fn describe(&self) -> String {
        let (n, d) = self.dims();
        format!("embedding({n}, {d})")
    }

    /// [N] class indices -> [N, d]
    pub fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        match input {
            &[n] => Ok(vec![n, self.dims().1]),
            _ => bail!("expects class indices [N], got {input:?}"),
        }
    }

    pub fn forward(&self, x: DynTensor) -> Result<DynTensor> {
        let shape = self.output_shape(&x.shape())?;
        let idx = x.to_indices("embedding", self.dims().0)?;
        let rows = self.weight.val().select(0, idx);
        DynTensor::new(rows).reshape(&shape)
    }

    pub fn init(&mut self, scheme: Scheme) {
        if scheme != Scheme::Default {
            let (n, d) = self.dims();
            self.weight = init::reset(&self.weight, scheme.weight(n, d));
        }
    }
}
