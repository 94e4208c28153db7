//! The settings of a square-kernel convolution and the output sides they give; shared by the
//! convolution layers (nn/conv.rs) and the CPU kernels here.

use crate::bail;
use crate::error::Result;

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

    pub(crate) fn text(&self) -> String {
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
