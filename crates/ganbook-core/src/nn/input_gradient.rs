//! A critic's input gradient as a differentiable function of its weights, for the gradient
//! and R1 penalties, which need its own gradient.
//!
//! burn cannot differentiate a gradient (no second-order autodiff), so the input gradient is
//! written out layer by layer as ordinary differentiable operations — a Linear's is a product
//! with W^T, a conv2d's is a conv_transpose2d with the same weight, LeakyReLU's is a mask, a
//! residual block's the sum of its two paths', self-attention's through its softmax — and
//! first-order autodiff of the penalty then reaches the critic's weights. Per-sample
//! gradients need samples that do not mix, so batch norm is refused.

use super::conv::Conv2d;
use super::residual::Residual;
use super::stateless::{Op, resample};
use super::{Layer, Mode, Sequential};
use crate::error::Result;
use crate::tensor::{BinOp, DynTensor, Reduce, Unary};
use crate::{bail, err};
use burn::tensor::ops::ConvTransposeOptions;

const SUPPORTED: &str = "linear, conv2d (also under spectral_norm), leaky_relu, relu, tanh, sigmoid, layer_norm, flatten, reshape, upsample, avg_pool2d, global_sum_pool, self_attention, projection, residual blocks of these";

/// Why a layer cannot be part of a critic under the penalty, if it cannot.
fn check_supported(layer: &Layer, labeled: bool) -> Result<()> {
    match layer {
        Layer::Linear(_) | Layer::Conv2d(_) | Layer::LayerNorm(_) => Ok(()),
        Layer::SpectralNorm(s) => check_supported(&s.layer(), labeled),
        Layer::Residual(r) => {
            check_all(&r.body.layers, labeled).map_err(|e| err!("in its body, {e}"))?;
            check_all(&r.shortcut.layers, labeled).map_err(|e| err!("in its shortcut, {e}"))
        }
        Layer::BatchNorm(_) | Layer::ConditionalBatchNorm(_) => bail!(
            "batch norm mixes the samples of a batch, so per-sample gradients are not defined: use layer_norm in a critic under a gradient penalty"
        ),
        Layer::SelfAttention(a) => check_all(&a.projections, labeled),
        Layer::Projection(_) if labeled => Ok(()),
        Layer::Projection(_) => bail!(
            "needs the samples' classes: r1_penalty(D, real, y) or gradient_penalty(D, real, fake, y)"
        ),
        Layer::Stateless(s) => match s.op {
            Op::Relu
            | Op::LeakyRelu(_)
            | Op::Tanh
            | Op::Sigmoid
            | Op::Reshape(_)
            | Op::Flatten
            | Op::Upsample(_)
            | Op::AvgPool(_)
            | Op::GlobalSumPool => Ok(()),
            Op::Dropout(0.0) => Ok(()),
            _ => bail!("is not supported by gradient_penalty (supported: {SUPPORTED})"),
        },
        _ => bail!("is not supported by gradient_penalty (supported: {SUPPORTED})"),
    }
}

fn check_all(layers: &[Layer], labeled: bool) -> Result<()> {
    for (i, layer) in layers.iter().enumerate() {
        check_supported(layer, labeled)
            .map_err(|e| err!("layer {i} ({}) {e}", layer.describe()))?;
    }
    Ok(())
}

/// What the input gradient of one layer needs from its forward pass.
struct Trace {
    input: DynTensor,
    output: DynTensor,
    /// A residual block's inside: its input after upsampling, and its two paths' traces.
    block: Option<(DynTensor, Vec<Trace>, Vec<Trace>)>,
}

/// d(sum of outputs)/d(input) of `seq` at `x` (with each sample's class `label` for a
/// projection head), as a differentiable function of the weights.
/// x: [N, ...] -> [N, ...] (same shape as x)
pub fn input_gradient(
    seq: &mut Sequential,
    x: DynTensor,
    label: Option<&DynTensor>,
) -> Result<DynTensor> {
    check_all(&seq.layers, label.is_some())?;
    let (out, traces) = forward_traced(&mut seq.layers, x, label)?;
    backward_all(
        &seq.layers,
        &traces,
        DynTensor::full(&out.shape(), 1.0)?,
        label,
    )
}

