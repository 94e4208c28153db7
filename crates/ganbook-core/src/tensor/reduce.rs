//! Reductions (sum, mean, max, min, argmax, argmin, var, std) and softmax on [`DynTensor`].

use super::{DynTensor, Reduce, norm_dim};
use crate::bail;
use crate::error::Result;

impl DynTensor {
    /// Reduces over everything (result shape [1]) or along `dim` (that dim removed,
    /// as in PyTorch; a rank-1 input gives shape [1]).
    pub fn reduce(self, op: Reduce, dim: Option<i64>) -> Result<DynTensor> {
        if matches!(op, Reduce::Var | Reduce::Std) {
            let n = match dim {
                None => self.numel(),
                Some(d) => self.shape()[norm_dim(d, self.rank(), op.name())?],
            };
            if n < 2 {
                bail!(
                    "{}: one value has no spread (the unbiased estimate divides by n - 1 = 0; PyTorch gives nan)",
                    op.name()
                );
            }
        }
        match dim {
            None => {
                let n = self.numel();
                let flat = self.reshape(&[n])?;
                let DynTensor::R1(x) = flat else {
                    unreachable!()
                };
                Ok(DynTensor::R1(op.along(x, 0)))
            }
            Some(dim) => {
                let mut shape = self.shape();
                let d = norm_dim(dim, shape.len(), op.name())?;
                let reduced = map_rank!(self, x => op.along(x, d));
                if shape.len() > 1 {
                    shape.remove(d);
                } else {
                    shape = vec![1];
                }
                reduced.reshape(&shape)
            }
        }
    }

    pub fn softmax(self, dim: i64, log: bool) -> Result<DynTensor> {
        let d = norm_dim(dim, self.rank(), "softmax")?;
        use burn::tensor::activation as act;
        Ok(if log {
            map_rank!(self, x => act::log_softmax(x, d))
        } else {
            map_rank!(self, x => act::softmax(x, d))
        })
    }
}
