//! Shape operations on [`DynTensor`]: reshape, flatten, transpose, permute, narrow, slice,
//! repeat, cat and stack.

use super::{DynTensor, MAX_RANK, check_shape, norm_dim, resolve_reshape};
use crate::error::Result;
use crate::{bail, err};
use burn::tensor::{Shape, Tensor};

impl DynTensor {
    /// Same values in a new shape; one dimension may be -1 (inferred).
    pub fn reshape_spec(self, spec: &[i64]) -> Result<DynTensor> {
        let dims = resolve_reshape(&self.shape(), spec)?;
        self.reshape(&dims)
    }

    /// Same values in a new shape with as many elements.
    pub fn reshape(self, dims: &[usize]) -> Result<DynTensor> {
        check_shape(dims)?;
        let n: usize = dims.iter().product();
        if n != self.numel() {
            bail!(
                "cannot reshape {:?} ({} elements) to {:?} ({n} elements)",
                self.shape(),
                self.numel(),
                dims
            );
        }
        let s = Shape::from(dims.to_vec());
        build_rank!(dims.len(), D => with_rank!(self, x => x.reshape::<D, _>(s.clone())))
    }

    /// Flattens dims `start..=end` into one (PyTorch's `flatten`).
    pub fn flatten(self, start: i64, end: i64) -> Result<DynTensor> {
        let shape = self.shape();
        let s = norm_dim(start, shape.len(), "flatten")?;
        let e = norm_dim(end, shape.len(), "flatten")?;
        if s > e {
            bail!("flatten: start dim {start} comes after end dim {end}");
        }
        let mut dims = shape[..s].to_vec();
        dims.push(shape[s..=e].iter().product());
        dims.extend_from_slice(&shape[e + 1..]);
        self.reshape(&dims)
    }

    pub fn transpose(self, d0: i64, d1: i64) -> Result<DynTensor> {
        let r = self.rank();
        let (a, b) = (norm_dim(d0, r, "transpose")?, norm_dim(d1, r, "transpose")?);
        Ok(map_rank!(self, x => x.swap_dims(a, b)))
    }

    pub fn permute(self, dims: &[i64]) -> Result<DynTensor> {
        let r = self.rank();
        if dims.len() != r {
            bail!(
                "permute: {dims:?} has {} dims, the tensor {:?} has {r}",
                dims.len(),
                self.shape()
            );
        }
        let mut perm = Vec::with_capacity(r);
        for &d in dims {
            let d = norm_dim(d, r, "permute")?;
            if perm.contains(&d) {
                bail!("permute: dim {d} appears twice in {dims:?}");
            }
            perm.push(d);
        }
        Ok(match self {
            DynTensor::R1(x) => DynTensor::R1(x),
            DynTensor::R2(x) => DynTensor::R2(x.permute([perm[0], perm[1]])),
            DynTensor::R3(x) => DynTensor::R3(x.permute([perm[0], perm[1], perm[2]])),
            DynTensor::R4(x) => DynTensor::R4(x.permute([perm[0], perm[1], perm[2], perm[3]])),
            DynTensor::R5(x) => {
                DynTensor::R5(x.permute([perm[0], perm[1], perm[2], perm[3], perm[4]]))
            }
        })
    }

    /// `len` entries of `dim` starting at `start`.
    pub fn narrow(self, dim: i64, start: usize, len: usize) -> Result<DynTensor> {
        let shape = self.shape();
        let d = norm_dim(dim, shape.len(), "narrow")?;
        if len == 0 || start + len > shape[d] {
            bail!(
                "narrow: entries {start}..{} are outside dim {d} of size {} (shape {shape:?})",
                start + len,
                shape[d]
            );
        }
        Ok(map_rank!(self, x => x.narrow(d, start, len)))
    }

    /// Entries `start..end` of `dim` (negative indices count from the end).
    pub fn slice(self, dim: i64, start: i64, end: i64) -> Result<DynTensor> {
        let shape = self.shape();
        let d = norm_dim(dim, shape.len(), "slice")?;
        let n = shape[d] as i64;
        let fix = |i: i64| if i < 0 { (i + n).max(0) } else { i.min(n) };
        let (s, e) = (fix(start), fix(end));
        if s >= e {
            bail!(
                "slice: {start}..{end} selects nothing from dim {d} of size {n} (shape {shape:?})"
            );
        }
        self.narrow(d as i64, s as usize, (e - s) as usize)
    }

    /// Tiles the tensor: `repeat([2, 1])` stacks two copies along dim 0 (PyTorch's `repeat`).
    pub fn repeat(self, times: &[usize]) -> Result<DynTensor> {
        let shape = self.shape();
        if times.len() < shape.len() {
            bail!("repeat: {times:?} has fewer dims than the tensor {shape:?}");
        }
        let mut padded = vec![1; times.len() - shape.len()];
        padded.extend_from_slice(&shape);
        let out: Option<Vec<usize>> = padded
            .iter()
            .zip(times)
            .map(|(d, t)| d.checked_mul(*t))
            .collect();
        check_shape(&out.ok_or_else(|| err!("repeat: {times:?} makes more elements than exist"))?)?;
        let t = self.reshape(&padded)?;
        Ok(map_rank!(t, x => x.repeat(times)))
    }

    /// Joins tensors of equal shape except along `dim`.
    pub fn cat(list: Vec<DynTensor>, dim: i64) -> Result<DynTensor> {
        let first = list
            .first()
            .ok_or_else(|| err!("cat needs at least one tensor"))?;
        let shape = first.shape();
        let d = norm_dim(dim, shape.len(), "cat")?;
        for t in &list {
            let s = t.shape();
            let same_rest = s.len() == shape.len()
                && s.iter()
                    .zip(&shape)
                    .enumerate()
                    .all(|(i, (a, b))| i == d || a == b);
            if !same_rest {
                bail!("cat along dim {d}: shapes {shape:?} and {s:?} differ outside that dim");
            }
        }
        let mut out = shape.clone();
        out[d] = list.iter().map(|t| t.shape()[d]).sum();
        crate::memory_limit::check(&out)?;
        join(list, |v| Tensor::cat(v, d))
    }

    /// Stacks tensors of equal shape along a new dim.
    pub fn stack(list: Vec<DynTensor>, dim: i64) -> Result<DynTensor> {
        let first = list
            .first()
            .ok_or_else(|| err!("stack needs at least one tensor"))?;
        let shape = first.shape();
        let d = norm_dim(dim, shape.len() + 1, "stack")?;
        let mut parts = Vec::with_capacity(list.len());
        for t in list {
            if t.shape() != shape {
                bail!("stack: shapes {shape:?} and {:?} differ", t.shape());
            }
            let mut s = shape.clone();
            s.insert(d, 1);
            parts.push(t.reshape(&s)?);
        }
        Self::cat(parts, d as i64)
    }
}

fn join(list: Vec<DynTensor>, f: impl Fn(Vec<Tensor<5>>) -> Tensor<5>) -> Result<DynTensor> {
    // Joins at rank 5 (trailing 1s appended) and reshapes back: one code path for all ranks.
    let rank = list[0].rank();
    let mut lifted = Vec::with_capacity(list.len());
    for t in list {
        let mut s = t.shape();
        s.resize(MAX_RANK, 1);
        lifted.push(t.reshape(&s)?.ranked::<5>("cat")?);
    }
    let joined = f(lifted);
    let dims = joined.dims()[..rank].to_vec();
    DynTensor::R5(joined).reshape(&dims)
}
