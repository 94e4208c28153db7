//! Optimizers in scripts: `adam(G, #{lr: 2e-4, betas: [0.5, 0.999]})`, then `opt.step(loss)`.

use super::convert::{Options, ScriptResult, call, num};
use super::def;
use super::model_fns::{Model, models};
use crate::error::Result;
use crate::nn::optim::{Algorithm, Optimizer};
use crate::state::RunState;
use crate::tensor::DynTensor;
use rhai::{Dynamic, Engine, Map};
use std::sync::{Arc, Mutex};

pub struct OptState {
    pub optimizer: Optimizer,
    pub models: Vec<Model>,
}

#[derive(Clone)]
pub struct Opt(pub Arc<Mutex<OptState>>);

fn make(models_v: &Dynamic, m: &Map, algo: Algorithm) -> Result<Opt> {
    let what = algo.name();
    let (known, default_lr): (&[&str], f64) = match algo {
        Algorithm::Adam { .. } => (&["lr", "betas", "eps", "weight_decay"], 1e-3),
        Algorithm::Sgd { .. } => (&["lr", "momentum", "weight_decay"], 1e-3),
        Algorithm::RmsProp { .. } => (&["lr", "alpha", "eps", "weight_decay"], 1e-2),
    };
    let o = Options::new(m, what, known)?;
    let algorithm = match algo {
        Algorithm::Adam {
            betas,
            eps,
            weight_decay,
        } => Algorithm::Adam {
            betas: o.pair("betas", betas)?,
            eps: o.f64("eps", eps)?,
            weight_decay: o.f64("weight_decay", weight_decay)?,
        },
        Algorithm::Sgd {
            momentum,
            weight_decay,
        } => Algorithm::Sgd {
            momentum: o.f64("momentum", momentum)?,
            weight_decay: o.f64("weight_decay", weight_decay)?,
        },
        Algorithm::RmsProp {
            alpha,
            eps,
            weight_decay,
        } => Algorithm::RmsProp {
            alpha: o.f64("alpha", alpha)?,
            eps: o.f64("eps", eps)?,
            weight_decay: o.f64("weight_decay", weight_decay)?,
        },
    };
    let optimizer = Optimizer::new(algorithm, o.f64("lr", default_lr)?)?;
    let models = models(models_v, what)?;
    Ok(Opt(Arc::new(Mutex::new(OptState { optimizer, models }))))
}

impl Opt {
    /// Back-propagates `loss` and updates this optimizer's models; `Some(NaN or Inf)` when a
    /// gradient was not finite and nothing was updated.
    pub fn step(&self, loss: &DynTensor) -> Result<Option<f64>> {
        let mut st = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let st = &mut *st;
        let mut guards: Vec<_> = st.models.iter().map(|m| m.state()).collect();
        let mut seqs: Vec<_> = guards.iter_mut().map(|g| &mut g.seq).collect();
        st.optimizer.step(&mut seqs, loss)
    }
}

/// `opt.step(loss)` with the NaN/Inf watch: a non-finite loss or gradient is warned about
/// and recorded and the update is skipped (so the weights stay finite); with `--stop-on-nan`
/// it stops the run.
fn checked_step(ctx: &RunState, o: &Opt, loss: &DynTensor, name: &str) -> Result<()> {
    if let Ok(v) = loss.item()
        && !v.is_finite()
    {
        return ctx.check_finite(name, v, false);
    }
    match o.step(loss)? {
        Some(v) => ctx.check_finite(&format!("a gradient of {name}"), v, false),
        None => Ok(()),
    }
}

pub fn register(e: &mut Engine, ctx: &Arc<RunState>) {
    e.register_type_with_name::<Opt>("Optimizer");
    let docs = [
        (
            "adam",
            Algorithm::adam(),
            "adam(models, #{lr, betas, eps, weight_decay}) -> Optimizer\nAdam as torch.optim.Adam: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weight_decay 0 unless given. models: a Model or an array of them.",
        ),
        (
            "sgd",
            Algorithm::sgd(),
            "sgd(models, #{lr, momentum, weight_decay}) -> Optimizer\nSGD as torch.optim.SGD: lr 1e-3, momentum 0 unless given.",
        ),
        (
            "rmsprop",
            Algorithm::rmsprop(),
            "rmsprop(models, #{lr, alpha, eps, weight_decay}) -> Optimizer\nRMSprop as torch.optim.RMSprop: lr 1e-2, alpha 0.99, eps 1e-8 (WGAN uses lr 5e-5).",
        ),
    ];
    for (name, algo, doc) in docs {
        let a = algo.clone();
        def(e, name, doc, move |m: Dynamic, o: Map| {
            call(name, || make(&m, &o, a.clone()))
        });
        let first_line = doc.lines().next().unwrap_or(doc);
        let short =
            format!("{name}(models) -> Optimizer\n{name} with its defaults; see {first_line}");
        def(e, name, &short, move |m: Dynamic| {
            call(name, || make(&m, &Map::new(), algo.clone()))
        });
    }
    def(
        e,
        "step",
        "step(optimizer, loss)\nBack-propagates a scalar loss and updates this optimizer's models only; gradients reaching other models are dropped. A NaN/Inf loss or gradient is warned about (named \"loss\"), recorded in run.json and skips the update; --stop-on-nan stops the run.",
        {
            let c = ctx.clone();
            move |o: &mut Opt, loss: DynTensor| -> ScriptResult<()> {
                call("step", || checked_step(&c, o, &loss, "loss"))
            }
        },
    );
    def(
        e,
        "step",
        "step(optimizer, loss, name)\nAs step(optimizer, loss), naming the loss in NaN/Inf warnings (opt_d.step(d_loss, \"d_loss\")).",
        {
            let c = ctx.clone();
            move |o: &mut Opt, loss: DynTensor, name: &str| -> ScriptResult<()> {
                call("step", || checked_step(&c, o, &loss, name))
            }
        },
    );
    def(
        e,
        "get$lr",
        "optimizer.lr -> float\nThe learning rate.",
        |o: &mut Opt| o.0.lock().unwrap().optimizer.lr,
    );
    def(
        e,
        "set$lr",
        "optimizer.lr = value\nChanges the learning rate (for decay schedules).",
        |o: &mut Opt, v: Dynamic| -> ScriptResult<()> {
            call("lr", || {
                let lr = num(&v, "lr")?;
                if !(lr.is_finite() && lr >= 0.0) {
                    return Err(crate::err!(
                        "learning rate must be a finite number >= 0, got {lr}"
                    ));
                }
                o.0.lock().unwrap().optimizer.lr = lr;
                Ok(())
            })
        },
    );
    def(
        e,
        "to_string",
        "to_string(optimizer) -> string",
        |o: &mut Opt| {
            let s = o.0.lock().unwrap();
            format!(
                "Optimizer({:?}, lr {}, {} model(s))",
                s.optimizer.algorithm,
                s.optimizer.lr,
                s.models.len()
            )
        },
    );
}
