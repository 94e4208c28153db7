//! Indexing tensors as in PyTorch: `t[i]`, `t[a..b]`, `t[a..=b]` read and write dim 0;
//! `t[i][j]` goes one dim further. Writing (`t[0] = 0.0`, `t[1..3] = other`) makes a new
//! tensor and stores it in the variable: gradients flow to the values kept and written.

use super::convert::{ScriptResult, call, num};
use super::def;
use crate::error::Result;
use crate::tensor::{DynTensor, row_range};
use rhai::{Dynamic, Engine, INT};
use std::ops::{Range, RangeInclusive};

type T = DynTensor;

pub fn register(e: &mut Engine) {
    def(
        e,
        "index$get$",
        "t[i] -> Tensor\nEntry i of dim 0 with that dim removed: [a, b, c] -> [b, c] (a rank-1 tensor gives shape [1]; .item() reads the number). Negative i counts from the end.",
        |t: &mut T, i: INT| call("t[i]", || t.clone().select(0, i)),
    );
    def(
        e,
        "index$get$",
        "t[a..b] -> Tensor\nEntries a..b of dim 0 (b excluded), as PyTorch's t[a:b]: negative ends count from the end, ends past the dim are clamped.",
        |t: &mut T, r: Range<INT>| call("t[a..b]", || rows(t, r.start, r.end)),
    );
    def(
        e,
        "index$get$",
        "t[a..=b] -> Tensor\nEntries a to b of dim 0, b included.",
        |t: &mut T, r: RangeInclusive<INT>| {
            call("t[a..=b]", || {
                let (a, b) = inclusive(t, &r);
                rows(t, a, b)
            })
        },
    );
    def(
        e,
        "index$set$",
        "t[i] = value\nReplaces entry i of dim 0 by a number or a tensor broadcast to its shape (as PyTorch's t[i] = value).",
        |t: &mut T, i: INT, v: Dynamic| -> ScriptResult<()> {
            let new = call("t[i] = value", || {
                let v = value(&v)?;
                t.clone().assign_row(i, v)
            })?;
            *t = new;
            Ok(())
        },
    );
    def(
        e,
        "index$set$",
        "t[a..b] = value\nReplaces entries a..b of dim 0 by a number or a tensor broadcast to their shape.",
        |t: &mut T, r: Range<INT>, v: Dynamic| write_rows(t, r.start, r.end, &v, "t[a..b] = value"),
    );
    def(
        e,
        "index$set$",
        "t[a..=b] = value\nReplaces entries a to b of dim 0 (b included).",
        |t: &mut T, r: RangeInclusive<INT>, v: Dynamic| {
            let (a, b) = inclusive(t, &r);
            write_rows(t, a, b, &v, "t[a..=b] = value")
        },
    );
}

fn rows(t: &T, start: INT, end: INT) -> Result<T> {
    let (s, e) = row_range(start, end, t.shape()[0])?;
    t.clone().narrow(0, s, e - s)
}

/// `a..=b` as `a..b'` with b' past b (a negative b is counted from the end first).
fn inclusive(t: &T, r: &RangeInclusive<INT>) -> (INT, INT) {
    let n = t.shape()[0] as INT;
    let end = if *r.end() < 0 { r.end() + n } else { *r.end() };
    (*r.start(), end.saturating_add(1))
}

fn write_rows(t: &mut T, start: INT, end: INT, v: &Dynamic, what: &str) -> ScriptResult<()> {
    let new = call(what, || t.clone().assign_rows(start, end, value(v)?))?;
    *t = new;
    Ok(())
}

/// A written value: a tensor, or a number as a one-element tensor (broadcast later).
fn value(v: &Dynamic) -> Result<T> {
    match v.clone().try_cast::<T>() {
        Some(t) => Ok(t),
        None => Ok(T::scalar(num(v, "the value written")?)),
    }
}
