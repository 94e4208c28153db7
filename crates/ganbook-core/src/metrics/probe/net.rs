//! The probe's network: a small conv classifier built from ganbook's own layers, with its
//! parameters drawn from the probe's own seeded generator (never the session's, so building
//! a probe changes no random draw of the script), and read back as plain vectors for the
//! cache.
//!
//! ```text
//! [n, c, s, s] -> conv 3x3 (w)        BN ReLU  -> [n, w, s, s]
//!              -> conv 3x3 /2 (w)     BN ReLU  -> [n, w, s/2, s/2]
//!              -> conv 3x3 /2 (2w)    BN ReLU  -> [n, 2w, s/4, s/4]
//!              -> conv 3x3 /2 (4w)    BN ReLU  -> [n, 4w, s/8, s/8]
//!              -> flatten -> linear (features) ReLU   <- the features FID uses
//!              -> linear (logits of every head)
//! ```
//! (sizes round up: s/2 is ceil(s/2).)

use crate::error::Result;
use crate::nn::conv::{Conv2d, ConvSpec};
use crate::nn::layer::Layer;
use crate::nn::linear::Linear;
use crate::nn::norm::BatchNorm;
use crate::nn::stateless::{Op, Stateless};
use crate::nn::{Mode, Sequential};
use crate::tensor::DynTensor;
use crate::{bail, device};
use burn::module::Param;
use burn::tensor::{Tensor, TensorData};
use rand::Rng;
use rand::rngs::StdRng;

/// The shape of a probe network.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Arch {
    pub channels: usize,
    pub size: usize,
    /// Channels of the first convolution (doubled twice on the way down).
    pub width: usize,
    /// Dimension of the feature layer.
    pub features: usize,
    /// Logits of all heads.
    pub outputs: usize,
}

impl Arch {
    /// Side of the last feature map.
    fn last_side(&self) -> usize {
        (0..3).fold(self.size, |s, _| s.div_ceil(2))
    }

    /// The convolutions: (in, out, stride).
    fn convs(&self) -> [(usize, usize, usize); 4] {
        let w = self.width;
        [
            (self.channels, w, 1),
            (w, w, 2),
            (w, 2 * w, 2),
            (2 * w, 4 * w, 2),
        ]
    }

    /// Index of the feature layer's ReLU: features are the output of layers `0..=index`.
    pub fn feature_layer(&self) -> usize {
        // 4 convs x (conv, BN, ReLU), flatten, linear, ReLU
        4 * 3 + 2
    }
}

/// Where parameter values come from while building: a fresh initialisation, or stored
/// values in build order.
pub enum Values<'a> {
    /// PyTorch's default uniform initialisation from this generator.
    Init(&'a mut StdRng),
    /// Stored tensors, consumed in order.
    Stored(std::vec::IntoIter<Vec<f32>>),
}

impl Values<'_> {
    /// A parameter of `shape` with fan-in `fan_in` (`fill`: a constant instead, for
    /// batch-norm).
    fn next<const D: usize>(
        &mut self,
        shape: [usize; D],
        fan_in: usize,
        fill: Option<f32>,
        trainable: bool,
    ) -> Result<Param<Tensor<D>>> {
        let n: usize = shape.iter().product();
        let v = match self {
            Values::Init(r) => match fill {
                Some(c) => vec![c; n],
                None => {
                    let b = 1.0 / (fan_in as f32).sqrt();
                    (0..n).map(|_| r.random_range(-b..b)).collect()
                }
            },
            Values::Stored(it) => match it.next() {
                Some(v) if v.len() == n => v,
                Some(v) => bail!(
                    "stored probe parameter has {} values for {shape:?}",
                    v.len()
                ),
                None => bail!("stored probe parameters end early"),
            },
        };
        let t = Tensor::<D>::from_data(TensorData::new(v, shape.to_vec()), &device::current());
        Ok(Param::from_tensor(t.set_require_grad(trainable)))
    }
}

fn relu() -> Layer {
    Layer::Stateless(Stateless { op: Op::Relu })
}

/// Builds the network. `trainable`: parameters that take gradients (training) or not
/// (inference: no autodiff graph is recorded).
pub fn build(arch: &Arch, mut values: Values, trainable: bool) -> Result<Sequential> {
    let mut layers = Vec::new();
    for (c_in, c_out, stride) in arch.convs() {
        let spec = ConvSpec {
            stride,
            padding: 1,
            ..ConvSpec::new(3)
        };
        let fan_in = c_in * 9;
        layers.push(Layer::Conv2d(Conv2d {
            weight: values.next([c_out, c_in, 3, 3], fan_in, None, trainable)?,
            bias: Some(values.next([c_out], fan_in, None, trainable)?),
            spec,
        }));
        let mut bn = BatchNorm::new(c_out);
        bn.weight = values.next([c_out], 1, Some(1.0), trainable)?;
        bn.bias = values.next([c_out], 1, Some(0.0), trainable)?;
        bn.running_mean = values.next([c_out], 1, Some(0.0), false)?;
        bn.running_var = values.next([c_out], 1, Some(1.0), false)?;
        layers.push(Layer::BatchNorm(bn));
        layers.push(relu());
    }
    layers.push(Layer::Stateless(Stateless { op: Op::Flatten }));
    let side = arch.last_side();
    for (d_in, d_out) in [
        (4 * arch.width * side * side, arch.features),
        (arch.features, arch.outputs),
    ] {
        layers.push(Layer::Linear(Linear {
            weight: values.next([d_in, d_out], d_in, None, trainable)?,
            bias: Some(values.next([d_out], d_in, None, trainable)?),
        }));
        if d_out == arch.features {
            layers.push(relu());
        }
    }
    if let Values::Stored(it) = &values
        && it.len() > 0
    {
        bail!("{} stored probe parameters left over", it.len());
    }
    Ok(Sequential::new(layers))
}

/// Every parameter's values, in build order.
pub fn values(net: &Sequential) -> Vec<Vec<f32>> {
    fn v<const D: usize>(p: &Param<Tensor<D>>) -> Vec<f32> {
        p.val()
            .into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .unwrap_or_default()
    }
    let mut out = Vec::new();
    for layer in &net.layers {
        match layer {
            Layer::Conv2d(c) => {
                out.push(v(&c.weight));
                out.extend(c.bias.iter().map(v));
            }
            Layer::BatchNorm(b) => {
                out.extend([&b.weight, &b.bias, &b.running_mean, &b.running_var].map(v));
            }
            Layer::Linear(l) => {
                out.push(v(&l.weight));
                out.extend(l.bias.iter().map(v));
            }
            _ => {}
        }
    }
    out
}

/// The features `[n, features]` and logits `[n, outputs]` of prepared images, in evaluation
/// mode.
pub fn run(net: &Sequential, arch: &Arch, x: DynTensor) -> Result<(DynTensor, DynTensor)> {
    let mut net = net.clone();
    let eval = Mode { training: false };
    let split = arch.feature_layer() + 1;
    let mut h = x.detach();
    for layer in &mut net.layers[..split] {
        h = layer.forward(h, eval)?;
    }
    let mut out = h.clone();
    for layer in &mut net.layers[split..] {
        out = layer.forward(out, eval)?;
    }
    Ok((h, out))
}
