//! Matrix products for ganbook's own CPU kernels, written straight into buffers the kernels
//! own, through the `gemm` crate (the one flex itself uses). Operands and output are strided
//! views, so a transposed operand costs no copy, and a product can accumulate into
//! its output (a weight gradient summed over runs of samples).
//!
//! Going around flex's `matmul` saves, per product: an output allocation that flex zero-fills
//! and then copies once more to align it, the `contiguous` copy of that output, and a separate
//! pass to add it into the accumulated gradient.

/// A `[rows, cols]` matrix inside a slice: element `(i, j)` is `data[i·row_step + j·col_step]`.
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    row_step: usize,
    col_step: usize,
}

impl<'a> View<'a> {
    /// `data` read as a row-major `[rows, cols]` matrix.
    pub fn row_major(data: &'a [f32], rows: usize, cols: usize) -> Self {
        let v = View {
            data,
            rows,
            cols,
            row_step: cols,
            col_step: 1,
        };
        v.check(data.len(), "operand");
        v
    }

    /// The transpose, as a view of the same values.
    pub fn t(self) -> Self {
        View {
            rows: self.cols,
            cols: self.rows,
            row_step: self.col_step,
            col_step: self.row_step,
            ..self
        }
    }

    /// Panics unless every element lies inside a slice of `len` values.
    fn check(&self, len: usize, what: &str) {
        let last = (self.rows.max(1) - 1) * self.row_step + (self.cols.max(1) - 1) * self.col_step;
        assert!(
            self.rows == 0 || self.cols == 0 || last < len,
            "matmul: {what} [{}, {}] does not fit in {len} values",
            self.rows,
            self.cols
        );
    }
}

/// Where a product goes: a buffer holding the `[rows, cols]` result row-major.
pub struct Out<'a> {
    data: &'a mut [f32],
}

impl<'a> Out<'a> {
    /// The product in `data`, row-major.
    pub fn new(data: &'a mut [f32]) -> Self {
        Out { data }
    }
}

/// Products smaller than this (multiply-adds) run on one thread (flex's threshold).
const PARALLEL_THRESHOLD: usize = 192 * 192 * 192;

/// `out = a · b`, or `out += a · b` with `accumulate`.
pub fn matmul_into(out: Out<'_>, a: View<'_>, b: View<'_>, accumulate: bool) {
    assert_eq!(a.cols, b.rows, "matmul: inner dimensions");
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert!(
        out.data.len() >= m * n,
        "matmul: output [{m}, {n}] does not fit in {} values",
        out.data.len()
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            out.data.fill(0.0);
        }
        return;
    }
    // inside a parallel task (a run of a convolution) the product stays on the task's thread
    let nested = rayon::current_thread_index().is_some();
    let parallelism = if !nested && m.saturating_mul(n).saturating_mul(k) >= PARALLEL_THRESHOLD {
        gemm::Parallelism::Rayon(0)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: every index the product touches was checked to lie inside its slice above
    // (`check`, and the output's length), `out` is a unique borrow so it aliases neither operand, and the strides are
    // those of the views.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.data.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a.col_step as isize,
            a.row_step as isize,
            b.data.as_ptr(),
            b.col_step as isize,
            b.row_step as isize,
            1.0f32,
            1.0f32,
            false,
            false,
            false,
            parallelism,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|l| a[i * k + l] * b[l * n + j]).sum();
            }
        }
        c
    }

    fn values(len: usize, seed: usize) -> Vec<f32> {
        (0..len)
            .map(|i| ((i * 7919 + seed * 104_729) % 23) as f32 / 11.0 - 1.0)
            .collect()
    }

    #[test]
    fn products_match_plain_loops_in_every_layout() {
        let (m, k, n) = (37, 19, 23);
        let (a, b) = (values(m * k, 1), values(k * n, 2));
        let want = naive(&a, &b, m, k, n);
        let (at, bt) = (naive_t(&a, m, k), naive_t(&b, k, n));
        let close = |got: &[f32], want: &[f32]| {
            for (g, w) in got.iter().zip(want) {
                assert!((g - w).abs() < 1e-4, "{g} vs {w}");
            }
        };
        // a and b given transposed in memory, read back through .t()
        let mut out = vec![f32::NAN; m * n];
        let a_view = View::row_major(&at, k, m).t();
        let b_view = View::row_major(&bt, n, k).t();
        matmul_into(Out::new(&mut out), a_view, b_view, false);
        close(&out, &want);
        // accumulating: 2·a·b
        let (av, bv) = (View::row_major(&a, m, k), View::row_major(&b, k, n));
        matmul_into(Out::new(&mut out), av, bv, true);
        let twice: Vec<f32> = want.iter().map(|v| 2.0 * v).collect();
        close(&out, &twice);
    }

    #[test]
    #[should_panic(expected = "does not fit")]
    fn a_view_past_its_slice_is_refused() {
        View::row_major(&[0.0; 5], 2, 3);
    }

    fn naive_t(x: &[f32], rows: usize, cols: usize) -> Vec<f32> {
        let mut t = vec![0.0; x.len()];
        for i in 0..rows {
            for j in 0..cols {
                t[j * rows + i] = x[i * cols + j];
            }
        }
        t
    }
}
