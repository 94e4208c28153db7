//! Optimizers with PyTorch's semantics (Adam, SGD with momentum, RMSprop), on burn's
//! implementations. One optimizer may own several models; a step updates only those.

use super::Sequential;
use super::kernels::flex::flex_f32;
use super::kernels::wanted_grads;
use crate::bail;
use crate::error::{Result, guard};
use crate::tensor::DynTensor;
use burn::backend::autodiff::NodeId;
use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer, RmsPropConfig, SgdConfig};
use burn::tensor::Tensor;
use std::collections::HashSet;

/// Which algorithm, with PyTorch's defaults where a script leaves a value out.
#[derive(Clone, Debug, PartialEq)]
pub enum Algorithm {
    /// betas (0.9, 0.999), eps 1e-8, weight_decay 0 (L2 added to the gradient, as torch.optim.Adam)
    Adam {
        betas: (f64, f64),
        eps: f64,
        weight_decay: f64,
    },
    /// momentum 0 (plain SGD), dampening 0, weight_decay 0
    Sgd { momentum: f64, weight_decay: f64 },
    /// alpha 0.99, eps 1e-8, no momentum, not centered
    RmsProp {
        alpha: f64,
        eps: f64,
        weight_decay: f64,
    },
}

impl Algorithm {
    pub fn adam() -> Algorithm {
        Algorithm::Adam {
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }

    pub fn sgd() -> Algorithm {
        Algorithm::Sgd {
            momentum: 0.0,
            weight_decay: 0.0,
        }
    }

    pub fn rmsprop() -> Algorithm {
        Algorithm::RmsProp {
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Algorithm::Adam { .. } => "adam",
            Algorithm::Sgd { .. } => "sgd",
            Algorithm::RmsProp { .. } => "rmsprop",
        }
    }

    fn build(&self) -> ModuleOptimizer {
        let decay = |wd: f64| (wd != 0.0).then(|| WeightDecayConfig::new(wd as f32));
        match *self {
            Algorithm::Adam {
                betas,
                eps,
                weight_decay,
            } => AdamConfig::new()
                .with_beta_1(betas.0 as f32)
                .with_beta_2(betas.1 as f32)
                .with_epsilon(eps as f32)
                .with_weight_decay(decay(weight_decay))
                .init(),
            Algorithm::Sgd {
                momentum,
                weight_decay,
            } => SgdConfig::new()
                .with_momentum((momentum != 0.0).then_some(MomentumConfig {
                    momentum,
                    dampening: 0.0,
                    nesterov: false,
                }))
                .with_weight_decay(decay(weight_decay))
                .init(),
            Algorithm::RmsProp {
                alpha,
                eps,
                weight_decay,
            } => RmsPropConfig::new()
                .with_alpha(alpha as f32)
                .with_momentum(0.0)
                .with_epsilon(eps as f32)
                .with_weight_decay(decay(weight_decay))
                .init(),
        }
    }
}

pub struct Optimizer {
    pub algorithm: Algorithm,
    pub lr: f64,
    inner: ModuleOptimizer,
}

impl Optimizer {
    pub fn new(algorithm: Algorithm, lr: f64) -> Result<Optimizer> {
        if !(lr.is_finite() && lr >= 0.0) {
            bail!("learning rate must be a finite number >= 0, got {lr}");
        }
        let inner = algorithm.build();
        Ok(Optimizer {
            algorithm,
            lr,
            inner,
        })
    }

    /// Back-propagates `loss` (one element) and updates `models`; gradients that reached any
    /// other model are dropped. When a gradient holds a NaN or Inf, nothing is updated and
    /// the result is `Some(NaN or Inf)` (the weights stay finite).
    pub fn step(
        &mut self,
        models: &mut [&mut Sequential],
        loss: &DynTensor,
    ) -> Result<Option<f64>> {
        if loss.numel() != 1 {
            bail!(
                "step needs a scalar loss (one element), got shape {:?}",
                loss.shape()
            );
        }
        let loss = loss.clone().reshape(&[1])?.ranked::<1>("step")?;
        guard("backward", || {
            crate::device::set_doing(&"backward (gradients of the loss)");
            // only `models`' weight gradients are computed (see wanted_grads)
            let mut grads = match parameters_of(models) {
                Some(wanted) => wanted_grads::with_wanted(wanted, || loss.backward()),
                None => loss.backward(),
            };
            let params: Vec<GradientsParams> = models
                .iter()
                .map(|m| GradientsParams::from_module(&mut grads, &**m))
                .collect();
            if let Some(bad) = non_finite(models, &params) {
                return Ok(Some(bad));
            }
            crate::device::set_doing(&"optimizer update");
            crate::device::failpoint("optimizer_update");
            for (model, params) in models.iter_mut().zip(params) {
                let updated = self.inner.step(self.lr, (**model).clone(), params);
                **model = updated;
            }
            Ok(None)
        })
    }

