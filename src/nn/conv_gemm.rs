//! conv2d and conv_transpose2d on the CPU (flex) as one matrix product each way, with their
//! own backward pass.
//!
//! burn 0.22 differentiates a convolution through other convolutions: the weight gradient is
//! a convolution whose kernel is the whole output gradient, which flex runs as thousands of
//! thin products. Here every pass is one GEMM over the whole batch plus an index kernel
//! (src/nn/im2col.rs):
//!
//! | op               | forward               | d input              | d weight          |
//! |------------------|-----------------------|----------------------|-------------------|
//! | conv2d           | `W · im2col(x)`       | `col2im(Wᵀ · dY)`    | `dY · im2col(x)ᵀ` |
//! | conv_transpose2d | `col2im(Wᵀ · X)`      | `W · im2col(dY)`     | `X · im2col(dY)ᵀ` |
//!
//! (`W` is the weight as a `[rows, C·k·k]` matrix, `X`/`dY` channel-major `[C, N·h·w]`.)
//! Tensors on any other device, or not float32, go through burn's own operations.

use super::conv::ConvSpec;
use super::im2col::{
    Geometry, col2im_into, from_channel_major_into, im2col, to_channel_major, to_position_major,
};
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::flex::ops::matmul::matmul;
use burn::backend::{Autodiff, DType, Flex};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::{Shape, Tensor, TensorData};

type Ad = Autodiff<Flex>;

