//! ReLU, LeakyReLU, tanh and sigmoid on the CPU (flex), one sweep each way.
//!
//! burn 0.22 records an activation's backward as several tensor operations (a comparison,
//! a mask, a fill, products), each a full pass with its own allocation: LeakyReLU forward and
//! backward over a DCGAN activation took about five times a plain copy, tanh ten times.
//! Here the forward is one parallel map and the backward one parallel zip. Tensors on any
//! other device, or not float32, are left to burn (`forward` gives the tensor back).

use super::flex::{
    Ad, AdTensor, flex_f32, map, map_in_place, tensor, unique_values_mut, values, zip, zip_in_place,
};
use crate::tensor::DynTensor;
use burn::backend::Flex;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::tensor::Tensor;

/// The activations these kernels compute (the stateless layer says which of its ops they are).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    /// max(x, 0)·1 + min(x, 0)·slope (ReLU: slope 0)
    Leaky(f32),
    Tanh,
    Sigmoid,
}

impl Activation {
    /// Whether the backward pass can work from the output alone: true except for a leaky
    /// slope below 0, where y > 0 no longer means x > 0.
    fn grad_from_output(self) -> bool {
        !matches!(self, Activation::Leaky(a) if a < 0.0)
    }

    /// y = f(x).
    #[inline(always)]
    fn f(self, x: f32) -> f32 {
        match self {
            Activation::Leaky(a) => x.max(0.0) + a * x.min(0.0),
            Activation::Tanh => tanh(x),
            Activation::Sigmoid => 0.5 + 0.5 * tanh(0.5 * x),
        }
    }

    /// `x` replaced by f(x), in parallel chunks.
    fn apply_in_place(self, x: &mut [f32]) {
        // One monomorphic, branch-free loop per kind, so that it vectorises.
        match self {
            Activation::Leaky(a) => map_in_place(x, move |v| Activation::Leaky(a).f(v)),
            Activation::Tanh => map_in_place(x, tanh),
            Activation::Sigmoid => map_in_place(x, |v| Activation::Sigmoid.f(v)),
        }
    }

    /// f(x) over `x` into a new buffer.
    fn apply(self, x: &[f32]) -> Vec<f32> {
        match self {
            Activation::Leaky(a) => map(x, move |v| Activation::Leaky(a).f(v)),
            Activation::Tanh => map(x, tanh),
            Activation::Sigmoid => map(x, |v| Activation::Sigmoid.f(v)),
        }
    }

    /// dy · f'(x) written over `dy`, from the saved values: y (or x for a negative leaky
    /// slope; the test x > 0 reads the same on either for slopes >= 0).
    fn grad_in_place(self, saved: &[f32], dy: &mut [f32]) {
        match self {
            Activation::Leaky(a) => zip_in_place(saved, dy, move |s, g| g * leaky_slope(s, a)),
            Activation::Tanh => zip_in_place(saved, dy, |y, g| g * (1.0 - y * y)),
            Activation::Sigmoid => zip_in_place(saved, dy, |y, g| g * y * (1.0 - y)),
        }
    }

    /// [`Activation::grad_in_place`] into a new buffer.
    fn grad(self, saved: &[f32], dy: &[f32]) -> Vec<f32> {
        match self {
            Activation::Leaky(a) => zip(saved, dy, move |s, g| g * leaky_slope(s, a)),
            Activation::Tanh => zip(saved, dy, |y, g| g * (1.0 - y * y)),
            Activation::Sigmoid => zip(saved, dy, |y, g| g * y * (1.0 - y)),
        }
    }
}

/// The leaky slope at `s` (1 above 0, else `a`), as a select that vectorises. The closures
/// around it take `a` by value (`move`): captured by reference, it was reloaded from memory
/// every element and the loop stayed scalar.
#[inline(always)]
fn leaky_slope(s: f32, a: f32) -> f32 {
    if s > 0.0 { 1.0 } else { a }
}

/// tanh to within a few float32 ulps, in plain arithmetic that vectorises (libm's does not;
/// nor does `mul_add`, a library call without FMA in the build's target features):
/// tanh(x) = sign(x)·(1 - e)/(1 + e), e = exp(-2|x|), with exp from 2^n · a degree-6
/// polynomial of the remainder (Cephes' expf).
#[inline(always)]
fn tanh(x: f32) -> f32 {
    let a = x.abs().min(9.0);
    let e = exp_neg(2.0 * a);
    ((1.0 - e) / (1.0 + e)).copysign(x)
}

/// exp(-t) for t in [0, 18].
#[inline(always)]
fn exp_neg(t: f32) -> f32 {
    // -t = n·ln2 + r, |r| <= ln2/2
    let n = (-t * std::f32::consts::LOG2_E).round();
    let r = n * -0.693_359_4 - t;
    let r = n * 2.121_944_4e-4 + r;
    let p = 1.987_569_1e-4f32;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 0.5;
    let p = p * r * r + r + 1.0;
    // 2^n for n in [-26, 0]
    p * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// `kind` applied to `x` by this module's kernels, or `x` given back (boxed) where burn's
/// should run (not a float32 tensor on the CPU). The output overwrites `x`'s storage when
/// nothing else holds it.
pub fn forward(x: DynTensor, kind: Activation) -> Result<DynTensor, Box<DynTensor>> {
    Ok(crate::map_rank!(x, t => match flex_f32(&t) {
        Some(p) => {
            drop(t); // p alone now holds the values, unless something else does
            Tensor::from_primitive::<Ad>(activation_ad(p, kind))
        }
        None => return Err(Box::new(DynTensor::new(t))),
    }))
}

#[derive(Debug)]
struct ActivationBackward;

impl Backward<Flex, 1> for ActivationBackward {
    /// (saved output, or input for a negative leaky slope; kind)
    type State = (FlexTensor, Activation);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node] = ops.parents;
        let mut dy = grads.consume::<Flex>(&ops.node);
        let (saved, kind) = ops.state;
        let Some(node) = node else {
            return;
        };
        let saved_values = values(&saved);
        let dx = match unique_values_mut(&mut dy) {
            Some(g) => {
                kind.grad_in_place(&saved_values, g);
                dy
            }
            None => tensor(
                kind.grad(&saved_values, &values(&dy)),
                saved.layout().shape(),
            ),
        };
        grads.register::<Flex>(node.id, dx);
    }
}

fn activation_ad(x: AdTensor, kind: Activation) -> AdTensor {
    let prep = ActivationBackward
        .prepare::<NoCheckpointing>([x.node()])
        .compute_bound()
        .stateful();
    let mut xv = x.into_primitive();
    let in_place = kind.grad_from_output() && unique_values_mut(&mut xv).is_some();
    let (y, saved) = if in_place {
        if let Some(v) = unique_values_mut(&mut xv) {
            kind.apply_in_place(v);
        }
        (xv.clone(), xv)
    } else {
        let y = tensor(kind.apply(&values(&xv)), xv.layout().shape());
        let saved = if kind.grad_from_output() {
            y.clone()
        } else {
            xv
        };
        (y, saved)
    };
    match prep {
        OpsKind::Tracked(prep) => prep.finish((saved, kind), y),
        OpsKind::UnTracked(prep) => prep.finish(y),
    }
}
