//! What ganbook's own CPU kernels (conv_gemm, batch_norm, activation) share: the
//! autodiff-on-flex types, float32 views of flex tensors, and parallel element-wise loops
//! that write straight into their output.

use burn::backend::flex::FlexTensor;
use burn::backend::{Autodiff, DType, Flex};
use burn::tensor::{Shape, Tensor, TensorData};
use rayon::prelude::*;
use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};

/// The CPU device's autodiff backend, on which the kernels record their own backward step.
pub type Ad = Autodiff<Flex>;
/// A float tensor primitive of [`Ad`].
pub type AdTensor = burn::backend::tensor::FloatTensor<Ad>;

/// Values per parallel task of the element-wise loops.
const CHUNK: usize = 1 << 15;

/// How many tensors [`flex_f32`] has handed to ganbook's CPU kernels in this process (the GPU
/// suite checks that a GPU run adds none).
static HANDED_TO_CPU_KERNELS: AtomicU64 = AtomicU64::new(0);

/// `t` as a float32 flex autodiff primitive, or None (another device or dtype): the one gate
/// through which a tensor reaches ganbook's CPU kernels, which fall back to burn's own
/// operations (that run on any device) on None.
pub fn flex_f32<const D: usize>(t: &Tensor<D>) -> Option<AdTensor> {
    let p = t.clone().try_into_primitive::<Ad>().ok()?;
    let yes = p.primitive().dtype() == DType::F32;
    if yes {
        HANDED_TO_CPU_KERNELS.fetch_add(1, Ordering::Relaxed);
    }
    yes.then_some(p)
}

/// How many tensors have reached ganbook's CPU kernels so far in this process.
pub fn handed_to_cpu_kernels() -> u64 {
    HANDED_TO_CPU_KERNELS.load(Ordering::Relaxed)
}

/// The values of `t` in row-major order, borrowed when `t` is already contiguous.
pub fn values(t: &FlexTensor) -> Cow<'_, [f32]> {
    match t.as_slice::<f32>() {
        Some(v) => v.into(),
        None => t
            .to_contiguous()
            .as_slice::<f32>()
            .expect("flex: float32 tensor")
            .to_vec()
            .into(),
    }
}

/// The values of `t` to overwrite in place: Some when `t` alone owns its float32 storage and
/// views all of it in row-major order.
pub fn unique_values_mut(t: &mut FlexTensor) -> Option<&mut [f32]> {
    let layout = t.layout();
    let (whole, n) = (
        layout.is_contiguous() && layout.start_offset() == 0,
        layout.num_elements(),
    );
    if !whole || t.dtype() != DType::F32 {
        return None;
    }
    t.try_storage_mut::<f32>().filter(|v| v.len() == n)
}

/// A flex tensor of shape `shape` holding `data` (row-major).
pub fn tensor(data: Vec<f32>, shape: &[usize]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(data, Shape::from(shape.to_vec())))
}

/// `f` of every value of `x`, in parallel chunks.
pub fn map(x: &[f32], f: impl Fn(f32) -> f32 + Sync) -> Vec<f32> {
    let mut out = vec![0.0f32; x.len()];
    out.par_chunks_mut(CHUNK)
        .zip(x.par_chunks(CHUNK))
        .for_each(|(o, x)| {
            for (o, &v) in o.iter_mut().zip(x) {
                *o = f(v);
            }
        });
    out
}

/// `x[i] = f(x[i])`, in parallel chunks.
pub fn map_in_place(x: &mut [f32], f: impl Fn(f32) -> f32 + Sync) {
    x.par_chunks_mut(CHUNK).for_each(|x| {
        for v in x {
            *v = f(*v);
        }
    });
}

/// `b[i] = f(a[i], b[i])` (same length), in parallel chunks.
pub fn zip_in_place(a: &[f32], b: &mut [f32], f: impl Fn(f32, f32) -> f32 + Sync) {
    assert_eq!(a.len(), b.len(), "flex::zip_in_place: lengths");
    b.par_chunks_mut(CHUNK)
        .zip(a.par_chunks(CHUNK))
        .for_each(|(b, a)| {
            for (b, &a) in b.iter_mut().zip(a) {
                *b = f(a, *b);
            }
        });
}

/// `f` of every pair of values of `a` and `b` (same length), in parallel chunks.
pub fn zip(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32 + Sync) -> Vec<f32> {
    assert_eq!(a.len(), b.len(), "flex::zip: lengths");
    let mut out = vec![0.0f32; a.len()];
    out.par_chunks_mut(CHUNK)
        .zip(a.par_chunks(CHUNK).zip(b.par_chunks(CHUNK)))
        .for_each(|(o, (a, b))| {
            for ((o, &x), &y) in o.iter_mut().zip(a).zip(b) {
                *o = f(x, y);
            }
        });
    out
}
