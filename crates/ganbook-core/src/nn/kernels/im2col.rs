//! The index work of a convolution done as one matrix product: `im2col` unrolls every k x k
//! window of a "big" grid into a column, `col2im` adds columns back into the grid (its
//! transpose). A conv2d is `W · im2col(x)`; a transposed convolution is `col2im(Wᵀ · x)`; their
//! gradients are the same two kernels around matrix products.
//!
//! Layouts: a grid is `[N, C, H, W]` (row-major), a column matrix is `[C·k·k, N·h·w]` with row
//! `(c, ky, kx)` and column `(n, oy, ox)`, where `h x w` is the "small" grid of window positions.
//! A window at `(oy, ox)` reads big-grid row `oy·s - p + ky·d` and column `ox·s - p + kx·d`;
//! positions outside the grid read zero (and receive nothing in `col2im`).

use super::conv_spec::ConvSpec;
use rayon::prelude::*;

/// The shapes and window settings that relate a big grid to its window positions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Geometry {
    pub batch: usize,
    pub channels: usize,
    /// Big grid [H, W]: conv2d's input, a transposed convolution's output.
    pub big: [usize; 2],
    /// Window positions [h, w]: conv2d's output, a transposed convolution's input.
    pub small: [usize; 2],
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
    pub dilation: usize,
}

impl Geometry {
    /// `batch` samples of `channels` channels whose big grid `big` and window positions
    /// `small` are related by the kernel, stride, padding and dilation of `spec`.
    pub fn of(
        spec: &ConvSpec,
        batch: usize,
        channels: usize,
        big: [usize; 2],
        small: [usize; 2],
    ) -> Geometry {
        Geometry {
            batch,
            channels,
            big,
            small,
            kernel: spec.kernel,
            stride: spec.stride,
            padding: spec.padding,
            dilation: spec.dilation,
        }
    }

    /// Rows of the column matrix: C·k·k.
    pub fn rows(&self) -> usize {
        self.channels * self.kernel * self.kernel
    }

    /// Columns of the column matrix: N·h·w.
    pub fn cols(&self) -> usize {
        self.batch * self.small[0] * self.small[1]
    }

    /// Elements of the big grid: N·C·H·W.
    pub fn big_len(&self) -> usize {
        self.batch * self.channels * self.big[0] * self.big[1]
    }

    /// Elements of one sample of the big grid: C·H·W.
    pub fn big_sample(&self) -> usize {
        self.channels * self.big[0] * self.big[1]
    }

    /// Window positions per sample: h·w.
    pub fn positions(&self) -> usize {
        self.small[0] * self.small[1]
    }

    /// The same geometry for `batch` samples.
    pub fn with_batch(&self, batch: usize) -> Geometry {
        Geometry { batch, ..*self }
    }

    /// Splits the batch into runs of samples `(first, count)` whose column matrix stays near
    /// `bytes` (at least 256 columns, so that a matrix product over it stays efficient), and
    /// into at least `threads` runs when the batch allows.
    pub fn sample_runs(&self, bytes: usize, threads: usize) -> Vec<(usize, usize)> {
        let columns = (bytes / 4 / self.rows().max(1)).max(256);
        let per_thread = self.batch.div_ceil(threads.max(1)).max(1);
        let per_run = (columns / self.positions().max(1)).clamp(1, per_thread);
        (0..self.batch)
            .step_by(per_run)
            .map(|n0| (n0, per_run.min(self.batch - n0)))
            .collect()
    }

    /// For kernel offset `kk` along axis `axis`: the window positions `[lo, hi)` that land
    /// inside the big grid, and the big-grid index of position 0 (may be negative).
    fn span(&self, axis: usize, kk: usize) -> (usize, usize, isize) {
        let (s, big, small) = (
            self.stride as isize,
            self.big[axis] as isize,
            self.small[axis],
        );
        let start = (kk * self.dilation) as isize - self.padding as isize;
        // First o with o·s + start >= 0, first o with o·s + start >= big.
        let first = |limit: isize| -> usize {
            let need = limit - start;
            if need <= 0 {
                0
            } else {
                ((need + s - 1) / s) as usize
            }
        };
        let lo = first(0).min(small);
        let hi = first(big).clamp(lo, small);
        (lo, hi, start)
    }

