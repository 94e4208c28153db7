//! PyTorch spellings in scripts: `x.shape`, `t[0]`, `t[1..3]` (read and written), `size`,
//! `view`, `squeeze`, `unsqueeze`, `std`, `.T`, `sum(dim, keepdim)`, `randn(3, 4)`; and
//! the errors that show the ganbook form where Rhai cannot follow PyTorch (keyword
//! arguments, positional layer options). Computed values are checked against
//! `tests/fixtures/habits.json`, written by `tests/fixtures/make_habits_fixtures.py`.

mod common;

use ganbook::script::bare_engine;
use ganbook::script::errors::format_eval_error;
use ganbook::tensor::{DynTensor, Reduce};
use rhai::{Dynamic, Scope};
use serde_json::Value;

/// float32 results against a float64 reference rounded to float32.
const ATOL: f32 = 1e-5;
const RTOL: f32 = 1e-5;

fn fixtures() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/habits.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("habits.json")).unwrap()
}

fn tensor(v: &Value) -> DynTensor {
    let (shape, data) = common::fixture_tensor(v);
    DynTensor::from_vec(data, &shape).unwrap()
}

fn assert_matches(what: &str, got: &DynTensor, want: &DynTensor) {
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    for (i, (a, b)) in got.to_vec().iter().zip(want.to_vec()).enumerate() {
        assert!(
            (a - b).abs() <= ATOL + RTOL * b.abs(),
            "{what}[{i}]: ganbook {a}, PyTorch {b}"
        );
    }
}

/// A scope holding the fixture's input tensors by name.
fn inputs(fix: &Value) -> Scope<'static> {
    let mut scope = Scope::new();
    for (name, t) in fix["inputs"].as_object().unwrap() {
        scope.push(name.clone(), tensor(t));
    }
    scope
}

fn eval_in(scope: &mut Scope, src: &str) -> Result<Dynamic, String> {
    bare_engine()
        .0
        .eval_with_scope::<Dynamic>(scope, src)
        .map_err(|e| format_eval_error("test.rhai", &e).0)
}

/// The error a script ends with, as printed.
fn error_of(src: &str) -> String {
    let fix = fixtures();
    match eval_in(&mut inputs(&fix), src) {
        Ok(v) => panic!("{src}: expected an error, got {v}"),
        Err(e) => e,
    }
}

#[test]
fn pytorch_spellings_compute_what_pytorch_computes() {
    let fix = fixtures();
    let cases = fix["cases"].as_array().unwrap();
    assert!(cases.len() > 40, "only {} cases", cases.len());
    for case in cases {
        let src = case["script"].as_str().unwrap();
        let mut scope = inputs(&fix);
        let got = eval_in(&mut scope, src).unwrap_or_else(|e| panic!("{src}: {e}"));
        let got = got
            .try_cast::<DynTensor>()
            .unwrap_or_else(|| panic!("{src}: not a tensor"));
        assert_matches(src, &got, &tensor(&case["out"]));
        // writing into a copy leaves the original as it was (Rhai copies on `let y = x`)
        for (name, t) in fix["inputs"].as_object().unwrap() {
            let kept: DynTensor = scope.get_value(name).unwrap();
            assert_matches(&format!("{src}: {name} afterwards"), &kept, &tensor(t));
        }
    }
}

#[test]
fn sizes_and_shapes_are_pytorchs() {
    let fix = fixtures();
    for case in fix["ints"].as_array().unwrap() {
        let src = case["script"].as_str().unwrap();
        let got = eval_in(&mut inputs(&fix), src).unwrap_or_else(|e| panic!("{src}: {e}"));
        let got: Value = match got.clone().try_cast::<rhai::Array>() {
            Some(a) => a.iter().map(|d| d.as_int().unwrap()).collect(),
            None => got.as_int().unwrap().into(),
        };
        assert_eq!(got, case["out"], "{src}");
    }
}

