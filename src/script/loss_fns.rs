//! Loss functions for scripts. Targets may be a tensor or one number (0.9 smooths labels).

use super::convert::{call, num};
use super::def;
use super::model_fns::Model;
use crate::error::Result;
use crate::nn::loss::{self, Labels, Target};
use crate::tensor::DynTensor;
use rhai::{Dynamic, Engine};

fn target(v: &Dynamic) -> Result<Target> {
    match v.clone().try_cast::<DynTensor>() {
        Some(t) => Ok(Target::Tensor(t)),
        None => Ok(Target::Value(num(v, "target")?)),
    }
}

pub fn register(e: &mut Engine) {
    type L = fn(&DynTensor, &Target) -> Result<DynTensor>;
    let pairs: [(&'static str, L, &str); 4] = [
        (
            "bce",
            loss::bce,
            "bce(p, target) -> Tensor\nBinary cross-entropy of probabilities p (after a sigmoid); target a tensor or a number.",
        ),
        (
            "bce_logits",
            loss::bce_logits,
            "bce_logits(logits, target) -> Tensor\nBinary cross-entropy on logits (sigmoid included, numerically stable); target a tensor or a number such as 0.9 for label smoothing.",
        ),
        (
            "mse",
            loss::mse,
            "mse(x, target) -> Tensor\nMean squared error (LSGAN).",
        ),
        (
            "l1",
            loss::l1,
            "l1(x, target) -> Tensor\nMean absolute error.",
        ),
    ];
    for (name, f, doc) in pairs {
        def(e, name, doc, move |x: DynTensor, t: Dynamic| {
            call(name, || f(&x, &target(&t)?))
        });
    }
    def(
        e,
        "cross_entropy",
        "cross_entropy(logits, labels) -> Tensor\nSoftmax cross-entropy of [N, C] logits; labels a tensor of N class indices or one class for the whole batch.",
        |x: DynTensor, y: Dynamic| {
            call("cross_entropy", || {
                let labels = match y.clone().try_cast::<DynTensor>() {
                    Some(t) => Labels::PerRow(t),
                    None => Labels::Class(y.as_int().map_err(|t| {
                        crate::err!("labels must be a tensor or an integer class, got {t}")
                    })?),
                };
                loss::cross_entropy(&x, &labels)
            })
        },
    );
    def(
        e,
        "hinge_d",
        "hinge_d(real_logits, fake_logits) -> Tensor\nmean(relu(1 - real)) + mean(relu(1 + fake)).",
        |r: DynTensor, f: DynTensor| call("hinge_d", || loss::hinge_d(&r, &f)),
    );
    def(
        e,
        "hinge_g",
        "hinge_g(fake_logits) -> Tensor\n-mean(fake).",
        |f: DynTensor| call("hinge_g", || loss::hinge_g(&f)),
    );
    def(
        e,
        "wasserstein_d",
        "wasserstein_d(real_scores, fake_scores) -> Tensor\nCritic loss mean(fake) - mean(real).",
        |r: DynTensor, f: DynTensor| call("wasserstein_d", || loss::wasserstein_d(&r, &f)),
    );
    def(
        e,
        "wasserstein_g",
        "wasserstein_g(fake_scores) -> Tensor\nGenerator loss -mean(fake).",
        |f: DynTensor| call("wasserstein_g", || loss::wasserstein_g(&f)),
    );
    def(
        e,
        "gradient_penalty",
        "gradient_penalty(D, real, fake) -> Tensor\nWGAN-GP's penalty mean((|grad_x D(x)| - 1)^2) at random mixes x of real and fake samples; add it to the critic loss times a weight (10 in the paper). The critic may hold linear, conv2d (also under spectral_norm), leaky_relu, relu, tanh, sigmoid, layer_norm, flatten, reshape, upsample, avg_pool2d, global_sum_pool, self_attention and residual blocks of these (no batch norm: it mixes the samples).",
        |d: Model, real: DynTensor, fake: DynTensor| {
            call("gradient_penalty", || {
                crate::nn::gradient_penalty::gradient_penalty(
                    &mut d.state().seq,
                    &real,
                    &fake,
                    None,
                )
            })
        },
    );
    def(
        e,
        "gradient_penalty",
        "gradient_penalty(D, real, fake, y) -> Tensor\nThe gradient penalty of a class-conditional critic (a projection head), the pairs sharing the classes y [N].",
        |d: Model, real: DynTensor, fake: DynTensor, y: DynTensor| {
            call("gradient_penalty", || {
                crate::nn::gradient_penalty::gradient_penalty(
                    &mut d.state().seq,
                    &real,
                    &fake,
                    Some(&y),
                )
            })
        },
    );
    def(
        e,
        "r1_penalty",
        "r1_penalty(D, real) -> Tensor\nThe R1 penalty (Mescheder et al. 2018, StyleGAN): mean over the real samples of |grad_x D(x)|^2; add it to D's loss times gamma / 2 (gamma 10 is common; 0.1-1 for small images), every step or every 16 (lazy regularisation, times 16). The critic may hold what gradient_penalty allows (spectral_norm, residual blocks and self_attention included).",
        |d: Model, real: DynTensor| {
            call("r1_penalty", || {
                crate::nn::r1::r1_penalty(&mut d.state().seq, &real, None)
            })
        },
    );
    def(
        e,
        "r1_penalty",
        "r1_penalty(D, real, y) -> Tensor\nThe R1 penalty of a class-conditional D (a projection head) at the real samples with their classes y [N].",
        |d: Model, real: DynTensor, y: DynTensor| {
            call("r1_penalty", || {
                crate::nn::r1::r1_penalty(&mut d.state().seq, &real, Some(&y))
            })
        },
    );
}
