//! Spectral normalisation (Miyato et al., 2018; SNGAN): a linear, conv2d or
//! conv_transpose2d layer whose weight is divided by an estimate of its largest singular
//! value, sigma = u^T W v, so the layer is (about) 1-Lipschitz. u and v are kept between
//! forward passes and refined by one power iteration per training forward, exactly as
//! `torch.nn.utils.parametrizations.spectral_norm`: u = normalize(W v), then
//! v = normalize(W^T u), without gradients; the gradient flows through sigma to W.
//! W is the weight as a matrix [out, rest]: PyTorch's dim 0 of Linear and Conv2d weights, dim
//! 1 of ConvTranspose2d's.
//!
//! # Shapes
//! - as the wrapped layer's; u: [out], v: [in * k * k] (or [in] for linear)

use super::Mode;
use super::conv::{Conv2d, ConvTranspose2d};
use super::init::Scheme;
use super::layer::Layer;
use super::linear::Linear;
use crate::bail;
use crate::device;
use crate::error::Result;
use crate::tensor::DynTensor;
use burn::module::{Module, Param};
use burn::tensor::{Distribution, Tensor, TensorData};

/// PyTorch's default eps for the normalisation.
const EPS: f64 = 1e-12;
/// Power iterations when the wrapper is made (PyTorch: 15).
const FIRST_ITERATIONS: usize = 15;

/// The layers spectral norm can wrap.
#[derive(Module, Debug)]
pub enum Normed {
    Linear(Linear),
    Conv2d(Conv2d),
    ConvTranspose2d(ConvTranspose2d),
}

#[derive(Module, Debug)]
pub struct SpectralNorm {
    pub inner: Normed,
    /// [out], the left singular vector estimate (a buffer)
    pub u: Param<Tensor<1>>,
    /// [rest], the right singular vector estimate (a buffer)
    pub v: Param<Tensor<1>>,
}

fn normalize(t: Tensor<1>) -> Tensor<1> {
    let norm = t.clone().powf_scalar(2.0).sum().sqrt().clamp_min(EPS);
    t / norm
}

/// W x for a matrix [r, c] and a vector [c].
fn mv(w: Tensor<2>, x: Tensor<1>) -> Tensor<1> {
    let [r, c] = w.dims();
    w.matmul(x.reshape([c, 1])).reshape([r])
}

fn buffer(values: Tensor<1>) -> Param<Tensor<1>> {
    Param::from_tensor(values.detach().set_require_grad(false))
}

impl SpectralNorm {
    /// Wraps `layer`, with u and v drawn from the session's generator and refined as
    /// PyTorch does when it wraps a layer.
    pub fn new(layer: Layer) -> Result<SpectralNorm> {
        let inner = match layer {
            Layer::Linear(l) => Normed::Linear(l),
            Layer::Conv2d(l) => Normed::Conv2d(l),
            Layer::ConvTranspose2d(l) => Normed::ConvTranspose2d(l),
            other => bail!(
                "spectral_norm wraps linear, conv2d or conv_transpose2d, got {}",
                other.describe()
            ),
        };
        let w = matrix(&inner).detach();
        let [r, c] = w.dims();
        let random = |n: usize| {
            let values = crate::rng::sample(Distribution::Normal(0.0, 1.0), n);
            normalize(Tensor::from_data(
                TensorData::new(values, [n]),
                &device::current(),
            ))
        };
        let (mut u, mut v) = (random(r), random(c));
        for _ in 0..FIRST_ITERATIONS {
            u = normalize(mv(w.clone(), v));
            v = normalize(mv(w.clone().transpose(), u.clone()));
        }
        Ok(SpectralNorm {
            inner,
            u: buffer(u),
            v: buffer(v),
        })
    }

    /// The wrapped layer as a `Layer` (a copy sharing its tensors).
    pub fn layer(&self) -> Layer {
        match &self.inner {
            Normed::Linear(l) => Layer::Linear(l.clone()),
            Normed::Conv2d(l) => Layer::Conv2d(l.clone()),
            Normed::ConvTranspose2d(l) => Layer::ConvTranspose2d(l.clone()),
        }
    }

    pub fn describe(&self) -> String {
        format!("spectral_norm({})", self.layer().describe())
    }

    pub fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        self.layer().output_shape(input)
    }

    /// sigma = u^T W v, differentiable in W (u and v are constants).
    pub fn sigma(&self) -> Tensor<1> {
        let w = matrix(&self.inner);
        (self.u.val() * mv(w, self.v.val())).sum()
    }

    /// One power iteration on u and v (training mode only, as PyTorch).
    fn power_iteration(&mut self) {
        let w = matrix(&self.inner).detach();
        let u = normalize(mv(w.clone(), self.v.val()));
        let v = normalize(mv(w.transpose(), u.clone()));
        self.u = Param::initialized(self.u.id, u.set_require_grad(false));
        self.v = Param::initialized(self.v.id, v.set_require_grad(false));
    }

    /// The wrapped layer with its weight divided by sigma.
    pub fn normalized(&self) -> Layer {
        let sigma = self.sigma();
        match &self.inner {
            Normed::Linear(l) => Layer::Linear(Linear {
                weight: divided(&l.weight, sigma),
                bias: l.bias.clone(),
            }),
            Normed::Conv2d(l) => Layer::Conv2d(Conv2d {
                weight: divided(&l.weight, sigma),
                ..l.clone()
            }),
            Normed::ConvTranspose2d(l) => Layer::ConvTranspose2d(ConvTranspose2d {
                weight: divided(&l.weight, sigma),
                ..l.clone()
            }),
        }
    }

    pub fn forward(&mut self, x: DynTensor, mode: Mode) -> Result<DynTensor> {
        if mode.training {
            self.power_iteration();
        }
        self.normalized().forward(x, mode)
    }

    /// Re-draws the wrapped layer's parameters (u and v are kept, as PyTorch keeps them).
    pub fn init(&mut self, scheme: Scheme) {
        match &mut self.inner {
            Normed::Linear(l) => l.init(scheme),
            Normed::Conv2d(l) => l.init(scheme),
            Normed::ConvTranspose2d(l) => l.init(scheme),
        }
    }
}

/// `w / sigma` under w's id (the gradient reaches w through it).
fn divided<const D: usize>(w: &Param<Tensor<D>>, sigma: Tensor<1>) -> Param<Tensor<D>> {
    Param::initialized(w.id, w.val() / sigma.reshape([1; D]))
}

/// The weight as PyTorch's spectral norm sees it: [out, rest].
fn matrix(inner: &Normed) -> Tensor<2> {
    match inner {
        // burn's Linear weight is [in, out]: PyTorch's [out, in] is its transpose
        Normed::Linear(l) => l.weight.val().transpose(),
        Normed::Conv2d(l) => l.weight.val().flatten::<2>(1, 3),
        // [in, out, k, k] -> [out, in, k, k] -> [out, in * k * k]
        Normed::ConvTranspose2d(l) => l.weight.val().swap_dims(0, 1).flatten::<2>(1, 3),
    }
}