/// Runs `layers` in training mode, keeping what their input gradients need.
fn forward_traced(
    layers: &mut [Layer],
    mut x: DynTensor,
    label: Option<&DynTensor>,
) -> Result<(DynTensor, Vec<Trace>)> {
    let mode = Mode { training: true };
    let mut traces = Vec::new();
    for layer in layers.iter_mut() {
        let (y, block) = match layer {
            Layer::Residual(r) => {
                let up = resample(x.clone(), Op::Upsample(r.up))?;
                let (h, body) = forward_traced(&mut r.body.layers, up.clone(), label)?;
                let (s, shortcut) = forward_traced(&mut r.shortcut.layers, up.clone(), label)?;
                let sum = h.binary(s, BinOp::Add)?;
                (
                    resample(sum, Op::AvgPool(r.down))?,
                    Some((up, body, shortcut)),
                )
            }
            _ => (layer.forward_labeled(x.clone(), mode, label)?, None),
        };
        traces.push(Trace {
            input: x,
            output: y.clone(),
            block,
        });
        x = y;
    }
    Ok((x, traces))
}

/// The gradient at the input of `layers` from the gradient `g` at their output.
fn backward_all(
    layers: &[Layer],
    traces: &[Trace],
    mut g: DynTensor,
    label: Option<&DynTensor>,
) -> Result<DynTensor> {
    for (i, (layer, t)) in layers.iter().zip(traces).enumerate().rev() {
        g = match (layer, &t.block) {
            (Layer::Residual(r), Some((up, body, shortcut))) => {
                let paths = Paths { body, shortcut };
                residual_backward(r, up, paths, &t.input, g, label)
            }
            (Layer::SelfAttention(a), _) => a.input_gradient(&t.input, g),
            (Layer::Projection(p), _) => p.input_gradient(g, label),
            _ => backward(layer, &t.input, &t.output, g),
        }
        .map_err(|e| err!("layer {i} ({}): {e}", layer.describe()))?;
    }
    Ok(g)
}

/// The traces of a residual block's two paths.
struct Paths<'a> {
    body: &'a [Trace],
    shortcut: &'a [Trace],
}

/// out = pool(body(up(x)) + shortcut(up(x))): the pooling's, both paths' and the
/// upsampling's input gradients in turn.
fn residual_backward(
    r: &Residual,
    up: &DynTensor,
    paths: Paths,
    input: &DynTensor,
    g: DynTensor,
    label: Option<&DynTensor>,
) -> Result<DynTensor> {
    let sum_shape = paths.body.last().map_or(up.shape(), |t| t.output.shape());
    let g = avg_pool_grad(g, r.down, &sum_shape)?;
    let g_body = backward_all(&r.body.layers, paths.body, g.clone(), label)
        .map_err(|e| err!("in its body, {e}"))?;
    let g_short = backward_all(&r.shortcut.layers, paths.shortcut, g, label)
        .map_err(|e| err!("in its shortcut, {e}"))?;
    upsample_grad(g_body.binary(g_short, BinOp::Add)?, r.up, &input.shape())
}

/// Average pooling by k (floor): each input in a window gets g / k²; rows and columns past
/// the last whole window get 0. g: [N, C, H/k, W/k] -> input: [N, C, H, W]
fn avg_pool_grad(g: DynTensor, k: usize, input: &[usize]) -> Result<DynTensor> {
    if k == 1 {
        return Ok(g);
    }
    let mut g = resample(g, Op::Upsample(k))?.mul_scalar(1.0 / (k * k) as f64);
    for dim in [2, 3] {
        let (have, want) = (g.shape()[dim], input[dim]);
        if have < want {
            let mut pad = g.shape();
            pad[dim] = want - have;
            g = DynTensor::cat(vec![g, DynTensor::full(&pad, 0.0)?], dim as i64)?;
        }
    }
    Ok(g)
}

/// Nearest upsampling by k: each input's gradient is the sum over its k x k copies.
/// g: [N, C, kH, kW] -> [N, C, H, W]
fn upsample_grad(g: DynTensor, k: usize, input: &[usize]) -> Result<DynTensor> {
    match k {
        1 => Ok(g),
        _ => resample(g, Op::AvgPool(k))?
            .mul_scalar((k * k) as f64)
            .reshape(input),
    }
}