/// Runs a fixture's gradient case: `(out * R).sum()` back-propagated to the inputs.
fn check_grads(fix: &Value, name: &str, f: impl Fn(&[DynTensor]) -> DynTensor) {
    let case = &fix["grads"][name];
    let names: Vec<&String> = case["grads"].as_object().unwrap().keys().collect();
    let leaves: Vec<DynTensor> = names
        .iter()
        .map(|n| tensor(&fix["inputs"][n.as_str()]).require_grad())
        .collect();
    let out = f(&leaves);
    assert_matches(&format!("{name}: out"), &out, &tensor(&case["out"]));
    let total = out
        .binary(tensor(&case["R"]), ganbook::tensor::BinOp::Mul)
        .unwrap()
        .reduce(Reduce::Sum, None)
        .unwrap()
        .ranked::<1>("total")
        .unwrap();
    let grads = total.backward();
    for (n, leaf) in names.iter().zip(leaves) {
        let g = ganbook::with_rank!(leaf, x => DynTensor::new(x.grad(&grads).expect("a gradient")));
        assert_matches(
            &format!("{name}: d/d{n}"),
            &g,
            &tensor(&case["grads"][n.as_str()]),
        );
    }
}

#[test]
fn gradients_flow_through_std_indexing_and_writing_as_in_pytorch() {
    let fix = fixtures();
    let t = |v: &[DynTensor], i: usize| v[i].clone();
    check_grads(&fix, "std_all", |v| {
        t(v, 0).reduce(Reduce::Std, None).unwrap()
    });
    check_grads(&fix, "std_dim1", |v| {
        t(v, 0).reduce(Reduce::Std, Some(1)).unwrap()
    });
    check_grads(&fix, "var_dim0", |v| {
        t(v, 0).reduce(Reduce::Var, Some(0)).unwrap()
    });
    check_grads(&fix, "select_dim1", |v| t(v, 0).select(1, 2).unwrap());
    // the inputs come sorted by name: w, x
    check_grads(&fix, "assign_rows", |v| {
        t(v, 1).assign_rows(1, 3, t(v, 0)).unwrap()
    });
    check_grads(&fix, "assign_row", |v| {
        t(v, 1).assign_row(-1, t(v, 0)).unwrap()
    });
    check_grads(&fix, "unsqueeze_squeeze", |v| {
        t(v, 0).unsqueeze(1).unwrap().squeeze_all().unwrap()
    });
}

#[test]
fn creation_takes_sizes_without_brackets() {
    let mut scope = Scope::new();
    let shape = |s: &mut Scope, src: &str| -> Vec<usize> {
        eval_in(s, src)
            .unwrap()
            .try_cast::<DynTensor>()
            .unwrap()
            .shape()
    };
    assert_eq!(shape(&mut scope, "randn(3, 4)"), [3, 4]);
    assert_eq!(shape(&mut scope, "rand(2, 3, 4)"), [2, 3, 4]);
    assert_eq!(shape(&mut scope, "randn(7)"), [7]);
    assert_eq!(shape(&mut scope, "ones(1, 2, 3, 4, 5)"), [1, 2, 3, 4, 5]);
    let z = eval_in(&mut scope, "zeros(2, 3)")
        .unwrap()
        .cast::<DynTensor>();
    assert_eq!(z.to_vec(), vec![0.0; 6]);
    let o = eval_in(&mut scope, "ones(4)").unwrap().cast::<DynTensor>();
    assert_eq!(o.to_vec(), vec![1.0; 4]);
    assert!(error_of("randn(3, 0)").contains("sizes must be positive"));
}

#[test]
fn bad_indices_and_shapes_get_clear_errors() {
    // x is [3, 4], v is [5], s is [1, 3, 1, 2]
    let e = error_of("x[3]");
    assert!(
        e.contains("index 3 is out of range for dim 0 of size 3"),
        "{e}"
    );
    let e = error_of("x[-4]");
    assert!(e.contains("index -4 is out of range"), "{e}");
    let e = error_of("x[2..2]");
    assert!(e.contains("2..2 selects nothing"), "{e}");
    let e = error_of("let y = x; y[0] = tensor([1.0, 2.0]); y");
    assert!(
        e.contains("a value of shape [2] does not fit the place's shape [4]"),
        "{e}"
    );
    let e = error_of("let y = x; y[0] = \"a\"; y");
    assert!(e.contains("the value written must be a number"), "{e}");
    let e = error_of("v[0].std()");
    assert!(e.contains("std: one value has no spread"), "{e}");
    let e = error_of("x.size(2)");
    assert!(
        e.contains("dim 2 is out of range for a tensor of rank 2"),
        "{e}"
    );
    let e = error_of("randn(1, 1, 1, 1, 1).unsqueeze(0)");
    assert!(e.contains("rank 1 to 5"), "{e}");
    let e = error_of("x.view(5, -1)");
    assert!(e.contains("cannot reshape [3, 4]"), "{e}");
}

