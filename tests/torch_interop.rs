//! PyTorch weights both ways: a Sequential saved by PyTorch (tests/fixtures/torch, made by
//! tests/fixtures/make_torch_sequential.py) gives PyTorch's outputs here, and save_torch
//! writes a file that loads back to the same outputs.

use ganbook::script;
use ganbook::state::RunState;
use ganbook::tensor::DynTensor;
use rhai::Scope;
use std::collections::BTreeMap;
use std::path::PathBuf;

const MODEL: &str = "sequential([conv2d(1, 4, 3, #{stride: 2, padding: 1}), batch_norm(4), leaky_relu(0.2), conv_transpose2d(4, 2, 4, #{stride: 2, padding: 1}), batch_norm(2), relu(), flatten(), linear(128, 3)])";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/torch")
        .join(name)
}

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ganbook-torch-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

struct Expected {
    x: DynTensor,
    y: Vec<f32>,
}

fn expected() -> Expected {
    expected_of("sequential.json")
}

fn expected_of(file: &str) -> Expected {
    let text = std::fs::read_to_string(fixture(file)).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let nums = |k: &str| -> Vec<f32> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect()
    };
    let shape: Vec<usize> = v["input_shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    Expected {
        x: DynTensor::from_vec(nums("input"), &shape).unwrap(),
        y: nums("output"),
    }
}

fn run(out: &std::path::Path, src: &str, x: &DynTensor) -> Result<DynTensor, String> {
    let ctx = RunState::new(BTreeMap::new(), out.to_path_buf());
    let engine = script::engine(&ctx);
    let mut scope = Scope::new();
    scope.push("x", x.clone());
    engine
        .eval_with_scope::<DynTensor>(&mut scope, src)
        .map_err(|e| ganbook::script::errors::format_eval_error("test.rhai", &e).0)
}

fn assert_close(got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len());
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        assert!(
            (a - b).abs() <= 1e-5,
            "output {i}: ganbook {a}, PyTorch {b}"
        );
    }
}

#[test]
fn pytorch_state_dicts_give_pytorchs_outputs() {
    let e = expected();
    for file in ["sequential.pt", "sequential.safetensors"] {
        let path = fixture(file);
        let src = format!(
            "let m = {MODEL}; load_torch(m, \"{}\"); m.eval(); m.forward(x)",
            path.display()
        );
        let y = run(&tmp("load"), &src, &e.x).unwrap();
        assert_eq!(y.shape(), vec![2, 3]);
        assert_close(&y.to_vec(), &e.y);
    }
}

#[test]
fn save_torch_round_trips() {
    let e = expected();
    let out = tmp("save");
    let src = format!(
        "let m = {MODEL}; load_torch(m, \"{}\"); save_torch(m, \"w/m.safetensors\"); let n = {MODEL}; load_torch(n, \"{}\"); n.eval(); n.forward(x)",
        fixture("sequential.pt").display(),
        out.join("w/m.safetensors").display()
    );
    let y = run(&out, &src, &e.x).unwrap();
    assert_close(&y.to_vec(), &e.y);
}

#[test]
fn a_different_layer_list_is_an_error_naming_the_file() {
    let e = expected();
    let src = format!(
        "let m = sequential([conv2d(1, 4, 3), linear(4, 3)]); load_torch(m, \"{}\"); x",
        fixture("sequential.pt").display()
    );
    let err = run(&tmp("bad"), &src, &e.x).unwrap_err();
    assert!(err.contains("sequential.pt"), "{err}");
    assert!(err.contains("layer 1") || err.contains("no place"), "{err}");
}

const SN_MODEL: &str = "sequential([spectral_norm(conv2d(1, 4, 3, #{stride: 2, padding: 1})), leaky_relu(0.2), flatten(), spectral_norm(linear(64, 1))])";

#[test]
fn spectral_norm_loads_and_saves_with_pytorchs_parametrization_names() {
    let e = expected_of("sn_sequential.json");
    let out = tmp("sn");
    let pt = fixture("sn_sequential.pt");
    // PyTorch's weight.original, _u and _v give PyTorch's eval output (its stored u and v)
    let src = format!(
        "let m = {SN_MODEL}; load_torch(m, \"{}\"); m.eval(); m.forward(x)",
        pt.display()
    );
    let y = run(&out, &src, &e.x).unwrap();
    assert_close(&y.to_vec(), &e.y);
    let src = format!(
        "let m = {SN_MODEL}; load_torch(m, \"{}\"); save_torch(m, \"w/sn.safetensors\"); let n = {SN_MODEL}; load_torch(n, \"{}\"); n.eval(); n.forward(x)",
        pt.display(),
        out.join("w/sn.safetensors").display()
    );
    let y = run(&out, &src, &e.x).unwrap();
    assert_close(&y.to_vec(), &e.y);
}