    /// [`Geometry::span`] of every kernel offset along `axis`.
    fn spans(&self, axis: usize) -> Vec<(usize, usize, isize)> {
        (0..self.kernel).map(|kk| self.span(axis, kk)).collect()
    }
}

/// Unrolls the windows of `big` ([N, C, H, W]) into a `[C·k·k, N·h·w]` column matrix.
pub fn im2col(g: &Geometry, big: &[f32]) -> Vec<f32> {
    let mut cols = vec![0.0f32; g.rows() * g.cols()];
    im2col_into(g, big, &mut cols);
    cols
}

/// [`im2col`] into `cols`, every element of which is written.
pub fn im2col_into(g: &Geometry, big: &[f32], cols: &mut [f32]) {
    assert_eq!(big.len(), g.big_len(), "im2col: grid size");
    assert_eq!(
        cols.len(),
        g.rows() * g.cols(),
        "im2col: column matrix size"
    );
    let (k, m) = (g.kernel, g.cols());
    let ([bh, bw], [sh, sw]) = (g.big, g.small);
    let plane = bh * bw;
    let (y_spans, x_spans) = (g.spans(0), g.spans(1));
    // One task per (c, ky): rows (c, ky, 0..k) are contiguous.
    cols.par_chunks_mut(k * m)
        .enumerate()
        .for_each(|(task, rows)| {
            let (c, ky) = (task / k, task % k);
            let (ylo, yhi, ystart) = y_spans[ky];
            for (kx, &(xlo, xhi, xstart)) in x_spans.iter().enumerate() {
                let row = &mut rows[kx * m..(kx + 1) * m];
                for n in 0..g.batch {
                    let src = &big[(n * g.channels + c) * plane..][..plane];
                    let dst = &mut row[n * sh * sw..][..sh * sw];
                    dst[..ylo * sw].fill(0.0);
                    dst[yhi * sw..].fill(0.0);
                    for oy in ylo..yhi {
                        let iy = (oy as isize * g.stride as isize + ystart) as usize;
                        let line = &src[iy * bw..][..bw];
                        let out = &mut dst[oy * sw..][..sw];
                        out[..xlo].fill(0.0);
                        out[xhi.max(xlo)..].fill(0.0);
                        gather(out, line, xlo, xhi, xstart, g.stride);
                    }
                }
            }
        });
}

/// `out[o] = line[o·s + start]` for `o` in `[lo, hi)`; the rest of `out` stays as it is.
#[inline]
fn gather(out: &mut [f32], line: &[f32], lo: usize, hi: usize, start: isize, s: usize) {
    if lo >= hi {
        return;
    }
    let first = (lo as isize * s as isize + start) as usize;
    if s == 1 {
        out[lo..hi].copy_from_slice(&line[first..first + (hi - lo)]);
    } else if s == 2 {
        // pairs of the line, of which the first is wanted (a form the compiler vectorises);
        // the last value may have no partner inside the line
        let (out, line) = (&mut out[lo..hi], &line[first..]);
        let paired = line.len() / 2;
        for (v, pair) in out.iter_mut().zip(line.chunks_exact(2)) {
            *v = pair[0];
        }
        if out.len() > paired {
            out[paired] = line[2 * paired];
        }
    } else {
        for (v, x) in out[lo..hi].iter_mut().zip(line[first..].iter().step_by(s)) {
            *v = *x;
        }
    }
}

/// Adds the columns of `cols` ([C·k·k, N·h·w]) back into a zeroed big grid [N, C, H, W].
pub fn col2im(g: &Geometry, cols: &[f32]) -> Vec<f32> {
    let mut big = vec![0.0f32; g.big_len()];
    col2im_into(g, cols, &mut big);
    big
}

