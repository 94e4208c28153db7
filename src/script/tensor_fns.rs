//! Tensor creation, arithmetic, shape and reduction functions for scripts.

use super::convert::{ScriptResult, call, ints, num, shape};
use super::def;
use crate::err;
use crate::error::Result;
use crate::tensor::{BinOp, DynTensor, Reduce, Unary};
use burn::tensor::Distribution;
use rhai::{Array, Dynamic, Engine, FLOAT, INT};

type T = DynTensor;

pub fn register(e: &mut Engine) {
    e.register_type_with_name::<T>("Tensor");
    creation(e);
    arithmetic(e);
    functions(e);
    shapes(e);
    reductions(e);
    inspection(e);
}

fn creation(e: &mut Engine) {
    def(
        e,
        "randn",
        "randn(shape) -> Tensor\nStandard normal samples, e.g. randn([64, 100]).",
        |s: Array| {
            call("randn", || {
                T::random(&shape(&s, "randn")?, Distribution::Normal(0.0, 1.0))
            })
        },
    );
    def(
        e,
        "rand",
        "rand(shape) -> Tensor\nUniform samples in [0, 1).",
        |s: Array| {
            call("rand", || {
                T::random(&shape(&s, "rand")?, Distribution::Default)
            })
        },
    );
    def(
        e,
        "randint",
        "randint(low, high, shape) -> Tensor\nWhole numbers drawn uniformly from low..high (high excluded), as float values: class labels for a conditional G, randint(0, 10, [64]).",
        |low: INT, high: INT, s: Array| {
            call("randint", || {
                if high <= low {
                    crate::bail!("high must be above low, got {low}..{high}");
                }
                let shape = shape(&s, "randint")?;
                let n = shape.iter().product();
                let values = crate::rng::with(|r| {
                    use rand::Rng as _;
                    (0..n).map(|_| r.random_range(low..high) as f32).collect()
                });
                T::from_vec(values, &shape)
            })
        },
    );
    def(
        e,
        "zeros",
        "zeros(shape) -> Tensor\nA tensor of zeros.",
        |s: Array| call("zeros", || T::full(&shape(&s, "zeros")?, 0.0)),
    );
    def(
        e,
        "ones",
        "ones(shape) -> Tensor\nA tensor of ones.",
        |s: Array| call("ones", || T::full(&shape(&s, "ones")?, 1.0)),
    );
    def(
        e,
        "full",
        "full(shape, value) -> Tensor\nA tensor filled with value.",
        |s: Array, v: Dynamic| call("full", || T::full(&shape(&s, "full")?, num(&v, "value")?)),
    );
    def(
        e,
        "tensor",
        "tensor(values) -> Tensor\nA tensor from (nested) arrays of numbers: tensor([[1, 2], [3, 4]]).",
        |v: Array| call("tensor", || from_nested(&v)),
    );
    def(
        e,
        "linspace",
        "linspace(start, end, n) -> Tensor\nn evenly spaced values from start to end inclusive, shape [n].",
        |a: Dynamic, b: Dynamic, n: INT| {
            call("linspace", || {
                let (a, b) = (num(&a, "start")?, num(&b, "end")?);
                if n < 1 {
                    return Err(err!("n must be at least 1, got {n}"));
                }
                crate::memory_limit::check(&[n as usize])?;
                let step = if n > 1 { (b - a) / (n - 1) as f64 } else { 0.0 };
                T::from_vec(
                    (0..n).map(|i| (a + step * i as f64) as f32).collect(),
                    &[n as usize],
                )
            })
        },
    );
    let arange = |a: f64, b: f64, step: f64| -> ScriptResult<T> {
        call("arange", || {
            if step == 0.0 || ((b - a) / step) < 0.0 {
                return Err(err!("arange({a}, {b}, {step}) is empty or never ends"));
            }
            let n = ((b - a) / step).ceil();
            if !n.is_finite() {
                return Err(err!("arange({a}, {b}, {step}) is not a finite range"));
            }
            let n = n as usize; // saturates; the limit below refuses it
            crate::memory_limit::check(&[n])?;
            T::from_vec(
                (0..n).map(|i| (a + step * i as f64) as f32).collect(),
                &[n.max(1)],
            )
        })
    };
    def(
        e,
        "arange",
        "arange(end) -> Tensor\nValues 0, 1, ..., end-1.",
        move |b: INT| arange(0.0, b as f64, 1.0),
    );
    def(
        e,
        "arange",
        "arange(start, end) -> Tensor\nValues start, start+1, ... below end.",
        move |a: INT, b: INT| arange(a as f64, b as f64, 1.0),
    );
    def(
        e,
        "arange",
        "arange(start, end, step) -> Tensor\nValues from start below end in steps of step.",
        move |a: Dynamic, b: Dynamic, s: Dynamic| {
            let nums = call("arange", || {
                Ok((num(&a, "start")?, num(&b, "end")?, num(&s, "step")?))
            })?;
            arange(nums.0, nums.1, nums.2)
        },
    );
}

