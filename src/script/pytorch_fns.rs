//! PyTorch's spellings of tensor functions that ganbook also writes its own way:
//! `randn(3, 4)` for `randn([3, 4])`, `x.view(-1, 4)` and `x.reshape(-1, 4)`, `squeeze`,
//! `unsqueeze`, `select`, `size`, `dim`, and the properties `x.shape` and `x.T`.

use super::convert::{call, ints};
use super::def;
use crate::err;
use crate::error::Result;
use crate::tensor::DynTensor;
use burn::tensor::Distribution;
use rhai::{Array, Dynamic, Engine, INT};

type T = DynTensor;

pub fn register(e: &mut Engine) {
    sizes_without_brackets(e);
    shapes(e);
    inspection(e);
}

/// A creation function taking its sizes as one array: `randn([3, 4])`.
type Make = fn(&[usize]) -> Result<T>;

/// `randn(3, 4)` as PyTorch writes it: `randn`, `rand`, `zeros` and `ones` take 1 to 5
/// sizes as separate arguments too.
fn sizes_without_brackets(e: &mut Engine) {
    let makers: [(&str, Make, &str); 4] = [
        (
            "randn",
            |s| T::random(s, Distribution::Normal(0.0, 1.0)),
            "Standard normal samples",
        ),
        (
            "rand",
            |s| T::random(s, Distribution::Default),
            "Uniform samples in [0, 1)",
        ),
        ("zeros", |s| T::full(s, 0.0), "Zeros"),
        ("ones", |s| T::full(s, 1.0), "Ones"),
    ];
    for (name, make, what) in makers {
        let doc = |args: &str| {
            format!(
                "{name}({args}) -> Tensor\n{what} of that shape, as PyTorch's torch.{name}({args}); same as {name}([{args}])."
            )
        };
        let made = move |sizes: &[INT]| call(name, || make(&shape_of(sizes, name)?));
        def(e, name, &doc("n"), move |a: INT| made(&[a]));
        def(e, name, &doc("a, b"), move |a: INT, b: INT| made(&[a, b]));
        def(e, name, &doc("a, b, c"), move |a: INT, b: INT, c: INT| {
            made(&[a, b, c])
        });
        def(
            e,
            name,
            &doc("a, b, c, d"),
            move |a: INT, b: INT, c: INT, d: INT| made(&[a, b, c, d]),
        );
        def(
            e,
            name,
            &doc("a, b, c, d, e"),
            move |a: INT, b: INT, c: INT, d: INT, f: INT| made(&[a, b, c, d, f]),
        );
    }
}

/// Sizes given as separate whole numbers, each positive.
fn shape_of(sizes: &[INT], what: &str) -> Result<Vec<usize>> {
    if let Some(bad) = sizes.iter().find(|&&d| d <= 0) {
        return Err(err!(
            "{what}: sizes must be positive, got {bad} in {sizes:?}"
        ));
    }
    Ok(sizes.iter().map(|&d| d as usize).collect())
}

/// PyTorch's other spellings of shape changes: `view`, `reshape(-1, 4)`, `squeeze`,
/// `unsqueeze`, `select` and the `.T` property.
fn shapes(e: &mut Engine) {
    def(
        e,
        "view",
        "view(x, shape) -> Tensor\nThe same as reshape(x, shape) (ganbook has no views: the values may be copied); one size may be -1.",
        |x: T, s: Array| call("view", || x.reshape_spec(&ints(&s, "view")?)),
    );
    for name in ["view", "reshape"] {
        let doc = |args: &str| {
            format!(
                "{name}(x, {args}) -> Tensor\nSizes as separate arguments, as PyTorch's x.{name}({args}); one may be -1: x.{name}(-1, 4)."
            )
        };
        let to = move |x: T, spec: &[INT]| call(name, || x.reshape_spec(spec));
        def(e, name, &doc("n"), move |x: T, a: INT| to(x, &[a]));
        def(e, name, &doc("a, b"), move |x: T, a: INT, b: INT| {
            to(x, &[a, b])
        });
        def(
            e,
            name,
            &doc("a, b, c"),
            move |x: T, a: INT, b: INT, c: INT| to(x, &[a, b, c]),
        );
        def(
            e,
            name,
            &doc("a, b, c, d"),
            move |x: T, a: INT, b: INT, c: INT, d: INT| to(x, &[a, b, c, d]),
        );
    }
    def(
        e,
        "squeeze",
        "squeeze(x) -> Tensor\nRemoves every dim of size 1: [1, 3, 1, 4] -> [3, 4] (all ones give [1]: ganbook has no 0-d tensors).",
        |x: T| call("squeeze", || x.squeeze_all()),
    );
    def(
        e,
        "squeeze",
        "squeeze(x, dim) -> Tensor\nRemoves dim if its size is 1, else returns x unchanged (as PyTorch); negative dims count from the end.",
        |x: T, d: INT| call("squeeze", || x.squeeze_dim(d)),
    );
    def(
        e,
        "unsqueeze",
        "unsqueeze(x, dim) -> Tensor\nInserts a dim of size 1 at dim (0..=rank; -1 appends): unsqueeze([3, 4], 0) -> [1, 3, 4].",
        |x: T, d: INT| call("unsqueeze", || x.unsqueeze(d)),
    );
    def(
        e,
        "select",
        "select(x, dim, i) -> Tensor\nEntry i of dim with that dim removed (PyTorch's x.select(dim, i), or x[:, i] for dim 1): [a, b, c] -> [a, c] for dim 1.",
        |x: T, d: INT, i: INT| call("select", || x.select(d, i)),
    );
    def(
        e,
        "get$T",
        "x.T -> Tensor\nThe transpose of a matrix: [a, b] -> [b, a]. For other ranks the dims are reversed, as PyTorch's .T ([a, b, c] -> [c, b, a]; a rank-1 tensor is unchanged).",
        |x: &mut T| call("T", || x.clone().reversed_dims()),
    );
}

fn inspection(e: &mut Engine) {
    def(
        e,
        "get$shape",
        "x.shape -> array\nThe sizes of x's dims, as PyTorch's x.shape; same as shape(x) and size(x).",
        |x: &mut T| -> Array { sizes(x) },
    );
    def(
        e,
        "size",
        "size(x) -> array\nThe sizes of x's dims, as PyTorch's x.size(); same as x.shape.",
        |x: &mut T| -> Array { sizes(x) },
    );
    def(
        e,
        "size",
        "size(x, dim) -> int\nThe size of one dim, as PyTorch's x.size(dim); negative dims count from the end.",
        |x: &mut T, d: INT| {
            call("size", || {
                let shape = x.shape();
                Ok(shape[crate::tensor::norm_dim(d, shape.len(), "size")?] as INT)
            })
        },
    );
    def(
        e,
        "dim",
        "dim(x) -> int\nThe number of dims (the rank), as PyTorch's x.dim().",
        |x: &mut T| x.rank() as INT,
    );
    def(
        e,
        "get$ndim",
        "x.ndim -> int\nThe number of dims (the rank), as PyTorch's x.ndim; same as x.dim().",
        |x: &mut T| x.rank() as INT,
    );
}

/// The sizes of x's dims as a script array.
pub fn sizes(x: &T) -> Array {
    x.shape()
        .into_iter()
        .map(|d| Dynamic::from(d as INT))
        .collect()
}
