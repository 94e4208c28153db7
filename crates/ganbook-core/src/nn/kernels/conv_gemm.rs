//! conv2d and conv_transpose2d on the CPU (flex) as one matrix product each way, with their
//! own backward pass.
//!
//! burn 0.22 differentiates a convolution through other convolutions: the weight gradient is
//! a convolution whose kernel is the whole output gradient, which flex runs as thousands of
//! thin products. Here every pass is one GEMM over the whole batch plus an index kernel
//! (crates/ganbook-core/src/nn/kernels/im2col.rs):
//!
//! | op               | forward               | d input              | d weight          |
//! |------------------|-----------------------|----------------------|-------------------|
//! | conv2d           | `W · im2col(x)`       | `col2im(Wᵀ · dY)`    | `dY · im2col(x)ᵀ` |
//! | conv_transpose2d | `col2im(Wᵀ · X)`      | `W · im2col(dY)`     | `X · im2col(dY)ᵀ` |
//!
//! (`W` is the weight as a `[rows, C·k·k]` matrix, `X`/`dY` channel-major `[C, N·h·w]`.)
//! Tensors on any other device, or not float32, go through burn's own operations.

use super::conv_runs::{par_runs, sum_partials};
use super::conv_spec::ConvSpec;
use super::flex::{Ad, AdTensor, flex_f32, tensor, values};
use super::im2col::{
    Geometry, col2im_into, from_channel_major_into, im2col_into, to_channel_major_into,
};
use super::im2row::im2row_into;
use super::matmul::{Out, View, matmul_into};
use super::wanted_grads;
use burn::backend::Flex;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::tensor::Tensor;
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};

/// conv2d of `x` [N, C, H, W] with `weight` [O, C, k, k] (and `bias` [O]).
pub fn conv2d(x: Tensor<4>, weight: Tensor<4>, bias: Option<Tensor<1>>, s: &ConvSpec) -> Tensor<4> {
    let [n, c, h, w] = x.dims();
    let o = weight.dims()[0];
    let small = s.conv_side(h).zip(s.conv_side(w));
    match (flex_pair(&x, &weight), small) {
        (Some((xp, wp)), Some((sh, sw))) => {
            let g = Geometry::of(s, n, c, [h, w], [sh, sw]);
            let y = Tensor::<4>::from_primitive::<Ad>(conv2d_ad(xp, wp, g, o));
            add_bias(y, bias)
        }
        _ => {
            let opts = ConvOptions::new([s.stride; 2], [s.padding; 2], [s.dilation; 2], 1);
            burn::tensor::module::conv2d(x, weight, bias, opts)
        }
    }
}

/// conv_transpose2d of `x` [N, Ci, H, W] with `weight` [Ci, Co, k, k] (and `bias` [Co]).
pub fn conv_transpose2d(
    x: Tensor<4>,
    weight: Tensor<4>,
    bias: Option<Tensor<1>>,
    s: &ConvSpec,
) -> Tensor<4> {
    let [n, _, h, w] = x.dims();
    let co = weight.dims()[1];
    let big = s.transposed_side(h).zip(s.transposed_side(w));
    match (flex_pair(&x, &weight), big) {
        (Some((xp, wp)), Some((bh, bw))) => {
            let g = Geometry::of(s, n, co, [bh, bw], [h, w]);
            let y = Tensor::<4>::from_primitive::<Ad>(conv_transpose2d_ad(xp, wp, g));
            add_bias(y, bias)
        }
        _ => {
            let opts = ConvTransposeOptions::new(
                [s.stride; 2],
                [s.padding; 2],
                [s.output_padding; 2],
                [s.dilation; 2],
                1,
            );
            burn::tensor::module::conv_transpose2d(x, weight, bias, opts)
        }
    }
}

/// Whether [`conv2d`] and [`conv_transpose2d`] take the GEMM path for these tensors
/// (float32 on flex with autodiff, the CPU device's kind) rather than burn's.
pub fn applies(x: &Tensor<4>, weight: &Tensor<4>) -> bool {
    flex_pair(x, weight).is_some()
}

/// Both tensors as flex autodiff primitives holding float32, or None.
fn flex_pair(x: &Tensor<4>, w: &Tensor<4>) -> Option<(AdTensor, AdTensor)> {
    Some((flex_f32(x)?, flex_f32(w)?))
}

fn add_bias(y: Tensor<4>, bias: Option<Tensor<1>>) -> Tensor<4> {
    match bias {
        Some(b) => {
            let channels = b.dims()[0];
            y + b.reshape([1, channels as i32, 1, 1])
        }
        None => y,
    }
}

// ---------------------------------------------------------------- conv2d

