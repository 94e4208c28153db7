//! Fully connected layer: y = x W + b, W stored as [in, out] (burn's layout; PyTorch's
//! [out, in] is its transpose).

use super::init::{self, Scheme};
use crate::error::Result;
use crate::tensor::DynTensor;
use crate::{bail, map_rank};
use burn::module::{Module, Param};
use burn::tensor::Tensor;

#[derive(Module, Debug)]
pub struct Linear {
    /// [in, out]
    pub weight: Param<Tensor<2>>,
    /// [out]
    pub bias: Option<Param<Tensor<1>>>,
}

impl Linear {
    pub fn new(d_in: usize, d_out: usize, bias: bool) -> Linear {
        let dist = init::torch_default(d_in);
        Linear {
            weight: init::param([d_in, d_out], dist),
            bias: bias.then(|| init::param([d_out], dist)),
        }
    }

    pub fn dims(&self) -> (usize, usize) {
        let [d_in, d_out] = self.weight.val().dims();
        (d_in, d_out)
    }

    pub fn describe(&self) -> String {
        let (i, o) = self.dims();
        let bias = if self.bias.is_some() {
            ""
        } else {
            ", bias=false"
        };
        format!("linear({i}, {o}{bias})")
    }

    /// [.., in] -> [.., out]
    pub fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let (d_in, d_out) = self.dims();
        match input.last() {
            Some(&last) if last == d_in => {
                let mut out = input.to_vec();
                *out.last_mut().unwrap() = d_out;
                Ok(out)
            }
            _ => bail!("expects input [N, {d_in}], got {input:?}"),
        }
    }

    pub fn forward(&self, x: DynTensor) -> Result<DynTensor> {
        self.output_shape(&x.shape())?;
        let w = self.weight.val();
        let b = self.bias.as_ref().map(|b| b.val());
        Ok(map_rank!(x, t => burn::tensor::module::linear(t, w.clone(), b.clone())))
    }

    pub fn init(&mut self, scheme: Scheme) {
        let (d_in, d_out) = self.dims();
        self.weight = init::reset(&self.weight, scheme.weight(d_in, d_out));
        if let Some(b) = &self.bias {
            self.bias = Some(init::reset(b, scheme.bias(d_in)));
        }
    }
}