    /// An independent copy with the same state (moments, step counts, keyed by parameter
    /// id): for notebook snapshots, whose model copies keep their parameter ids.
    pub fn duplicate(&self) -> Optimizer {
        Optimizer {
            algorithm: self.algorithm.clone(),
            lr: self.lr,
            inner: self.algorithm.build().load_record(self.inner.to_record()),
        }
    }

    /// Writes the optimizer's state (moments, step counts; keyed by parameter id) as burnpack.
    pub fn save_state(&self, path: &std::path::Path) -> Result<()> {
        self.inner
            .save(path)
            .map_err(|e| crate::err!("cannot write {}: {e}", path.display()))
    }

    /// Reads state written by [`Optimizer::save_state`]; the models' parameter ids must be
    /// those saved with it (a checkpoint restores both).
    pub fn load_state(&mut self, path: &std::path::Path) -> Result<()> {
        let bytes =
            std::fs::read(path).map_err(|e| crate::err!("cannot load {}: {e}", path.display()))?;
        self.load_state_bytes(bytes)
            .map_err(|e| crate::err!("{}: {e}", path.display()))
    }

    /// [`Optimizer::load_state`] from the bytes of the file; the state is changed only on
    /// success.
    pub fn load_state_bytes(&mut self, bytes: Vec<u8>) -> Result<()> {
        let fresh = self.algorithm.build();
        let bytes = burn::tensor::Bytes::from_bytes_vec(bytes);
        self.inner = guard("", || {
            fresh
                .from_bytes(bytes)
                .map_err(|e| crate::err!("damaged or not an optimizer state file: {e}"))
        })?;
        Ok(())
    }
}

/// NaN when some gradient of `models` holds a NaN, Inf when one holds an infinity, None when
/// all are finite: one reduction per parameter and one read for all of them (the NaN/Inf
/// distinction is only made when needed).
fn non_finite(models: &[&mut Sequential], params: &[GradientsParams]) -> Option<f64> {
    // the sum of 0 * grad over all gradients: 0, or NaN as soon as one value is NaN or Inf
    let mut zero: Option<Tensor<1>> = None;
    each_grad(models, params, |g| {
        let z = g.mul_scalar(0.0).sum();
        zero = Some(zero.take().map_or(z.clone(), |acc| acc + z));
    });
    if zero?.into_scalar::<f32>() == 0.0 {
        return None;
    }
    let mut nan = false;
    each_grad(models, params, |g| {
        nan = nan || g.contains_nan().into_scalar::<bool>();
    });
    Some(if nan { f64::NAN } else { f64::INFINITY })
}

/// Calls `f` with every gradient of `models` in `params`, flattened.
fn each_grad(models: &[&mut Sequential], params: &[GradientsParams], f: impl FnMut(Tensor<1>)) {
    struct Each<'a, F> {
        params: &'a GradientsParams,
        f: F,
    }
    impl<F: FnMut(Tensor<1>)> ModuleVisitor for Each<'_, F> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if let Some(g) = self.params.get::<D>(param.id) {
                (self.f)(g.flatten::<1>(0, D - 1));
            }
        }
    }
    let mut each = Each {
        params: &params[0],
        f,
    };
    for (m, p) in models.iter().zip(params) {
        each.params = p;
        m.visit(&mut each);
    }
}

/// The autodiff nodes of the parameters of `models`, or None when one of them is not a
/// float32 tensor on the CPU kernels' backend (then nothing is skipped).
fn parameters_of(models: &[&mut Sequential]) -> Option<HashSet<NodeId>> {
    struct Nodes {
        ids: Option<HashSet<NodeId>>,
    }
    impl ModuleVisitor for Nodes {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let id = flex_f32(&param.val()).map(|t| t.id());
            match (self.ids.as_mut(), id) {
                (Some(ids), Some(id)) => {
                    ids.insert(id);
                }
                _ => self.ids = None,
            }
        }
    }
    let mut nodes = Nodes {
        ids: Some(HashSet::new()),
    };
    for m in models {
        m.visit(&mut nodes);
    }
    nodes.ids
}