/// Reads nested arrays of numbers into values and a shape, checking they are rectangular.
fn from_nested(v: &Array) -> Result<T> {
    fn walk(v: &Dynamic, depth: usize, shape: &mut Vec<usize>, out: &mut Vec<f32>) -> Result<()> {
        if let Some(arr) = v.clone().try_cast::<Array>() {
            if shape.len() == depth {
                shape.push(arr.len());
            } else if shape.len() < depth || shape[depth] != arr.len() {
                return Err(err!(
                    "rows of different lengths: the array is not rectangular"
                ));
            }
            for x in &arr {
                walk(x, depth + 1, shape, out)?;
            }
            Ok(())
        } else if shape.len() != depth {
            Err(err!(
                "a number where an array was expected: the array is not rectangular"
            ))
        } else {
            out.push(num(v, "tensor value")? as f32);
            Ok(())
        }
    }
    let mut shape = Vec::new();
    let mut values = Vec::new();
    walk(&Dynamic::from_array(v.clone()), 0, &mut shape, &mut values)?;
    T::from_vec(values, &shape)
}

macro_rules! binary_ops {
    ($e:expr, $($sym:literal => $op:expr, $scalar:expr, $rscalar:expr);*) => {$(
        def($e, $sym, concat!("Tensor ", $sym, " Tensor -> Tensor\nElement-wise, with broadcasting."), |a: T, b: T| call($sym, || a.binary(b, $op)));
        def($e, $sym, concat!("Tensor ", $sym, " number -> Tensor"), |a: T, b: FLOAT| Ok::<_, Box<rhai::EvalAltResult>>($scalar(a, b)));
        def($e, $sym, concat!("Tensor ", $sym, " integer -> Tensor"), |a: T, b: INT| Ok::<_, Box<rhai::EvalAltResult>>($scalar(a, b as f64)));
        def($e, $sym, concat!("number ", $sym, " Tensor -> Tensor"), |a: FLOAT, b: T| Ok::<_, Box<rhai::EvalAltResult>>($rscalar(b, a)));
        def($e, $sym, concat!("integer ", $sym, " Tensor -> Tensor"), |a: INT, b: T| Ok::<_, Box<rhai::EvalAltResult>>($rscalar(b, a as f64)));
    )*};
}

fn arithmetic(e: &mut Engine) {
    binary_ops!(e,
        "+" => BinOp::Add, |t: T, v| t.add_scalar(v), |t: T, v| t.add_scalar(v);
        "-" => BinOp::Sub, |t: T, v: f64| t.add_scalar(-v), |t: T, v| t.rsub_scalar(v);
        "*" => BinOp::Mul, |t: T, v| t.mul_scalar(v), |t: T, v| t.mul_scalar(v);
        "/" => BinOp::Div, |t: T, v: f64| t.mul_scalar(1.0 / v), |t: T, v| t.rdiv_scalar(v)
    );
    def(e, "-", "-Tensor -> Tensor\nNegation.", |a: T| {
        a.unary(Unary::Neg)
    });
    def(
        e,
        "gt",
        "gt(x, v) -> Tensor\nA mask: 1.0 where x > v, else 0.0.",
        |a: T, v: Dynamic| call("gt", || Ok(a.greater_scalar(num(&v, "v")?))),
    );
    def(
        e,
        "lt",
        "lt(x, v) -> Tensor\nA mask: 1.0 where x < v, else 0.0.",
        |a: T, v: Dynamic| call("lt", || Ok(a.less_scalar(num(&v, "v")?))),
    );
    def(
        e,
        "matmul",
        "matmul(a, b) -> Tensor\nMatrix product [n, k] x [k, m] -> [n, m]; leading dims are batch dims (broadcast).",
        |a: T, b: T| call("matmul", || a.matmul(b)),
    );
    def(
        e,
        "pow",
        "pow(x, p) -> Tensor\nx to the power p (a number or a tensor).",
        |a: T, p: Dynamic| {
            call("pow", || match p.clone().try_cast::<T>() {
                Some(t) => a.binary(t, BinOp::Pow),
                None => Ok(a.pow_scalar(num(&p, "exponent")?)),
            })
        },
    );
    def(
        e,
        "maximum",
        "maximum(a, b) -> Tensor\nElement-wise maximum of two tensors.",
        |a: T, b: T| call("maximum", || a.binary(b, BinOp::Max)),
    );
    def(
        e,
        "minimum",
        "minimum(a, b) -> Tensor\nElement-wise minimum of two tensors.",
        |a: T, b: T| call("minimum", || a.binary(b, BinOp::Min)),
    );
}

