//! 2-D convolution and transposed convolution, weights in PyTorch's layout.

use super::init::{self, Scheme};
use super::kernels::conv_gemm;
pub use super::kernels::conv_spec::ConvSpec;
use crate::error::Result;
use crate::tensor::DynTensor;
use crate::{bail, err};
use burn::module::{Module, Param};
use burn::tensor::Tensor;

#[derive(Module, Debug)]
pub struct Conv2d {
    /// [out, in, k, k]
    pub weight: Param<Tensor<4>>,
    /// [out]
    pub bias: Option<Param<Tensor<1>>>,
    #[module(skip)]
    pub spec: ConvSpec,
}

#[derive(Module, Debug)]
pub struct ConvTranspose2d {
    /// [in, out, k, k]
    pub weight: Param<Tensor<4>>,
    /// [out]
    pub bias: Option<Param<Tensor<1>>>,
    #[module(skip)]
    pub spec: ConvSpec,
}

/// Checks a [N, C, H, W] input against the channel count a layer expects.
fn check_input(input: &[usize], channels: usize) -> Result<[usize; 4]> {
    match input {
        &[n, c, h, w] if c == channels => Ok([n, c, h, w]),
        _ => bail!("expects input [N, {channels}, H, W], got {input:?}"),
    }
}

impl Conv2d {
    pub fn new(c_in: usize, c_out: usize, spec: ConvSpec) -> Result<Conv2d> {
        spec.validate(false)?;
        let fan_in = c_in * spec.kernel * spec.kernel;
        let dist = init::torch_default(fan_in);
        Ok(Conv2d {
            weight: init::param([c_out, c_in, spec.kernel, spec.kernel], dist),
            bias: spec.bias.then(|| init::param([c_out], dist)),
            spec,
        })
    }

    /// (in, out) channels.
    pub fn channels(&self) -> (usize, usize) {
        let [o, i, _, _] = self.weight.val().dims();
        (i, o)
    }

    pub fn describe(&self) -> String {
        let (i, o) = self.channels();
        format!("conv2d({i}, {o}, {})", self.spec.text())
    }

    /// [N, in, H, W] -> [N, out, H', W'], H' = (H + 2p - d(k-1) - 1) / s + 1
    pub fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let (c_in, c_out) = self.channels();
        let [n, _, h, w] = check_input(input, c_in)?;
        let s = &self.spec;
        let side = |x: usize| {
            s.conv_side(x).ok_or_else(|| {
                err!(
                    "input {x}x{x} plus padding {} is smaller than the kernel span {} (input {input:?})",
                    s.padding,
                    s.dilation * (s.kernel - 1) + 1
                )
            })
        };
        Ok(vec![n, c_out, side(h)?, side(w)?])
    }

    pub fn forward(&self, x: DynTensor) -> Result<DynTensor> {
        self.output_shape(&x.shape())?;
        let x = x.ranked::<4>("conv2d")?;
        let b = self.bias.as_ref().map(|b| b.val());
        let y = conv_gemm::conv2d(x, self.weight.val(), b, &self.spec);
        Ok(DynTensor::R4(y))
    }

    pub fn init(&mut self, scheme: Scheme) {
        let (i, o) = self.channels();
        let k2 = self.spec.kernel * self.spec.kernel;
        self.weight = init::reset(&self.weight, scheme.weight(i * k2, o * k2));
        if let Some(b) = &self.bias {
            self.bias = Some(init::reset(b, scheme.bias(i * k2)));
        }
    }
}

impl ConvTranspose2d {
    pub fn new(c_in: usize, c_out: usize, spec: ConvSpec) -> Result<ConvTranspose2d> {
        spec.validate(true)?;
        // PyTorch computes fan_in from weight dim 1 (out channels) for transposed convs.
        let fan_in = c_out * spec.kernel * spec.kernel;
        let dist = init::torch_default(fan_in);
        Ok(ConvTranspose2d {
            weight: init::param([c_in, c_out, spec.kernel, spec.kernel], dist),
            bias: spec.bias.then(|| init::param([c_out], dist)),
            spec,
        })
    }

    /// (in, out) channels.
    pub fn channels(&self) -> (usize, usize) {
        let [i, o, _, _] = self.weight.val().dims();
        (i, o)
    }

    pub fn describe(&self) -> String {
        let (i, o) = self.channels();
        format!("conv_transpose2d({i}, {o}, {})", self.spec.text())
    }

    /// [N, in, H, W] -> [N, out, H', W'], H' = (H - 1) s - 2p + d(k-1) + op + 1
    pub fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let (c_in, c_out) = self.channels();
        let [n, _, h, w] = check_input(input, c_in)?;
        let s = &self.spec;
        let side = |x: usize| {
            s.transposed_side(x).ok_or_else(|| {
                err!(
                    "padding {} leaves no output from a {x}x{x} input (input {input:?})",
                    s.padding
                )
            })
        };
        Ok(vec![n, c_out, side(h)?, side(w)?])
    }

    pub fn forward(&self, x: DynTensor) -> Result<DynTensor> {
        self.output_shape(&x.shape())?;
        let x = x.ranked::<4>("conv_transpose2d")?;
        let b = self.bias.as_ref().map(|b| b.val());
        let y = conv_gemm::conv_transpose2d(x, self.weight.val(), b, &self.spec);
        Ok(DynTensor::R4(y))
    }

    pub fn init(&mut self, scheme: Scheme) {
        let (i, o) = self.channels();
        let k2 = self.spec.kernel * self.spec.kernel;
        self.weight = init::reset(&self.weight, scheme.weight(o * k2, i * k2));
        if let Some(b) = &self.bias {
            self.bias = Some(init::reset(b, scheme.bias(o * k2)));
        }
    }
}
