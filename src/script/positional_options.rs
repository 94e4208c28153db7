//! Layers called with PyTorch's positional options, `conv2d(1, 64, 4, 2, 1)` or
//! `leaky_relu(0.2, true)`, answer with the ganbook form to write instead:
//! `conv2d(1, 64, 4, #{stride: 2, padding: 1})`. These overloads only ever fail.

use super::convert::{ScriptResult, to_script};
use super::def;
use crate::err;
use crate::nn::Layer;
use rhai::{Dynamic, Engine, FLOAT, INT, Map};

/// A layer's PyTorch signature after its leading arguments: each positional option's
/// name, whether ganbook has it (in the options map), and PyTorch's default (as text)
/// when giving that default changes nothing.
pub struct Signature {
    pub name: &'static str,
    /// How many arguments come before the options (in, out, kernel for conv2d).
    pub leading: usize,
    pub options: &'static [(&'static str, bool, Option<&'static str>)],
}

/// PyTorch's positional order of `name`'s options, for layers that take an options map.
pub fn signature(name: &str) -> Option<&'static Signature> {
    [&CONV2D, &CONV_TRANSPOSE2D, &LINEAR]
        .into_iter()
        .find(|s| s.name == name)
}

const CONV2D: Signature = Signature {
    name: "conv2d",
    leading: 3,
    options: &[
        ("stride", true, None),
        ("padding", true, None),
        ("dilation", true, None),
        ("groups", false, Some("1")),
        ("bias", true, None),
        ("padding_mode", false, Some("zeros")),
    ],
};

const CONV_TRANSPOSE2D: Signature = Signature {
    name: "conv_transpose2d",
    leading: 3,
    options: &[
        ("stride", true, None),
        ("padding", true, None),
        ("output_padding", true, None),
        ("groups", false, Some("1")),
        ("bias", true, None),
        ("dilation", true, None),
    ],
};

const LINEAR: Signature = Signature {
    name: "linear",
    leading: 2,
    options: &[("bias", true, None)],
};

const BATCH_NORM: Signature = Signature {
    name: "batch_norm",
    leading: 1,
    options: &[
        ("eps", false, Some("0.00001")),
        ("momentum", false, Some("0.1")),
        ("affine", false, Some("true")),
        ("track_running_stats", false, Some("true")),
    ],
};

const INPLACE: &[(&str, bool, Option<&str>)] = &[("inplace", false, Some("false"))];

macro_rules! refuse {
    ($e:expr, $sig:expr, $doc:expr, $(($($x:ident),+))+) => {$(
        def($e, $sig.name, $doc, move |$($x: Dynamic),+| -> ScriptResult<Layer> {
            Err(to_script(err!("{}", suggestion(&$sig, &[$($x),+]))))
        });
    )+};
}