#[test]
fn positional_layer_options_answer_with_the_map_form() {
    let cases = [
        (
            "conv2d(1, 64, 4, 2, 1)",
            "conv2d takes its options in a map, not by position: did you mean conv2d(1, 64, 4, #{stride: 2, padding: 1})?",
        ),
        (
            "conv_transpose2d(100, 512, 4, 1, 0, 0, 1, false)",
            "did you mean conv_transpose2d(100, 512, 4, #{stride: 1, padding: 0, output_padding: 0, bias: false})?",
        ),
        (
            "conv2d(3, 8, 3, 1, 1, 1, 2)",
            "did you mean conv2d(3, 8, 3, #{stride: 1, padding: 1, dilation: 1})? (ganbook's conv2d has no groups)",
        ),
        (
            "linear(10, 20, false)",
            "did you mean linear(10, 20, #{bias: false})?",
        ),
        (
            "batch_norm(128, 0.8)",
            "batch_norm takes no positional options: did you mean batch_norm(128)? (ganbook's batch_norm has no eps)",
        ),
        ("leaky_relu(0.2, true)", "did you mean leaky_relu(0.2)?"),
        ("relu(true)", "did you mean relu()?"),
        ("dropout(0.5, false)", "did you mean dropout(0.5)?"),
    ];
    for (src, want) in cases {
        let e = error_of(src);
        assert!(e.contains(want), "{src}: {e}");
        assert!(e.starts_with("error: test.rhai:1:1: "), "{src}: {e}");
    }
    // the forms that exist still work, and other wrong calls are not given a wrong hint
    let layer = eval_in(
        &mut Scope::new(),
        "conv2d(1, 64, 4, #{stride: 2, padding: 1})",
    );
    assert!(layer.unwrap().is::<ganbook::nn::Layer>());
    let t = eval_in(&mut Scope::new(), "leaky_relu(randn(2), 0.2)");
    assert!(t.unwrap().is::<DynTensor>());
    let e = error_of("conv2d(1, 64, 4, #{stride: 2}, 1)");
    assert!(
        e.contains("conv2d cannot take (i64, i64, i64, map, i64)"),
        "{e}"
    );
}

#[test]
fn keyword_arguments_and_python_indices_get_a_hint_from_check() {
    let d = common::temp_dir("habits-hints");
    let cases = [
        (
            "let z = randn(2, 3);\nlet s = z.sum(dim=1);\n",
            "did you mean z.sum(1)?",
        ),
        (
            "let c = conv2d(1, 64, 4, stride=2, padding=1);\n",
            "did you mean conv2d(1, 64, 4, #{stride: 2, padding: 1})?",
        ),
        (
            "let o = adam(params, lr=0.0002, betas=[0.5, 0.999]);\n",
            "did you mean adam(params, #{lr: 0.0002, betas: [0.5, 0.999]})?",
        ),
        (
            "let t = randn(4, 4);\nlet a = t[:, 0];\n",
            "did you mean t.select(1, 0)?",
        ),
        (
            "let t = randn(4, 4);\nlet a = t[1, 2];\n",
            "did you mean t[1][2]?",
        ),
    ];
    for (i, (src, want)) in cases.iter().enumerate() {
        let file = d.join(format!("hint{i}.rhai"));
        std::fs::write(&file, src).unwrap();
        let o = common::ganbook(&["check", file.to_str().unwrap()]);
        let err = common::text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{src}: {err}");
        assert!(err.contains("syntax error"), "{src}: {err}");
        assert!(err.contains(want), "{src}: {err}");
    }
}

#[test]
fn new_functions_are_in_help() {
    let (engine, _) = bare_engine();
    let docs = ganbook::repl::help::Docs::new(&engine);
    for (name, words) in [
        ("std", "n - 1"),
        ("size", "x.size(dim)"),
        ("view", "-1"),
        ("squeeze", "size 1"),
        ("unsqueeze", "unsqueeze([3, 4], 0)"),
        ("T", "reversed"),
        ("shape", "x.shape"),
        ("select", "x[:, i]"),
        ("randn", "randn(a, b)"),
        ("conv2d", "#{stride: 2, padding: 1}"),
        ("sum", "keepdim"),
    ] {
        let h = docs
            .help(name)
            .unwrap_or_else(|| panic!("no help for {name}"));
        assert!(h.contains(words), "{name}: {h}");
    }
    let names = docs.names();
    assert!(names.iter().all(|n| !n.contains('$')), "{names:?}");
    assert!(docs.methods_for("Tensor").contains(&"T".to_string()));
}