/// conv2d of `x` [N, C, H, W] with `weight` [O, C, k, k] (and `bias` [O]).
pub fn conv2d(x: Tensor<4>, weight: Tensor<4>, bias: Option<Tensor<1>>, s: &ConvSpec) -> Tensor<4> {
    let [n, c, h, w] = x.dims();
    let [o, _, k, _] = weight.dims();
    let side = |v: usize| (v + 2 * s.padding - s.dilation * (k - 1) - 1) / s.stride + 1;
    let g = Geometry {
        batch: n,
        channels: c,
        big: [h, w],
        small: [side(h), side(w)],
        kernel: k,
        stride: s.stride,
        padding: s.padding,
        dilation: s.dilation,
    };
    match flex_pair(&x, &weight) {
        Some((xp, wp)) => {
            let y = Tensor::<4>::from_primitive::<Ad>(conv2d_ad(xp, wp, g, o));
            add_bias(y, bias)
        }
        None => {
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
    let [_, co, k, _] = weight.dims();
    let side =
        |v: usize| (v - 1) * s.stride + s.dilation * (k - 1) + s.output_padding + 1 - 2 * s.padding;
    let g = Geometry {
        batch: n,
        channels: co,
        big: [side(h), side(w)],
        small: [h, w],
        kernel: k,
        stride: s.stride,
        padding: s.padding,
        dilation: s.dilation,
    };
    match flex_pair(&x, &weight) {
        Some((xp, wp)) => {
            let y = Tensor::<4>::from_primitive::<Ad>(conv_transpose2d_ad(xp, wp, g));
            add_bias(y, bias)
        }
        None => {
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

type AdTensor = burn::backend::tensor::FloatTensor<Ad>;

/// Whether [`conv2d`] and [`conv_transpose2d`] take the GEMM path for these tensors
/// (float32 on flex with autodiff, the CPU device's kind) rather than burn's.
pub fn applies(x: &Tensor<4>, weight: &Tensor<4>) -> bool {
    flex_pair(x, weight).is_some()
}

/// Both tensors as flex autodiff primitives holding float32, or None.
fn flex_pair(x: &Tensor<4>, w: &Tensor<4>) -> Option<(AdTensor, AdTensor)> {
    let xp = x.clone().try_into_primitive::<Ad>().ok()?;
    let wp = w.clone().try_into_primitive::<Ad>().ok()?;
    let f32s = xp.primitive().dtype() == DType::F32 && wp.primitive().dtype() == DType::F32;
    f32s.then_some((xp, wp))
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

/// The values of `t` in row-major order (copied only when `t` is a strided view).
fn contiguous(t: &FlexTensor) -> FlexTensor {
    t.to_contiguous()
}

fn values(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>()
        .expect("conv_gemm: contiguous float32 tensor")
}

fn tensor(data: Vec<f32>, shape: &[usize]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(data, Shape::from(shape.to_vec())))
}

/// `t` seen as a [rows, cols] matrix (t contiguous).
fn matrix(t: &FlexTensor, rows: usize, cols: usize) -> FlexTensor {
    t.reshape(Shape::new([rows, cols]))
}

/// Column-matrix bytes per run of samples: small enough to stay in cache between its im2col
/// and its matrix product (and to keep the product's output small, which the GEMM runs
/// faster), large enough for the product to stay efficient. 1-8 MiB measured alike within
/// noise at the DCGAN shapes; full-batch column matrices (up to 67 MB) were 1.5x slower.
const RUN_BYTES: usize = 2 << 20;

/// dst += src
fn accumulate(dst: &mut [f32], src: &FlexTensor) {
    let src = contiguous(src);
    for (d, s) in dst.iter_mut().zip(values(&src)) {
        *d += s;
    }
}

/// `[rows, cols]` -> `[cols, rows]`
fn transposed(x: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    to_position_major(x, 1, rows, cols)
}

// ---------------------------------------------------------------- conv2d

/// y [N, O, h, w] = W [O, C·k·k] · im2col(x), run by run of samples.
fn conv2d_forward(x: &[f32], w: &FlexTensor, g: &Geometry, o: usize) -> FlexTensor {
    let p = g.positions();
    let mut y = vec![0.0f32; g.batch * o * p];
    for (n0, nb) in g.sample_runs(RUN_BYTES) {
        let gr = g.with_batch(nb);
        let xr = &x[n0 * g.big_sample()..][..nb * g.big_sample()];
        let cols = tensor(im2col(&gr, xr), &[gr.rows(), gr.cols()]);
        let yr = contiguous(&matmul(matrix(w, o, g.rows()), cols));
        from_channel_major_into(values(&yr), nb, o, p, &mut y[n0 * o * p..][..nb * o * p]);
    }
    tensor(y, &[g.batch, o, g.small[0], g.small[1]])
}

#[derive(Debug)]
struct Conv2dBackward;

impl Backward<Flex, 2> for Conv2dBackward {
    /// (x contiguous, weight contiguous, geometry, out channels)
    type State = (FlexTensor, FlexTensor, Geometry, usize);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w] = ops.parents;
        let dy = contiguous(&grads.consume::<Flex>(&ops.node));
        let (x, w, g, o) = ops.state;
        let (dy, xv, p) = (values(&dy), values(&x), g.positions());
        let mut dw = node_w.as_ref().map(|_| vec![0.0f32; o * g.rows()]);
        let mut dx = node_x.as_ref().map(|_| vec![0.0f32; g.big_len()]);
        for (n0, nb) in g.sample_runs(RUN_BYTES) {
            let gr = g.with_batch(nb);
            // dY as [O, nb·h·w]
            let dyr = to_channel_major(&dy[n0 * o * p..][..nb * o * p], nb, o, p);
            let dyr = tensor(dyr, &[o, gr.cols()]);
            if let Some(dw) = dw.as_mut() {
                // dWᵀ [C·k·k, O] = im2col(x) · dYᵀ: both operands row-major, which the
                // GEMM runs about twice as fast as a transposed right-hand side.
                let xr = &xv[n0 * g.big_sample()..][..nb * g.big_sample()];
                let cols = tensor(im2col(&gr, xr), &[gr.rows(), gr.cols()]);
                let dyt = to_position_major(&dy[n0 * o * p..][..nb * o * p], nb, o, p);
                let dwt = matmul(cols, tensor(dyt, &[gr.cols(), o]));
                accumulate(dw, &dwt);
            }
            if let Some(dx) = dx.as_mut() {
                let wt = matrix(&w, o, g.rows()).transpose(0, 1);
                let dcols = contiguous(&matmul(wt, dyr));
                let dxr = &mut dx[n0 * g.big_sample()..][..nb * g.big_sample()];
                col2im_into(&gr, values(&dcols), dxr);
            }
        }
        if let (Some(node), Some(dwt)) = (node_w, dw) {
            let dw = transposed(&dwt, g.rows(), o);
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
    let (xv, wv) = (contiguous(x.primitive()), contiguous(w.primitive()));
    let y = conv2d_forward(values(&xv), &wv, &g, o);
    match prep {
        OpsKind::Tracked(prep) => prep.finish((xv, wv, g, o), y),
        OpsKind::UnTracked(prep) => prep.finish(y),
    }
}

// ---------------------------------------------------------------- conv_transpose2d

/// y [N, Co, H', W'] = col2im(Wᵀ · X), W [Ci, Co·k·k], X = x as [Ci, nb·h·w], run by run.
fn conv_transpose2d_forward(x: &[f32], w: &FlexTensor, g: &Geometry, ci: usize) -> FlexTensor {
    let p = g.positions();
    let mut y = vec![0.0f32; g.big_len()];
    for (n0, nb) in g.sample_runs(RUN_BYTES) {
        let gr = g.with_batch(nb);
        let xr = to_channel_major(&x[n0 * ci * p..][..nb * ci * p], nb, ci, p);
        let xr = tensor(xr, &[ci, gr.cols()]);
        let cols = contiguous(&matmul(matrix(w, ci, g.rows()).transpose(0, 1), xr));
        let yr = &mut y[n0 * g.big_sample()..][..nb * g.big_sample()];
        col2im_into(&gr, values(&cols), yr);
    }
    tensor(y, &[g.batch, g.channels, g.big[0], g.big[1]])
}

#[derive(Debug)]
struct ConvTranspose2dBackward;

impl Backward<Flex, 2> for ConvTranspose2dBackward {
    /// (x contiguous, weight contiguous, geometry)
    type State = (FlexTensor, FlexTensor, Geometry);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w] = ops.parents;
        let dy = contiguous(&grads.consume::<Flex>(&ops.node));
        let (x, w, g) = ops.state;
        let ci = x.layout().shape()[1];
        let (dy, xv, p) = (values(&dy), values(&x), g.positions());
        let mut dw = node_w.as_ref().map(|_| vec![0.0f32; ci * g.rows()]);
        let mut dx = node_x.as_ref().map(|_| vec![0.0f32; g.batch * ci * p]);
        for (n0, nb) in g.sample_runs(RUN_BYTES) {
            let gr = g.with_batch(nb);
            // im2col(dY): [Co·k·k, nb·h·w]
            let dyr = &dy[n0 * g.big_sample()..][..nb * g.big_sample()];
            let dcols = tensor(im2col(&gr, dyr), &[gr.rows(), gr.cols()]);
            if let Some(dw) = dw.as_mut() {
                // dWᵀ [Co·k·k, Ci] = im2col(dY) · Xᵀ (both row-major, see conv2d).
                let xt = to_position_major(&xv[n0 * ci * p..][..nb * ci * p], nb, ci, p);
                let dwt = matmul(dcols.clone(), tensor(xt, &[gr.cols(), ci]));
                accumulate(dw, &dwt);
            }
            if let Some(dx) = dx.as_mut() {
                let dxr = contiguous(&matmul(matrix(&w, ci, g.rows()), dcols));
                let out = &mut dx[n0 * ci * p..][..nb * ci * p];
                from_channel_major_into(values(&dxr), nb, ci, p, out);
            }
        }
        if let (Some(node), Some(dwt)) = (node_w, dw) {
            let dw = transposed(&dwt, g.rows(), ci);
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
    let (xv, wv) = (contiguous(x.primitive()), contiguous(w.primitive()));
    let ci = xv.layout().shape()[1];
    let y = conv_transpose2d_forward(values(&xv), &wv, &g, ci);
    match prep {
        OpsKind::Tracked(prep) => prep.finish((xv, wv, g), y),
        OpsKind::UnTracked(prep) => prep.finish(y),
    }
}
