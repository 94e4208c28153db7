//! Faster exact forms of the transposed convolutions GANs use most, on the CPU backend whose
//! own `conv_transpose2d` (and its backward) is slow (burn issue #5759):
//!
//! - stride 2, kernel 4, padding 1 (every DCGAN upsampling layer) as four 2x2 convolutions,
//!   one per output phase, interleaved ("sub-pixel" convolution);
//! - a 1x1 input with no padding (DCGAN's first layer, z -> 4x4) as one matrix product.
//!
//! Both are the same arithmetic as the plain operation, reordered; autodiff differentiates
//! them as usual. Golden tests compare them with `conv_transpose2d`, forward and backward.

use burn::tensor::Tensor;
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;

/// Whether [`stride2_k4_p1`] computes this layer.
pub fn fits_subpixel(
    kernel: usize,
    stride: usize,
    padding: usize,
    dilation: usize,
    out_pad: usize,
) -> bool {
    kernel == 4 && stride == 2 && padding == 1 && dilation == 1 && out_pad == 0
}

/// conv_transpose2d(x, w, stride 2, padding 1) for a 4x4 kernel.
/// x: [N, Cin, H, W], w: [Cin, Cout, 4, 4] -> [N, Cout, 2H, 2W]
///
/// Output row 2m + a takes input rows (m - 1, m) with kernel rows (3, 1) when a = 0, and
/// rows (m, m + 1) with kernel rows (2, 0) when a = 1; columns likewise. Each phase (a, b) is
/// a 2x2 convolution padded on one side.
pub fn stride2_k4_p1(x: Tensor<4>, w: Tensor<4>, bias: Option<Tensor<1>>) -> Tensor<4> {
    let [n, _, h, wd] = x.dims();
    let [_, c_out, _, _] = w.dims();
    // conv2d wants [Cout, Cin, kh, kw]
    let w = w.swap_dims(0, 1);
    let taps = |phase: usize| if phase == 0 { [3, 1] } else { [2, 0] };
    let pad = |phase: usize| if phase == 0 { (1, 0) } else { (0, 1) };
    let mut rows = Vec::with_capacity(2);
    for a in 0..2 {
        let mut cols = Vec::with_capacity(2);
        for b in 0..2 {
            let [r0, r1] = taps(a);
            let [c0, c1] = taps(b);
            // [Cout, Cin, 2, 4], then [Cout, Cin, 2, 2]: the chosen kernel rows and columns
            let rows_k = Tensor::cat(
                vec![w.clone().narrow(2, r0, 1), w.clone().narrow(2, r1, 1)],
                2,
            );
            let k = Tensor::cat(
                vec![rows_k.clone().narrow(3, c0, 1), rows_k.narrow(3, c1, 1)],
                3,
            );
            let opts = ConvOptions::new_with_padding([1, 1], [pad(a), pad(b)], [1, 1], 1);
            // [N, Cout, H, W]
            cols.push(conv2d(x.clone(), k, None, opts).unsqueeze_dim::<5>(4));
        }
        // [N, Cout, H, W, 2]
        rows.push(Tensor::cat(cols, 4).unsqueeze_dim::<6>(3));
    }
    // [N, Cout, H, 2, W, 2] -> [N, Cout, 2H, 2W]
    let out: Tensor<4> = Tensor::cat(rows, 3).reshape([n, c_out, 2 * h, 2 * wd]);
    match bias {
        Some(b) => out + b.reshape([1, c_out, 1, 1]),
        None => out,
    }
}

/// Whether [`from_point`] computes this layer.
pub fn fits_point(h: usize, w: usize, padding: usize, dilation: usize, out_pad: usize) -> bool {
    h == 1 && w == 1 && padding == 0 && dilation == 1 && out_pad == 0
}

/// conv_transpose2d of a 1x1 input without padding: each output pixel is one kernel tap.
/// x: [N, Cin, 1, 1], w: [Cin, Cout, k, k] -> [N, Cout, k, k]
pub fn from_point(x: Tensor<4>, w: Tensor<4>, bias: Option<Tensor<1>>) -> Tensor<4> {
    let [n, c_in, _, _] = x.dims();
    let [_, c_out, kh, kw] = w.dims();
    // [N, Cin] x [Cin, Cout k k]
    let out = x
        .reshape([n, c_in])
        .matmul(w.reshape([c_in, c_out * kh * kw]));
    let out = out.reshape([n, c_out, kh, kw]);
    match bias {
        Some(b) => out + b.reshape([1, c_out, 1, 1]),
        None => out,
    }
}