/// y [N, O, h, w] = W [O, C·k·k] · im2col(x), run by run of samples.
fn conv2d_forward(x: &[f32], w: &[f32], g: &Geometry, o: usize) -> FlexTensor {
    let (p, rows) = (g.positions(), g.rows());
    let mut y = vec![0.0f32; g.batch * o * p];
    // scratch: (column matrix, product [O, nb·h·w])
    par_runs(
        g,
        [rows * p, o * p],
        Some((&mut y, o * p)),
        || (),
        |scratch, run, _| {
            let (gr, nb) = (g.with_batch(run.samples), run.samples);
            let [cols, z] = scratch.for_run(nb);
            im2col_into(
                &gr,
                &x[run.first * g.big_sample()..][..nb * g.big_sample()],
                cols,
            );
            let (wm, cm) = (
                View::row_major(w, o, rows),
                View::row_major(cols, rows, gr.cols()),
            );
            matmul_into(Out::new(z), wm, cm, false);
            from_channel_major_into(z, nb, o, p, run.out.expect("conv2d: output run"));
        },
    );
    tensor(y, &[g.batch, o, g.small[0], g.small[1]])
}

#[derive(Debug)]
struct Conv2dBackward;

impl Backward<Flex, 2> for Conv2dBackward {
    /// (x contiguous, weight contiguous, geometry, out channels)
    type State = (FlexTensor, FlexTensor, Geometry, usize);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w] = ops.parents;
        let node_w = node_w.filter(|n| !wanted_grads::skip(n.id, n.parents.is_empty()));
        let dy = grads.consume::<Flex>(&ops.node);
        let (x, w, g, o) = ops.state;
        let (dy, xv, wv) = (values(&dy), values(&x), values(&w));
        let (p, rows) = (g.positions(), g.rows());
        let want_w = node_w.is_some();
        let mut dx = node_x.as_ref().map(|_| vec![0.0f32; g.big_len()]);
        // scratch: (im2row(x), then the column matrix of dx; dY channel-major [O, nb·h·w])
        let out = dx.as_deref_mut().map(|dx| (dx, g.big_sample()));
        let parts = par_runs(
            &g,
            [rows * p, o * p],
            out,
            || want_w.then(|| vec![0.0f32; o * rows]),
            |scratch, run, dw| {
                let (gr, nb, n0) = (g.with_batch(run.samples), run.samples, run.first);
                let [cols, dy_chan] = scratch.for_run(nb);
                to_channel_major_into(&dy[n0 * o * p..][..nb * o * p], nb, o, p, dy_chan);
                if let Some(dw) = dw.as_mut() {
                    // dW [O, C·k·k] += dY · im2row(x)
                    im2row_into(&gr, &xv[n0 * g.big_sample()..][..nb * g.big_sample()], cols);
                    let (dm, xm) = (
                        View::row_major(dy_chan, o, gr.cols()),
                        View::row_major(cols, gr.cols(), rows),
                    );
                    matmul_into(Out::new(dw), dm, xm, true);
                }
                if let Some(dx_run) = run.out {
                    // im2col(dx) [C·k·k, nb·h·w] = Wᵀ · dY, added back into the grid
                    let (wt, dm) = (
                        View::row_major(&wv, o, rows).t(),
                        View::row_major(dy_chan, o, gr.cols()),
                    );
                    matmul_into(Out::new(cols), wt, dm, false);
                    col2im_into(&gr, cols, dx_run);
                }
            },
        );
        let dw = want_w.then(|| sum_partials(parts).unwrap_or_else(|| vec![0.0; o * rows]));
        if let (Some(node), Some(dw)) = (node_w, dw) {
            grads.register::<Flex>(node.id, tensor(dw, w.layout().shape()));
        }
        if let (Some(node), Some(dx)) = (node_x, dx) {
            grads.register::<Flex>(node.id, tensor(dx, x.layout().shape()));
        }
    }
}

fn conv2d_ad(x: AdTensor, w: AdTensor, g: Geometry, o: usize) -> AdTensor {
    let prep = Conv2dBackward
        .prepare::<NoCheckpointing>([x.node(), w.node()])
        .compute_bound()
        .stateful();
    let (xv, wv) = (x.primitive().to_contiguous(), w.primitive().to_contiguous());
    let y = conv2d_forward(&values(&xv), &values(&wv), &g, o);
    match prep {
        OpsKind::Tracked(prep) => prep.finish((xv, wv, g, o), y),
        OpsKind::UnTracked(prep) => prep.finish(y),
    }
}

// ---------------------------------------------------------------- conv_transpose2d