pub fn register(e: &mut Engine) {
    let conv = "conv2d(in, out, kernel, stride, padding, ...) -> error\nPyTorch's positional options are refused with the form to write: conv2d(in, out, kernel, #{stride: 2, padding: 1}).";
    refuse!(
        e,
        CONV2D,
        conv,
        (a, b, c, d)(a, b, c, d, f)(a, b, c, d, f, g)(a, b, c, d, f, g, h)(a, b, c, d, f, g, h, i)(
            a, b, c, d, f, g, h, i, j
        )
    );
    let tconv = "conv_transpose2d(in, out, kernel, stride, padding, output_padding, ...) -> error\nPyTorch's positional options are refused with the form to write: conv_transpose2d(in, out, kernel, #{stride: 2, padding: 1}).";
    refuse!(
        e,
        CONV_TRANSPOSE2D,
        tconv,
        (a, b, c, d)(a, b, c, d, f)(a, b, c, d, f, g)(a, b, c, d, f, g, h)(a, b, c, d, f, g, h, i)(
            a, b, c, d, f, g, h, i, j
        )
    );
    let linear = "linear(in, out, bias) -> error\nPyTorch's positional bias is refused with the form to write: linear(in, out, #{bias: false}).";
    refuse!(e, LINEAR, linear, (a, b, c));
    let bn = "batch_norm(channels, eps, momentum, ...) -> error\nganbook's batch_norm takes the channel count only (eps 1e-5, momentum 0.1); the error says so.";
    refuse!(
        e,
        BATCH_NORM,
        bn,
        (a, b)(a, b, c)(a, b, c, d)(a, b, c, d, f)
    );

    // `nn.ReLU(True)`, `nn.LeakyReLU(0.2, inplace=True)`, `nn.Dropout(0.5, True)`: typed, so
    // that the tensor functions relu(x) and leaky_relu(x, slope) keep their own errors.
    let inplace = |name: &'static str, leading: usize| Signature {
        name,
        leading,
        options: INPLACE,
    };
    def(
        e,
        "relu",
        "relu(inplace) -> error\nganbook has no in-place layers: write relu().",
        move |a: bool| -> ScriptResult<Layer> {
            Err(to_script(err!(
                "{}",
                suggestion(&inplace("relu", 0), &[a.into()])
            )))
        },
    );
    def(
        e,
        "leaky_relu",
        "leaky_relu(slope, inplace) -> error\nganbook has no in-place layers: write leaky_relu(slope).",
        move |s: FLOAT, a: bool| -> ScriptResult<Layer> {
            let args: [Dynamic; 2] = [s.into(), a.into()];
            Err(to_script(err!(
                "{}",
                suggestion(&inplace("leaky_relu", 1), &args)
            )))
        },
    );
    def(
        e,
        "dropout",
        "dropout(p, inplace) -> error\nganbook has no in-place layers: write dropout(p).",
        move |p: FLOAT, a: bool| -> ScriptResult<Layer> {
            let args: [Dynamic; 2] = [p.into(), a.into()];
            Err(to_script(err!(
                "{}",
                suggestion(&inplace("dropout", 1), &args)
            )))
        },
    );
}

/// The error for `sig.name(args)`: the call to write instead, and what ganbook lacks.
fn suggestion(sig: &Signature, args: &[Dynamic]) -> String {
    let (leading, extra) = args.split_at(sig.leading.min(args.len()));
    let name = sig.name;
    let well_typed = leading.iter().all(|v| v.is::<INT>() || v.is::<FLOAT>())
        && extra.iter().all(|v| !v.is_map() && !v.is_array());
    if !well_typed || extra.len() > sig.options.len() {
        let types: Vec<&str> = args.iter().map(|v| v.type_name()).collect();
        return format!(
            "{name} cannot take ({}): :help {name} shows its forms",
            types.join(", ")
        );
    }
    let mut options = Map::new();
    let mut lacks = Vec::new();
    for (v, &(key, known, default)) in extra.iter().zip(sig.options) {
        if known {
            options.insert(key.into(), v.clone());
        } else if default.is_none_or(|d| !same_value(v, d)) {
            lacks.push(key);
        }
    }
    let mut call: Vec<String> = leading.iter().map(|v| v.to_string()).collect();
    if !options.is_empty() {
        call.push(map_text(&options, sig.options));
    }
    let mut text = if options.is_empty() {
        format!("{name} takes no positional options")
    } else {
        format!("{name} takes its options in a map, not by position")
    };
    text += &format!(": did you mean {name}({})?", call.join(", "));
    if !lacks.is_empty() {
        text += &format!(" (ganbook's {name} has no {})", lacks.join(" or "));
    }
    text
}

/// `#{stride: 2, padding: 1}` with the keys in PyTorch's order.
fn map_text(map: &Map, order: &[(&str, bool, Option<&str>)]) -> String {
    let entries: Vec<String> = order
        .iter()
        .filter_map(|(k, ..)| map.get(*k).map(|v| format!("{k}: {}", literal(v))))
        .collect();
    format!("#{{{}}}", entries.join(", "))
}

/// A value as script text: strings quoted.
fn literal(v: &Dynamic) -> String {
    if v.is_string() {
        format!("{:?}", v.to_string())
    } else {
        v.to_string()
    }
}

/// Whether `v` is the default `d` (numbers compared as numbers: 1e-5 is 0.00001).
fn same_value(v: &Dynamic, d: &str) -> bool {
    match (super::convert::num(v, "").ok(), d.parse::<f64>().ok()) {
        (Some(a), Some(b)) => a == b,
        _ => v.to_string() == d,
    }
}