macro_rules! unary_fns {
    ($e:expr, $($name:literal => $op:expr, $doc:literal);*) => {$(
        def($e, $name, concat!($name, "(x) -> Tensor\n", $doc), |x: T| x.unary($op));
    )*};
}

fn functions(e: &mut Engine) {
    unary_fns!(e,
        "exp" => Unary::Exp, "e to the x, element-wise.";
        "log" => Unary::Log, "Natural logarithm, element-wise.";
        "sqrt" => Unary::Sqrt, "Square root, element-wise.";
        "abs" => Unary::Abs, "Absolute value, element-wise.";
        "square" => Unary::Square, "x * x, element-wise.";
        "sign" => Unary::Sign, "-1, 0 or 1 by the sign of each value.";
        "relu" => Unary::Relu, "max(x, 0).";
        "gelu" => Unary::Gelu, "Gaussian error linear unit (exact, as PyTorch's default).";
        "tanh" => Unary::Tanh, "Hyperbolic tangent.";
        "sigmoid" => Unary::Sigmoid, "1 / (1 + exp(-x))."
    );
    def(
        e,
        "leaky_relu",
        "leaky_relu(x, slope) -> Tensor\nx where x > 0, slope * x elsewhere.",
        |x: T, a: FLOAT| x.leaky_relu(a),
    );
    def(
        e,
        "clamp",
        "clamp(x, lo, hi) -> Tensor\nLimits every value to [lo, hi].",
        |x: T, lo: Dynamic, hi: Dynamic| {
            call("clamp", || Ok(x.clamp(num(&lo, "lo")?, num(&hi, "hi")?)))
        },
    );
    def(
        e,
        "softmax",
        "softmax(x, dim) -> Tensor\nExponentials normalised to sum to 1 along dim.",
        |x: T, d: INT| call("softmax", || x.softmax(d, false)),
    );
    def(
        e,
        "log_softmax",
        "log_softmax(x, dim) -> Tensor\nLogarithm of softmax along dim, computed stably.",
        |x: T, d: INT| call("log_softmax", || x.softmax(d, true)),
    );
}

fn shapes(e: &mut Engine) {
    def(
        e,
        "reshape",
        "reshape(x, shape) -> Tensor\nSame values in a new shape; one size may be -1 (inferred).",
        |x: T, s: Array| call("reshape", || x.reshape_spec(&ints(&s, "reshape")?)),
    );
    def(
        e,
        "permute",
        "permute(x, dims) -> Tensor\nReorders dims: permute(x, [0, 2, 3, 1]) turns NCHW into NHWC.",
        |x: T, d: Array| call("permute", || x.permute(&ints(&d, "permute")?)),
    );
    def(
        e,
        "transpose",
        "transpose(x, dim0, dim1) -> Tensor\nSwaps two dims.",
        |x: T, a: INT, b: INT| call("transpose", || x.transpose(a, b)),
    );
    def(
        e,
        "flatten",
        "flatten(x) -> Tensor\nAll values in one dim.",
        |x: T| call("flatten", || x.flatten(0, -1)),
    );
    def(
        e,
        "flatten",
        "flatten(x, start_dim, end_dim) -> Tensor\nMerges dims start..=end into one.",
        |x: T, a: INT, b: INT| call("flatten", || x.flatten(a, b)),
    );
    def(
        e,
        "narrow",
        "narrow(x, dim, start, length) -> Tensor\nlength entries of dim from start.",
        |x: T, d: INT, s: INT, n: INT| {
            call("narrow", || {
                if s < 0 || n < 1 {
                    return Err(err!("start must be >= 0 and length >= 1, got {s} and {n}"));
                }
                x.narrow(d, s as usize, n as usize)
            })
        },
    );
    def(
        e,
        "slice",
        "slice(x, dim, start, end) -> Tensor\nEntries start..end of dim; negative indices count from the end.",
        |x: T, d: INT, s: INT, n: INT| call("slice", || x.slice(d, s, n)),
    );
    def(
        e,
        "cat",
        "cat(tensors, dim) -> Tensor\nJoins tensors along an existing dim.",
        |list: Array, d: INT| call("cat", || T::cat(tensors(&list, "cat")?, d)),
    );
    def(
        e,
        "stack",
        "stack(tensors, dim) -> Tensor\nStacks equal-shaped tensors along a new dim.",
        |list: Array, d: INT| call("stack", || T::stack(tensors(&list, "stack")?, d)),
    );
    def(
        e,
        "repeat",
        "repeat(x, times) -> Tensor\nTiles x: repeat(x, [2, 1]) stacks two copies along dim 0.",
        |x: T, r: Array| call("repeat", || x.repeat(&super::convert::shape(&r, "repeat")?)),
    );
}