/// y [N, Co, H', W'] = col2im(Wᵀ · X), W [Ci, Co·k·k], X = x as [Ci, nb·h·w], run by run.
fn conv_transpose2d_forward(x: &[f32], w: &[f32], g: &Geometry, ci: usize) -> FlexTensor {
    let (p, rows) = (g.positions(), g.rows());
    let mut y = vec![0.0f32; g.big_len()];
    // scratch: (x channel-major [Ci, nb·h·w], column matrix)
    let out = Some((&mut y[..], g.big_sample()));
    par_runs(
        g,
        [ci * p, rows * p],
        out,
        || (),
        |scratch, run, _| {
            let (gr, nb) = (g.with_batch(run.samples), run.samples);
            let [x_chan, cols] = scratch.for_run(nb);
            to_channel_major_into(&x[run.first * ci * p..][..nb * ci * p], nb, ci, p, x_chan);
            let (wt, xm) = (
                View::row_major(w, ci, rows).t(),
                View::row_major(x_chan, ci, gr.cols()),
            );
            matmul_into(Out::new(cols), wt, xm, false);
            col2im_into(&gr, cols, run.out.expect("conv_transpose2d: output run"));
        },
    );
    tensor(y, &[g.batch, g.channels, g.big[0], g.big[1]])
}

#[derive(Debug)]
struct ConvTranspose2dBackward;

impl Backward<Flex, 2> for ConvTranspose2dBackward {
    /// (x contiguous, weight contiguous, geometry)
    type State = (FlexTensor, FlexTensor, Geometry);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w] = ops.parents;
        let node_w = node_w.filter(|n| !wanted_grads::skip(n.id, n.parents.is_empty()));
        let dy = grads.consume::<Flex>(&ops.node);
        let (x, w, g) = ops.state;
        let ci = x.layout().shape()[1];
        let (dy, xv, wv) = (values(&dy), values(&x), values(&w));
        let (p, rows) = (g.positions(), g.rows());
        let want_w = node_w.is_some();
        let mut dx = node_x.as_ref().map(|_| vec![0.0f32; g.batch * ci * p]);
        // scratch: (im2row(dY), then im2col(dY); x channel-major [Ci, nb·h·w]; dx channel-major)
        let out = dx.as_deref_mut().map(|dx| (dx, ci * p));
        let per_sample = [rows * p, ci * p, ci * p];
        let parts = par_runs(
            &g,
            per_sample,
            out,
            || want_w.then(|| vec![0.0f32; ci * rows]),
            |scratch, run, dw| {
                let (gr, nb, n0) = (g.with_batch(run.samples), run.samples, run.first);
                let [dcols, x_chan, dx_chan] = scratch.for_run(nb);
                let dy_run = &dy[n0 * g.big_sample()..][..nb * g.big_sample()];
                if let Some(dw) = dw.as_mut() {
                    // dW [Ci, Co·k·k] += X · im2row(dY)
                    im2row_into(&gr, dy_run, dcols);
                    to_channel_major_into(&xv[n0 * ci * p..][..nb * ci * p], nb, ci, p, x_chan);
                    let (xm, dm) = (
                        View::row_major(x_chan, ci, gr.cols()),
                        View::row_major(dcols, gr.cols(), rows),
                    );
                    matmul_into(Out::new(dw), xm, dm, true);
                }
                if let Some(dx_run) = run.out {
                    // dX [Ci, nb·h·w] = W · im2col(dY)
                    im2col_into(&gr, dy_run, dcols);
                    let dm = View::row_major(dcols, rows, gr.cols());
                    matmul_into(Out::new(dx_chan), View::row_major(&wv, ci, rows), dm, false);
                    from_channel_major_into(dx_chan, nb, ci, p, dx_run);
                }
            },
        );
        let dw = want_w.then(|| sum_partials(parts).unwrap_or_else(|| vec![0.0; ci * rows]));
        if let (Some(node), Some(dw)) = (node_w, dw) {
            grads.register::<Flex>(node.id, tensor(dw, w.layout().shape()));
        }
        if let (Some(node), Some(dx)) = (node_x, dx) {
            grads.register::<Flex>(node.id, tensor(dx, x.layout().shape()));
        }
    }
}

fn conv_transpose2d_ad(x: AdTensor, w: AdTensor, g: Geometry) -> AdTensor {
    let prep = ConvTranspose2dBackward
        .prepare::<NoCheckpointing>([x.node(), w.node()])
        .compute_bound()
        .stateful();
    let (xv, wv) = (x.primitive().to_contiguous(), w.primitive().to_contiguous());
    let ci = xv.layout().shape()[1];
    let y = conv_transpose2d_forward(&values(&xv), &values(&wv), &g, ci);
    match prep {
        OpsKind::Tracked(prep) => prep.finish((xv, wv, g), y),
        OpsKind::UnTracked(prep) => prep.finish(y),
    }
}