/// [`col2im`] into `big`, which is overwritten.
pub fn col2im_into(g: &Geometry, cols: &[f32], big: &mut [f32]) {
    assert_eq!(
        cols.len(),
        g.rows() * g.cols(),
        "col2im: column matrix size"
    );
    assert_eq!(big.len(), g.big_len(), "col2im: grid size");
    let (k, m) = (g.kernel, g.cols());
    let ([bh, bw], [sh, sw]) = (g.big, g.small);
    let (y_spans, x_spans) = (g.spans(0), g.spans(1));
    // One task per (n, c) plane: planes are disjoint and stay in cache across (ky, kx).
    big.par_chunks_mut(bh * bw)
        .enumerate()
        .for_each(|(task, plane)| {
            plane.fill(0.0);
            let (n, c) = (task / g.channels, task % g.channels);
            for (ky, &(ylo, yhi, ystart)) in y_spans.iter().enumerate() {
                for (kx, &(xlo, xhi, xstart)) in x_spans.iter().enumerate() {
                    if xlo >= xhi {
                        continue;
                    }
                    let row = &cols[((c * k + ky) * k + kx) * m + n * sh * sw..][..sh * sw];
                    for oy in ylo..yhi {
                        let iy = (oy as isize * g.stride as isize + ystart) as usize;
                        let line = &mut plane[iy * bw..][..bw];
                        let src = &row[oy * sw..][..sw];
                        scatter_add(line, src, xlo, xhi, xstart, g.stride);
                    }
                }
            }
        });
}

/// `line[o·s + start] += src[o]` for `o` in `[lo, hi)`.
#[inline]
fn scatter_add(line: &mut [f32], src: &[f32], lo: usize, hi: usize, start: isize, s: usize) {
    let first = (lo as isize * s as isize + start) as usize;
    if s == 1 {
        let dst = &mut line[first..first + (hi - lo)];
        for (d, v) in dst.iter_mut().zip(&src[lo..hi]) {
            *d += v;
        }
    } else if s == 2 {
        // as in `gather`: the first of each pair, and the last value may have no partner
        let (src, line) = (&src[lo..hi], &mut line[first..]);
        let paired = line.len() / 2;
        for (pair, v) in line.chunks_exact_mut(2).zip(src) {
            pair[0] += v;
        }
        if src.len() > paired {
            line[2 * paired] += src[paired];
        }
    } else {
        for (o, v) in src[lo..hi].iter().enumerate() {
            line[first + o * s] += v;
        }
    }
}

/// `[N, C, P]` -> `[C, N·P]` (channel-major), as a matrix product wants a batch.
pub fn to_channel_major(x: &[f32], n: usize, c: usize, p: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; x.len()];
    to_channel_major_into(x, n, c, p, &mut out);
    out
}

/// [`to_channel_major`] into `out`, which is overwritten.
pub fn to_channel_major_into(x: &[f32], n: usize, c: usize, p: usize, out: &mut [f32]) {
    assert_eq!(x.len(), n * c * p, "to_channel_major: size");
    assert_eq!(out.len(), x.len(), "to_channel_major: output size");
    out.par_chunks_mut(n * p).enumerate().for_each(|(ci, row)| {
        for ni in 0..n {
            row[ni * p..(ni + 1) * p].copy_from_slice(&x[(ni * c + ci) * p..][..p]);
        }
    });
}

