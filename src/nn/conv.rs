//! 2-D convolution and transposed convolution, weights in PyTorch's layout.

use super::conv_gemm;
use super::init::{self, Scheme};
use crate::error::Result;
use crate::tensor::DynTensor;
use crate::{bail, err};
use burn::module::{Module, Param};
use burn::tensor::Tensor;

/// Square-kernel settings shared by both convolutions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConvSpec {
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
    pub dilation: usize,
    /// Transposed convolution only: extra rows/cols added to one side of the output.
    pub output_padding: usize,
    pub bias: bool,
}

impl ConvSpec {
    pub fn new(kernel: usize) -> ConvSpec {
        ConvSpec {
            kernel,
            stride: 1,
            padding: 0,
            dilation: 1,
            output_padding: 0,
            bias: true,
        }
    }

    /// Checks the numbers a user can get wrong before burn asserts on them.
    pub fn validate(&self, transposed: bool) -> Result<()> {
        if self.kernel == 0 || self.stride == 0 || self.dilation == 0 {
            bail!("kernel, stride and dilation must be at least 1 ({self:?})");
        }
        if transposed && self.output_padding >= self.stride.max(self.dilation) {
            bail!(
                "output_padding ({}) must be smaller than stride or dilation",
                self.output_padding
            );
        }
        Ok(())
    }

    /// A convolution's output side for an input side `x`: (x + 2p - d(k-1) - 1) / s + 1, or
    /// None when the padded input is shorter than the kernel's span.
    pub fn conv_side(&self, x: usize) -> Option<usize> {
        let span = self.dilation * (self.kernel - 1) + 1;
        (x + 2 * self.padding)
            .checked_sub(span)
            .map(|v| v / self.stride + 1)
    }

    /// A transposed convolution's output side for an input side `x`:
    /// (x - 1)s - 2p + d(k-1) + op + 1, or None when the padding leaves nothing.
    pub fn transposed_side(&self, x: usize) -> Option<usize> {
        let full = x.checked_sub(1)? * self.stride
            + self.dilation * (self.kernel - 1)
            + self.output_padding
            + 1;
        full.checked_sub(2 * self.padding).filter(|&v| v > 0)
    }

    fn text(&self) -> String {
        let mut s = format!("k={}", self.kernel);
        if self.stride != 1 {
            s += &format!(", s={}", self.stride);
        }
        if self.padding != 0 {
            s += &format!(", p={}", self.padding);
        }
        if self.dilation != 1 {
            s += &format!(", d={}", self.dilation);
        }
        if self.output_padding != 0 {
            s += &format!(", op={}", self.output_padding);
        }
        if !self.bias {
            s += ", bias=false";
        }
        s
    }
}

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
