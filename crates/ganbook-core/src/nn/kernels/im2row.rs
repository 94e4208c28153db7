//! `im2row`: the transpose of [`im2col`](super::im2col::im2col), built directly. Each window
//! position gets a row of its C·k·k values (layout `[N·h·w, C·k·k]`, row `(n, oy, ox)`, column
//! `(c, ky, kx)`), which is the row-major right-hand side a weight gradient wants:
//! `dW [O, C·k·k] = dY [O, N·h·w] · im2row(x)`. Transposing the column matrix instead, inside
//! the matrix product's packing, cost about as much as the product's own arithmetic.

use super::im2col::Geometry;
use rayon::prelude::*;

/// [`im2row`] into `out` (`[N·h·w, C·k·k]`), every element of which is written.
pub fn im2row_into(g: &Geometry, big: &[f32], out: &mut [f32]) {
    assert_eq!(big.len(), g.big_len(), "im2row: grid size");
    assert_eq!(out.len(), g.rows() * g.cols(), "im2row: row matrix size");
    let (k, d, rows) = (g.kernel, g.dilation, g.rows());
    let ([bh, bw], [sh, sw]) = (g.big, g.small);
    let plane = bh * bw;
    let offset = |o: usize, kk: usize| (o * g.stride + kk * d) as isize - g.padding as isize;
    // One task per (n, oy): the rows of that line of window positions.
    out.par_chunks_mut(sw * rows)
        .enumerate()
        .for_each(|(task, block)| {
            let (n, oy) = (task / sh, task % sh);
            let sample = &big[n * g.channels * plane..][..g.channels * plane];
            for (ox, row) in block.chunks_exact_mut(rows).enumerate() {
                let (x_first, x_last) = (offset(ox, 0), offset(ox, k - 1));
                let x_inside = x_first >= 0 && x_last < bw as isize;
                for (c, window) in row.chunks_exact_mut(k * k).enumerate() {
                    let channel = &sample[c * plane..][..plane];
                    for (ky, out) in window.chunks_exact_mut(k).enumerate() {
                        let iy = offset(oy, ky);
                        if iy < 0 || iy >= bh as isize {
                            out.fill(0.0);
                            continue;
                        }
                        let line = &channel[iy as usize * bw..][..bw];
                        if x_inside && d == 1 {
                            copy_window(out, &line[x_first as usize..][..k]);
                            continue;
                        }
                        for (kx, v) in out.iter_mut().enumerate() {
                            let ix = offset(ox, kx);
                            *v = if ix >= 0 && ix < bw as isize {
                                line[ix as usize]
                            } else {
                                0.0
                            };
                        }
                    }
                }
            }
        });
}

/// `out = src` (one window line); the common 4-wide line as a fixed-size copy rather than a
/// call to `memcpy`, whose cost dominates at this size.
#[inline]
fn copy_window(out: &mut [f32], src: &[f32]) {
    if let (Ok(o), Ok(s)) = (
        <&mut [f32; 4]>::try_from(&mut *out),
        <&[f32; 4]>::try_from(src),
    ) {
        *o = *s;
    } else {
        out.copy_from_slice(src);
    }
}

/// Unrolls the windows of `big` ([N, C, H, W]) into a `[N·h·w, C·k·k]` row matrix.
pub fn im2row(g: &Geometry, big: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0f32; g.rows() * g.cols()];
    im2row_into(g, big, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::kernels::im2col::im2col;
    use crate::nn::kernels::im2col::tests::geometries;

    #[test]
    fn im2row_is_im2col_transposed() {
        for g in geometries() {
            let big: Vec<f32> = (0..g.big_len()).map(|i| (i as f32 * 0.37).sin()).collect();
            let (cols, rows) = (im2col(&g, &big), im2row(&g, &big));
            for r in 0..g.rows() {
                for c in 0..g.cols() {
                    assert_eq!(rows[c * g.rows() + r], cols[r * g.cols() + c], "{g:?}");
                }
            }
        }
    }
}
