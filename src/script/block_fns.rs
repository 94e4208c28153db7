//! Blocks beyond a chain of layers: `residual([...], #{ shortcut, up, down })`,
//! `self_attention(c)`, and the class-conditional layers `conditional_batch_norm(c, n)` and
//! `projection(n, features)` (a model holding them runs as `G.forward(z, y)`).

use super::convert::{Options, call};
use super::def;
use super::layer_fns::{normed, params_fit, positive};
use crate::err;
use crate::error::Result;
use crate::nn::Layer;
use crate::nn::attention::SelfAttention;
use crate::nn::conditional_norm::ConditionalBatchNorm;
use crate::nn::projection::Projection;
use crate::nn::residual::Residual;
use rhai::{Array, Dynamic, Engine, INT, Map};

pub fn register(e: &mut Engine) {
    def(
        e,
        "residual",
        "residual(body) -> Layer\nA residual block: body(x) + x, body an array of layers that keeps the shape.",
        |body: Array| call("residual", || residual(body, &Map::new())),
    );
    def(
        e,
        "residual",
        "residual(body, #{shortcut, up, down}) -> Layer\nA residual block (SNGAN/BigGAN's): pool(body(up(x)) + shortcut(up(x))). shortcut: a layer or an array of layers (default: the identity), e.g. conv2d(c_in, c_out, 1) when the channels change; up: nearest upsampling of the input by that factor before both paths; down: average pooling of the sum. residual([batch_norm(c), relu(), conv2d(c, c, 3, #{ padding: 1 })], #{ shortcut: conv2d(c, c, 1), up: 2 }).",
        |body: Array, m: Map| call("residual", || residual(body, &m)),
    );
    def(
        e,
        "self_attention",
        "self_attention(channels) -> Layer\nSAGAN's self-attention over the positions of [N, C, H, W]: 1x1 convolutions give queries and keys (C/8 channels) and values; out = gamma * attention + x, gamma starting at 0. Same shape out.",
        |c: INT| call("self_attention", || attention(c, &Map::new())),
    );
    def(
        e,
        "self_attention",
        "self_attention(channels, #{sn}) -> Layer\nSelf-attention; sn: true puts spectral norm on its three 1x1 convolutions (SAGAN does).",
        |c: INT, m: Map| call("self_attention", || attention(c, &m)),
    );
    def(
        e,
        "conditional_batch_norm",
        "conditional_batch_norm(channels, n_classes) -> Layer\nBatch norm whose scale and shift are learned per class (a class-conditional G): gamma[y] x̂ + beta[y]. The model then runs as G.forward(z, y) with y: [N] class indices.",
        |c: INT, n: INT| {
            call("conditional_batch_norm", || {
                let (c, n) = (positive(c, "channels")?, positive(n, "n_classes")?);
                params_fit(&[n, 2 * c])?;
                Ok(Layer::ConditionalBatchNorm(ConditionalBatchNorm::new(c, n)))
            })
        },
    );
    def(
        e,
        "projection",
        "projection(n_classes, features) -> Layer\nThe projection discriminator's head (Miyato & Koyama 2018): [N, features] -> [N, 1] = linear(h) + <embed(y), h>. The model then runs as D.forward(x, y) with y: [N] class indices.",
        |n: INT, f: INT| {
            call("projection", || {
                let (n, f) = (positive(n, "n_classes")?, positive(f, "features")?);
                params_fit(&[n, f])?;
                Ok(Layer::Projection(Projection::new(n, f)))
            })
        },
    );
}

fn residual(body: Array, m: &Map) -> Result<Layer> {
    let opts = Options::new(m, "residual", &["shortcut", "up", "down"])?;
    let body = layers(body, "body")?;
    let shortcut = match opts.get("shortcut") {
        None => vec![],
        Some(v) => match v.clone().try_cast::<Array>() {
            Some(list) => layers(list, "shortcut")?,
            None => vec![layer(v, "shortcut")?],
        },
    };
    let (up, down) = (opts.usize("up", 1)?, opts.usize("down", 1)?);
    Ok(Layer::Residual(Residual::new(body, shortcut, up, down)?))
}

fn attention(c: INT, m: &Map) -> Result<Layer> {
    let opts = Options::new(m, "self_attention", &["sn"])?;
    let c = positive(c, "channels")?;
    params_fit(&[c, c])?;
    let sn = opts.bool("sn", false)?;
    Ok(Layer::SelfAttention(SelfAttention::new(c, |l| {
        normed(l, sn)
    })?))
}

fn layers(list: Array, what: &str) -> Result<Vec<Layer>> {
    list.iter()
        .enumerate()
        .map(|(i, v)| layer(v, &format!("{what} item {i}")))
        .collect()
}

fn layer(v: &Dynamic, what: &str) -> Result<Layer> {
    v.clone()
        .try_cast::<Layer>()
        .ok_or_else(|| err!("{what} is a {}, not a layer", v.type_name()))
}