/// An array of tensors from a script array.
pub fn tensors(list: &Array, what: &str) -> Result<Vec<T>> {
    super::convert::cast_all(list, what, "tensors")
}

macro_rules! reductions {
    ($e:expr, $($name:literal => $op:expr, $doc:literal);*) => {$(
        def($e, $name, concat!($name, "(x) -> Tensor\n", $doc, " over all values (shape [1])."), |x: T| call($name, || x.reduce($op, None)));
        def($e, $name, concat!($name, "(x, dim) -> Tensor\n", $doc, " along dim, which is removed (negative dims count from the end): [a, b, c] -> [a, c] for dim 1."), |x: T, d: INT| call($name, || x.reduce($op, Some(d))));
        def($e, $name, concat!($name, "(x, dim, keepdim) -> Tensor\n", $doc, " along dim; keepdim true keeps it with size 1 (PyTorch's keepdim=True): [a, b, c] -> [a, 1, c]."), |x: T, d: INT, keep: bool| call($name, || reduce_keepdim(x, $op, d, keep)));
    )*};
}

/// Reduces along `dim`, keeping it with size 1 when `keep` (a rank-1 input gives [1] either way).
fn reduce_keepdim(x: T, op: Reduce, dim: INT, keep: bool) -> Result<T> {
    let rank = x.rank();
    let d = crate::tensor::norm_dim(dim, rank, "keepdim")?;
    let r = x.reduce(op, Some(dim))?;
    if keep && rank > 1 {
        r.unsqueeze(d as INT)
    } else {
        Ok(r)
    }
}

fn reductions(e: &mut Engine) {
    reductions!(e,
        "sum" => Reduce::Sum, "Sum";
        "mean" => Reduce::Mean, "Mean";
        "max" => Reduce::Max, "Maximum";
        "min" => Reduce::Min, "Minimum";
        "argmax" => Reduce::ArgMax, "Index of the maximum";
        "argmin" => Reduce::ArgMin, "Index of the minimum";
        "var" => Reduce::Var, "Variance with Bessel's correction (divides by n - 1, PyTorch's default unbiased estimate)";
        "std" => Reduce::Std, "Standard deviation with Bessel's correction (divides by n - 1, PyTorch's default unbiased estimate)"
    );
}

fn inspection(e: &mut Engine) {
    def(
        e,
        "shape",
        "shape(x) -> array\nThe sizes of x's dims.",
        |x: &mut T| -> Array { super::pytorch_fns::sizes(x) },
    );
    def(
        e,
        "numel",
        "numel(x) -> int\nNumber of values in x.",
        |x: &mut T| x.numel() as INT,
    );
    def(
        e,
        "item",
        "item(x) -> float\nThe value of a one-element tensor (a loss, say).",
        |x: &mut T| call("item", || x.item()),
    );
    def(
        e,
        "to_array",
        "to_array(x) -> array\nThe values as nested arrays of floats.",
        |x: &mut T| -> Array { nested(&x.to_vec(), &x.shape()) },
    );
    def(
        e,
        "detach",
        "detach(x) -> Tensor\nThe same values, cut from the gradient graph.",
        |x: T| x.detach(),
    );
    def(
        e,
        "to_string",
        "to_string(x) -> string\nShape and leading values.",
        |x: &mut T| x.to_string(),
    );
    def(
        e,
        "to_debug",
        "to_debug(x) -> string\nShape and leading values.",
        |x: &mut T| x.to_string(),
    );
}

fn nested(values: &[f32], shape: &[usize]) -> Array {
    if shape.len() == 1 {
        return values.iter().map(|&v| Dynamic::from(v as FLOAT)).collect();
    }
    let inner: usize = shape[1..].iter().product();
    values
        .chunks(inner)
        .map(|c| Dynamic::from_array(nested(c, &shape[1..])))
        .collect()
}
