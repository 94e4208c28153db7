//! A residual block (He et al., 2016; the SNGAN/BigGAN generator and discriminator blocks):
//! `out = pool(body(up(x)) + shortcut(up(x)))`, where `up` is nearest-neighbour upsampling by
//! `up`, `pool` is average pooling by `down`, and an empty shortcut is the identity. The
//! body and the shortcut are layer lists, so SNGAN's exact blocks are written out:
//! `residual([batch_norm(c), relu(), upsample(2), conv2d(c, c, 3, #{ padding: 1 }), ...],
//! #{ shortcut: [upsample(2), conv2d(c, c, 1)] })`, or with `up: 2` for short.
//!
//! # Shapes
//! - input: [N, C, H, W]
//! - output: [N, C', H * up / down, W * up / down], C' the body's output channels (the
//!   shortcut must give the body's shape)

use super::init::Scheme;
use super::stateless::{Op, resample, resampled_shape};
use super::{Layer, Mode, Sequential};
use crate::error::Result;
use crate::tensor::{BinOp, DynTensor};
use crate::{bail, err};
use burn::module::Module;

#[derive(Module, Debug)]
pub struct Residual {
    pub body: Sequential,
    /// Empty: the identity.
    pub shortcut: Sequential,
    /// Nearest-neighbour upsampling of the input before both paths (1: none).
    #[module(skip)]
    pub up: usize,
    /// Average pooling of the sum (1: none).
    #[module(skip)]
    pub down: usize,
}

impl Residual {
    pub fn new(body: Vec<Layer>, shortcut: Vec<Layer>, up: usize, down: usize) -> Result<Residual> {
        if body.is_empty() {
            bail!("residual needs at least one layer in its body");
        }
        if up == 0 || down == 0 {
            bail!("residual's up and down must be at least 1, got up {up}, down {down}");
        }
        Ok(Residual {
            body: Sequential::new(body),
            shortcut: Sequential::new(shortcut),
            up,
            down,
        })
    }

    pub fn describe(&self) -> String {
        let list = |s: &Sequential| {
            let parts: Vec<String> = s.layers.iter().map(Layer::describe).collect();
            parts.join(", ")
        };
        let mut opts = Vec::new();
        match self.shortcut.layers.len() {
            0 => {}
            1 => opts.push(format!("shortcut: {}", list(&self.shortcut))),
            _ => opts.push(format!("shortcut: [{}]", list(&self.shortcut))),
        }
        if self.up > 1 {
            opts.push(format!("up: {}", self.up));
        }
        if self.down > 1 {
            opts.push(format!("down: {}", self.down));
        }
        match opts.is_empty() {
            true => format!("residual([{}])", list(&self.body)),
            false => format!(
                "residual([{}], #{{ {} }})",
                list(&self.body),
                opts.join(", ")
            ),
        }
    }

    /// The block's summary row: `residual (shortcut, up 2)`; its layers get rows of their own.
    pub fn heading(&self) -> String {
        let mut opts = Vec::new();
        if !self.shortcut.layers.is_empty() {
            opts.push("shortcut".to_string());
        }
        if self.up > 1 {
            opts.push(format!("up {}", self.up));
        }
        if self.down > 1 {
            opts.push(format!("down {}", self.down));
        }
        match opts.is_empty() {
            true => "residual".into(),
            false => format!("residual ({})", opts.join(", ")),
        }
    }

    /// The block's output shape for an input, or which inner layer does not fit.
    pub fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let x = resampled_shape(input, Op::Upsample(self.up))?;
        let h = chain_shape(&self.body, &x).map_err(|e| err!("in its body, {e}"))?;
        let s = chain_shape(&self.shortcut, &x).map_err(|e| err!("in its shortcut, {e}"))?;
        if h != s {
            bail!("{}", mismatch(&h, &s, self.shortcut.layers.is_empty()));
        }
        resampled_shape(&h, Op::AvgPool(self.down))
    }

    /// x: [N, C, H, W]; `label`: class indices [N] for conditional layers in the body.
    pub fn forward(
        &mut self,
        x: DynTensor,
        mode: Mode,
        label: Option<&DynTensor>,
    ) -> Result<DynTensor> {
        let x = resample(x, Op::Upsample(self.up))?;
        let h = self
            .body
            .forward_labeled(x.clone(), mode, label)
            .map_err(|e| err!("in its body, {e}"))?;
        let s = self
            .shortcut
            .forward_labeled(x, mode, label)
            .map_err(|e| err!("in its shortcut, {e}"))?;
        if h.shape() != s.shape() {
            bail!(
                "{}",
                mismatch(&h.shape(), &s.shape(), self.shortcut.layers.is_empty())
            );
        }
        resample(h.binary(s, BinOp::Add)?, Op::AvgPool(self.down))
    }

    pub fn init(&mut self, scheme: Scheme) {
        self.body.init(scheme);
        self.shortcut.init(scheme);
    }
}

/// The shape after every layer of `seq` (the input itself for an empty one).
fn chain_shape(seq: &Sequential, input: &[usize]) -> Result<Vec<usize>> {
    let mut shape = input.to_vec();
    for (i, layer) in seq.layers.iter().enumerate() {
        shape = layer
            .output_shape(&shape)
            .map_err(|e| err!("layer {i} ({}): {e}", layer.describe()))?;
    }
    Ok(shape)
}

fn mismatch(body: &[usize], shortcut: &[usize], identity: bool) -> String {
    match identity {
        true => format!(
            "its body gives {body:?} but its input is {shortcut:?}: without a shortcut the body must keep the shape (add #{{ shortcut: conv2d(c_in, c_out, 1) }})"
        ),
        false => format!("its body gives {body:?} but its shortcut gives {shortcut:?}"),
    }
}
