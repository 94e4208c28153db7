//! PyTorch-style indexing on [`DynTensor`]: `select` (what `t[i]` reads), writing into a
//! range of dim 0 (what `t[i] = v` and `t[a..b] = v` do), `squeeze`, `unsqueeze` and `.T`.
//!
//! ganbook has no 0-d tensors: where PyTorch would give one (`t[0]` of a rank-1 tensor,
//! `squeeze()` of a [1, 1] tensor) the result has shape [1].

use super::{DynTensor, broadcast_shape, norm_dim};
use crate::error::Result;
use crate::{bail, err};

impl DynTensor {
    /// Entry `index` of `dim` with that dim removed (PyTorch's `select`; `t[i]` is
    /// `select(0, i)`). Negative indices count from the end. [a, b, c] -> [a, c] for dim 1.
    pub fn select(self, dim: i64, index: i64) -> Result<DynTensor> {
        let shape = self.shape();
        let d = norm_dim(dim, shape.len(), "select")?;
        let i = norm_index(index, shape[d], d)?;
        self.narrow(d as i64, i, 1)?.reshape(&without(&shape, d))
    }

    /// A copy of the tensor with entries `start..end` of dim 0 replaced by `value`, which is
    /// broadcast to their shape [end - start, rest...] (PyTorch's `t[a:b] = value`). The
    /// result is a new tensor: gradients flow to the entries kept and to `value`.
    pub fn assign_rows(self, start: i64, end: i64, value: DynTensor) -> Result<DynTensor> {
        let shape = self.shape();
        let (s, e) = row_range(start, end, shape[0])?;
        let mut region = shape.clone();
        region[0] = e - s;
        let v = value.broadcast_for("t[a..b] = value", &region)?;
        self.slice_assign_rows(s, e, v)
    }

    /// A copy of the tensor with entry `index` of dim 0 replaced by `value`, which is
    /// broadcast to shape [rest...] (PyTorch's `t[i] = value`); negative indices count from
    /// the end.
    pub fn assign_row(self, index: i64, value: DynTensor) -> Result<DynTensor> {
        let shape = self.shape();
        let i = norm_index(index, shape[0], 0)?;
        let row = without(&shape, 0);
        let v = value.broadcast_for("t[i] = value", &row)?;
        let mut region = shape.clone();
        region[0] = 1;
        self.slice_assign_rows(i, i + 1, v.reshape(&region)?)
    }

    /// Broadcasts to `shape` as an assigned value must (same or lower rank, size-1 dims
    /// stretch), or an error naming `what`.
    fn broadcast_for(self, what: &str, shape: &[usize]) -> Result<DynTensor> {
        let mine = self.shape();
        let fits = mine.len() <= shape.len()
            && broadcast_shape(&mine, shape).is_some_and(|out| out == shape);
        if !fits {
            bail!("{what}: a value of shape {mine:?} does not fit the place's shape {shape:?}");
        }
        self.expand_to(shape)
    }

    /// Writes `values` (shape [end - start, rest...]) over entries start..end of dim 0.
    fn slice_assign_rows(self, start: usize, end: usize, values: DynTensor) -> Result<DynTensor> {
        let r = start..end;
        Ok(match (self, values) {
            (DynTensor::R1(x), DynTensor::R1(v)) => DynTensor::R1(x.slice_assign([r], v)),
            (DynTensor::R2(x), DynTensor::R2(v)) => DynTensor::R2(x.slice_assign([r], v)),
            (DynTensor::R3(x), DynTensor::R3(v)) => DynTensor::R3(x.slice_assign([r], v)),
            (DynTensor::R4(x), DynTensor::R4(v)) => DynTensor::R4(x.slice_assign([r], v)),
            (DynTensor::R5(x), DynTensor::R5(v)) => DynTensor::R5(x.slice_assign([r], v)),
            _ => unreachable!("broadcast_for gives the value the tensor's rank"),
        })
    }

    /// Removes every dim of size 1 (PyTorch's `squeeze()`); all-ones shapes give [1].
    pub fn squeeze_all(self) -> Result<DynTensor> {
        let mut out: Vec<usize> = self.shape().into_iter().filter(|&d| d != 1).collect();
        if out.is_empty() {
            out.push(1);
        }
        self.reshape(&out)
    }

    /// Removes `dim` if its size is 1 and leaves the tensor as it is otherwise (PyTorch's
    /// `squeeze(dim)`); a rank-1 tensor stays rank 1.
    pub fn squeeze_dim(self, dim: i64) -> Result<DynTensor> {
        let shape = self.shape();
        let d = norm_dim(dim, shape.len(), "squeeze")?;
        if shape[d] != 1 || shape.len() == 1 {
            return Ok(self);
        }
        self.reshape(&without(&shape, d))
    }

    /// Inserts a dim of size 1 at `dim`, which may be 0..=rank or negative (-1 appends, as
    /// in PyTorch's `unsqueeze`). [a, b] -> [1, a, b] for dim 0.
    pub fn unsqueeze(self, dim: i64) -> Result<DynTensor> {
        let mut shape = self.shape();
        let d = norm_dim(dim, shape.len() + 1, "unsqueeze")?;
        shape.insert(d, 1);
        self.reshape(&shape)
    }

    /// All dims in reverse order (PyTorch's `.T`: the transpose of a matrix; a rank-1
    /// tensor is returned as it is). [a, b, c] -> [c, b, a].
    pub fn reversed_dims(self) -> Result<DynTensor> {
        let r = self.rank() as i64;
        self.permute(&(0..r).rev().collect::<Vec<_>>())
    }
}

/// `shape` without dim `d`; [1] when nothing would be left.
fn without(shape: &[usize], d: usize) -> Vec<usize> {
    let mut out = shape.to_vec();
    out.remove(d);
    if out.is_empty() {
        out.push(1);
    }
    out
}

/// An index into a dim of size `n` (negative counts from the end), checked.
fn norm_index(index: i64, n: usize, dim: usize) -> Result<usize> {
    let i = if index < 0 { index + n as i64 } else { index };
    if i < 0 || i >= n as i64 {
        return Err(err!(
            "index {index} is out of range for dim {dim} of size {n}"
        ));
    }
    Ok(i as usize)
}

/// The entries `start..end` of a dim of size `n` by PyTorch's slice rules (negative counts
/// from the end, ends past the dim are clamped), refusing an empty range.
pub fn row_range(start: i64, end: i64, n: usize) -> Result<(usize, usize)> {
    let n = n as i64;
    let fix = |i: i64| if i < 0 { (i + n).max(0) } else { i.min(n) };
    let (s, e) = (fix(start), fix(end));
    if s >= e {
        bail!("{start}..{end} selects nothing from a dim of size {n}");
    }
    Ok((s as usize, e as usize))
}