/// `[C, N·P]` -> `[N, C, P]`, written into `out`.
pub fn from_channel_major_into(x: &[f32], n: usize, c: usize, p: usize, out: &mut [f32]) {
    assert_eq!(x.len(), n * c * p, "from_channel_major: size");
    assert_eq!(out.len(), x.len(), "from_channel_major: output size");
    out.par_chunks_mut(p).enumerate().for_each(|(task, dst)| {
        let (ni, ci) = (task / c, task % c);
        dst.copy_from_slice(&x[ci * n * p + ni * p..][..p]);
    });
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Plain loops over every window position and kernel offset.
    fn naive_im2col(g: &Geometry, big: &[f32]) -> Vec<f32> {
        let (k, [bh, bw], [sh, sw]) = (g.kernel, g.big, g.small);
        let mut cols = vec![0.0; g.rows() * g.cols()];
        for c in 0..g.channels {
            for ky in 0..k {
                for kx in 0..k {
                    for n in 0..g.batch {
                        for oy in 0..sh {
                            for ox in 0..sw {
                                let iy =
                                    (oy * g.stride + ky * g.dilation) as isize - g.padding as isize;
                                let ix =
                                    (ox * g.stride + kx * g.dilation) as isize - g.padding as isize;
                                let inside = (0..bh as isize).contains(&iy)
                                    && (0..bw as isize).contains(&ix);
                                let row = (c * k + ky) * k + kx;
                                let col = (n * sh + oy) * sw + ox;
                                cols[row * g.cols() + col] = if inside {
                                    big[((n * g.channels + c) * bh + iy as usize) * bw
                                        + ix as usize]
                                } else {
                                    0.0
                                };
                            }
                        }
                    }
                }
            }
        }
        cols
    }

    /// Window settings the index kernels' tests cover (im2row's tests too).
    pub(crate) fn geometries() -> Vec<Geometry> {
        let g = |big: [usize; 2], kernel, stride, padding, dilation| {
            let side = |x: usize| (x + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1;
            Geometry {
                batch: 2,
                channels: 3,
                big,
                small: [side(big[0]), side(big[1])],
                kernel,
                stride,
                padding,
                dilation,
            }
        };
        vec![
            g([8, 8], 4, 2, 1, 1),
            g([7, 5], 3, 1, 1, 1),
            g([9, 9], 3, 2, 0, 2),
            g([4, 4], 4, 1, 0, 1),
            g([11, 6], 8, 2, 3, 1),
            g([5, 5], 2, 3, 2, 1),
        ]
    }

    #[test]
    fn im2col_matches_plain_loops() {
        for g in geometries() {
            let big: Vec<f32> = (0..g.big_len()).map(|i| (i as f32 * 0.37).sin()).collect();
            assert_eq!(im2col(&g, &big), naive_im2col(&g, &big), "{g:?}");
        }
    }

    #[test]
    fn into_variants_overwrite_their_output() {
        for g in geometries() {
            let big: Vec<f32> = (0..g.big_len()).map(|i| (i as f32 * 0.37).sin()).collect();
            let mut cols = vec![f32::NAN; g.rows() * g.cols()];
            im2col_into(&g, &big, &mut cols);
            assert_eq!(cols, naive_im2col(&g, &big), "{g:?}");
            let mut back = vec![f32::NAN; g.big_len()];
            col2im_into(&g, &cols, &mut back);
            assert_eq!(back, col2im(&g, &cols), "{g:?}");
        }
    }

    #[test]
    fn col2im_is_the_transpose_of_im2col() {
        // <im2col(a), b> == <a, col2im(b)> for any a, b.
        for g in geometries() {
            let a: Vec<f32> = (0..g.big_len()).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..g.rows() * g.cols())
                .map(|i| (i as f32 * 0.11).cos())
                .collect();
            let lhs: f64 = im2col(&g, &a)
                .iter()
                .zip(&b)
                .map(|(x, y)| (x * y) as f64)
                .sum();
            let rhs: f64 = a
                .iter()
                .zip(col2im(&g, &b))
                .map(|(x, y)| (x * y) as f64)
                .sum();
            assert!(
                (lhs - rhs).abs() < 1e-3 * lhs.abs().max(1.0),
                "{g:?}: {lhs} vs {rhs}"
            );
        }
    }

    #[test]
    fn channel_major_round_trip() {
        let x: Vec<f32> = (0..2 * 3 * 5).map(|i| i as f32).collect();
        let cm = to_channel_major(&x, 2, 3, 5);
        assert_eq!(cm[5], x[15], "channel 0 of sample 1 follows sample 0");
        let mut back = vec![0.0; x.len()];
        from_channel_major_into(&cm, 2, 3, 5, &mut back);
        assert_eq!(back, x);
    }
}
