//! Parameter initialisation: PyTorch's defaults and the schemes `Model.init` offers.

use crate::device;
use burn::module::Param;
use burn::tensor::{Distribution, Shape, Tensor};

/// A trainable parameter drawn from `dist`.
pub fn param<const D: usize>(shape: [usize; D], dist: Distribution) -> Param<Tensor<D>> {
    Param::from_tensor(drawn(Shape::from(shape), dist))
}

/// Values drawn from `dist` by the CPU's generator and moved to the current device: a seed
/// gives the same initial weights on every device (each GPU backend has its own generator).
fn drawn<const D: usize>(shape: Shape, dist: Distribution) -> Tensor<D> {
    let values = Tensor::<D>::random(shape, dist, &burn::tensor::Device::flex()).into_data();
    Tensor::from_data(values, &device::current())
}

/// A trainable parameter filled with `value`.
pub fn constant<const D: usize>(shape: [usize; D], value: f64) -> Param<Tensor<D>> {
    Param::from_tensor(Tensor::full(shape, value, &device::current()))
}

/// PyTorch's default for Linear and Conv weights and biases:
/// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform with a = sqrt(5)).
pub fn torch_default(fan_in: usize) -> Distribution {
    let bound = 1.0 / (fan_in.max(1) as f64).sqrt();
    Distribution::Uniform(-bound, bound)
}

/// The schemes `Model.init(name)` accepts, applied to weight tensors of a layer with the
/// given fan-in and fan-out. Biases are zeroed by every scheme except `default`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scheme {
    /// PyTorch's per-layer defaults.
    Default,
    /// N(0, 0.02) weights, batch-norm gamma N(1, 0.02) and beta 0 (Radford et al., 2015).
    Dcgan,
    /// Glorot uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out)).
    Xavier,
    /// He normal for ReLU nets: N(0, sqrt(2 / fan_in)).
    Kaiming,
}

impl Scheme {
    pub fn parse(name: &str) -> Option<Scheme> {
        Some(match name {
            "default" | "pytorch" => Scheme::Default,
            "dcgan" => Scheme::Dcgan,
            "xavier" | "glorot" => Scheme::Xavier,
            "kaiming" | "he" => Scheme::Kaiming,
            _ => return None,
        })
    }

    /// The distribution of a weight tensor under this scheme.
    pub fn weight(self, fan_in: usize, fan_out: usize) -> Distribution {
        match self {
            Scheme::Default => torch_default(fan_in),
            Scheme::Dcgan => Distribution::Normal(0.0, 0.02),
            Scheme::Xavier => {
                let a = (6.0 / (fan_in + fan_out).max(1) as f64).sqrt();
                Distribution::Uniform(-a, a)
            }
            Scheme::Kaiming => Distribution::Normal(0.0, (2.0 / fan_in.max(1) as f64).sqrt()),
        }
    }

    /// How a bias is filled under this scheme.
    pub fn bias(self, fan_in: usize) -> Fill {
        match self {
            Scheme::Default => Fill::Random(torch_default(fan_in)),
            _ => Fill::Const(0.0),
        }
    }
}

/// What a parameter is refilled with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fill {
    Random(Distribution),
    Const(f64),
}

impl From<Distribution> for Fill {
    fn from(d: Distribution) -> Fill {
        Fill::Random(d)
    }
}

/// Replaces a parameter's value, keeping its id (so optimizer state stays attached) and its
/// trainable flag.
pub fn reset<const D: usize>(p: &Param<Tensor<D>>, fill: impl Into<Fill>) -> Param<Tensor<D>> {
    let shape = p.val().shape();
    let require_grad = p.val().is_require_grad();
    let dev = device::current();
    let t = match fill.into() {
        Fill::Random(dist) => drawn(shape, dist),
        Fill::Const(v) => Tensor::full(shape, v, &dev),
    };
    Param::initialized(p.id, t.set_require_grad(require_grad))
}