/// The gradient at a layer's input from the gradient `g` at its output.
fn backward(
    layer: &Layer,
    input: &DynTensor,
    output: &DynTensor,
    g: DynTensor,
) -> Result<DynTensor> {
    Ok(match layer {
        // y = x W + b, W: [in, out] -> g W^T
        Layer::Linear(l) => g.matmul(DynTensor::new(l.weight.val().transpose()))?,
        Layer::Conv2d(c) => conv2d_input_grad(c, &input.shape(), g)?,
        Layer::LayerNorm(l) => layer_norm_input_grad(l, input, g)?,
        // the wrapped layer's with its weight divided by sigma (differentiable in the weight)
        Layer::SpectralNorm(s) => backward(&s.normalized(), input, output, g)?,
        Layer::Stateless(s) => match s.op {
            Op::Relu => g.binary(input.clone().detach().greater_scalar(0.0), BinOp::Mul)?,
            Op::LeakyRelu(a) => {
                // 1 where x > 0, a elsewhere
                let slope = input
                    .clone()
                    .detach()
                    .greater_scalar(0.0)
                    .mul_scalar(1.0 - a)
                    .add_scalar(a);
                g.binary(slope, BinOp::Mul)?
            }
            // tanh' = 1 - y^2, kept differentiable: it depends on the weights through y
            Op::Tanh => g.binary(
                output.clone().unary(Unary::Square).rsub_scalar(1.0),
                BinOp::Mul,
            )?,
            Op::Sigmoid => {
                let ds = output
                    .clone()
                    .binary(output.clone().rsub_scalar(1.0), BinOp::Mul)?;
                g.binary(ds, BinOp::Mul)?
            }
            Op::Reshape(_) | Op::Flatten => g.reshape(&input.shape())?,
            Op::Dropout(_) => g,
            Op::Upsample(k) => upsample_grad(g, k, &input.shape())?,
            Op::AvgPool(k) => avg_pool_grad(g, k, &input.shape())?,
            // [N, C] -> every position of [N, C, H, W]
            Op::GlobalSumPool => {
                let s = input.shape();
                g.reshape(&[s[0], s[1], 1, 1])?
                    .binary(DynTensor::full(&s, 1.0)?, BinOp::Mul)?
            }
            _ => unreachable!("checked by check_supported"),
        },
        _ => unreachable!("checked by check_supported"),
    })
}

/// conv2d's input gradient: a transposed convolution with the same weight [out, in, k, k],
/// with output padding chosen so the result has the input's size.
fn conv2d_input_grad(c: &Conv2d, input: &[usize], g: DynTensor) -> Result<DynTensor> {
    let s = &c.spec;
    let g_shape = g.shape();
    let extra = |i: usize| {
        let (x, y) = (input[i], g_shape[i]);
        let covered = (y - 1) * s.stride + s.dilation * (s.kernel - 1) + 1;
        (x + 2 * s.padding).saturating_sub(covered)
    };
    let opts = ConvTransposeOptions::new(
        [s.stride; 2],
        [s.padding; 2],
        [extra(2), extra(3)],
        [s.dilation; 2],
        1,
    );
    let g = g.ranked::<4>("conv2d gradient")?;
    let out = burn::tensor::module::conv_transpose2d(g, c.weight.val(), None, opts);
    Ok(DynTensor::new(out))
}

/// LayerNorm's input gradient over its normalized trailing dims (D values per row):
/// (gγ - mean(gγ) - x̂ mean(gγ x̂)) / σ, with x̂ = (x - μ) / σ.
fn layer_norm_input_grad(
    l: &super::norm::LayerNorm,
    x: &DynTensor,
    g: DynTensor,
) -> Result<DynTensor> {
    let shape = x.shape();
    let d: usize = l.shape.iter().product();
    let m = x.numel() / d;
    let row_mean =
        |t: DynTensor| -> Result<DynTensor> { t.reduce(Reduce::Mean, Some(-1))?.reshape(&[m, 1]) };
    let x = x.clone().reshape(&[m, d])?;
    let g = g.reshape(&[m, d])?;
    let centered = x.clone().binary(row_mean(x)?, BinOp::Sub)?;
    let sigma = row_mean(centered.clone().unary(Unary::Square))?
        .add_scalar(l.eps)
        .unary(Unary::Sqrt);
    let x_hat = centered.binary(sigma.clone(), BinOp::Div)?;
    let gg = g.binary(DynTensor::new(l.weight.val()), BinOp::Mul)?;
    let a = row_mean(gg.clone())?;
    let b = row_mean(gg.clone().binary(x_hat.clone(), BinOp::Mul)?)?;
    let num = gg
        .binary(a, BinOp::Sub)?
        .binary(x_hat.binary(b, BinOp::Mul)?, BinOp::Sub)?;
    num.binary(sigma, BinOp::Div)?.reshape(&shape)
}
