//! ReLU, LeakyReLU, tanh and sigmoid on the CPU (flex), one sweep each way.
//!
//! burn 0.22 records an activation's backward as several tensor operations (a comparison,
//! a mask, a fill, products), each a full pass with its own allocation: LeakyReLU forward and
//! backward over a DCGAN activation took about five times a plain copy, tanh ten times.
//! Here the forward is one parallel map and the backward one parallel zip. Tensors on any
//! other device, or not float32, are left to burn (`forward` returns None).

use super::flex_kernel::{Ad, AdTensor, flex_f32, map, tensor, values, zip};
use super::stateless::Op;
use crate::tensor::DynTensor;
use burn::backend::Flex;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::tensor::Tensor;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// max(x, 0)·1 + min(x, 0)·slope (ReLU: slope 0)
    Leaky(f32),
    Tanh,
    Sigmoid,
}

impl Kind {
    fn of(op: &Op) -> Option<Kind> {
        match *op {
            Op::Relu => Some(Kind::Leaky(0.0)),
            Op::LeakyRelu(a) => Some(Kind::Leaky(a as f32)),
            Op::Tanh => Some(Kind::Tanh),
            Op::Sigmoid => Some(Kind::Sigmoid),
            _ => None,
        }
    }

    /// y = f(x) over `x`, in parallel chunks.
    fn apply(self, x: &[f32]) -> Vec<f32> {
        // One monomorphic, branch-free loop per kind, so that it vectorises.
        match self {
            Kind::Leaky(a) => map(x, |v| v.max(0.0) + a * v.min(0.0)),
            Kind::Tanh => map(x, tanh),
            Kind::Sigmoid => map(x, |v| 0.5 + 0.5 * tanh(0.5 * v)),
        }
    }

    /// dy · f'(x) from the saved values: x for Leaky, y for tanh and sigmoid.
    fn grad(self, saved: &[f32], dy: &[f32]) -> Vec<f32> {
        match self {
            Kind::Leaky(a) => zip(saved, dy, |x, g| if x > 0.0 { g } else { a * g }),
            Kind::Tanh => zip(saved, dy, |y, g| g * (1.0 - y * y)),
            Kind::Sigmoid => zip(saved, dy, |y, g| g * y * (1.0 - y)),
        }
    }
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
    let p = p * r + 5.000_000_1e-1;
    let p = p * r * r + r + 1.0;
    // 2^n for n in [-26, 0]
    p * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// `op` applied to `x` by this module's kernels, or None where burn's should run.
pub fn forward(x: &DynTensor, op: &Op) -> Option<DynTensor> {
    let kind = Kind::of(op)?;
    Some(crate::map_rank!(x.clone(), t => {
        Tensor::from_primitive::<Ad>(activation_ad(flex_f32(&t)?, kind))
    }))
}

#[derive(Debug)]
struct ActivationBackward;

impl Backward<Flex, 1> for ActivationBackward {
    /// (saved input or output, kind)
    type State = (FlexTensor, Kind);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node] = ops.parents;
        let dy = grads.consume::<Flex>(&ops.node);
        let (saved, kind) = ops.state;
        if let Some(node) = node {
            let dx = kind.grad(&values(&saved), &values(&dy));
            grads.register::<Flex>(node.id, tensor(dx, saved.layout().shape()));
        }
    }
}

fn activation_ad(x: AdTensor, kind: Kind) -> AdTensor {
    let prep = ActivationBackward
        .prepare::<NoCheckpointing>([x.node()])
        .compute_bound()
        .stateful();
    let xv = x.primitive().to_contiguous();
    let y = tensor(kind.apply(&values(&xv)), xv.layout().shape());
    match prep {
        OpsKind::Tracked(prep) => {
            let saved = match kind {
                Kind::Leaky(_) => xv,
                Kind::Tanh | Kind::Sigmoid => y.clone(),
            };
            prep.finish((saved, kind), y)
        }
        OpsKind::UnTracked(prep) => prep.finish(y),
    }
}
