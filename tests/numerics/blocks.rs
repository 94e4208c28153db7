//! The blocks beyond a chain — residual, self_attention, conditional_batch_norm, projection,
//! avg_pool2d, global_sum_pool — against PyTorch (tests/fixtures/make_block_fixtures.py):
//! each case's model is made from its script text, loaded from PyTorch's state_dict (so the
//! names are PyTorch's too), run in training mode, and its output, input and parameter
//! gradients, updated buffers and evaluation-mode output compared; the r1 cases compare
//! `r1_penalty` through residual, spectral-norm, self-attention and projection blocks with
//! PyTorch's double backward. A module of tests/numerics.rs, so the GPU suite runs it too.

use crate::common::{self, fixture_tensor};
use burn::tensor::Gradients;
use ganbook::interop::torch::{self, NamedTensor};
use ganbook::nn::model::Model;
use ganbook::nn::{Mode, Sequential};
use ganbook::script;
use ganbook::state::RunState;
use ganbook::tensor::{BinOp, DynTensor, Reduce};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// f32 against PyTorch's float64 (rounded once): a few ulps of the values compared, more for
/// the longer sums of a block's gradients.
const ATOL: f32 = 1e-4;
const RTOL: f32 = 1e-4;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn cases() -> Vec<(String, Value)> {
    let text = std::fs::read_to_string(fixtures().join("blocks.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let cases = v["cases"].as_object().unwrap();
    cases.iter().map(|(k, c)| (k.clone(), c.clone())).collect()
}

fn tensor(v: &Value) -> DynTensor {
    let (shape, data) = fixture_tensor(v);
    DynTensor::from_vec(data, &shape).unwrap()
}

/// The case's model: its script text evaluated, then PyTorch's state_dict loaded into it.
fn model(case: &Value) -> Sequential {
    let ctx = RunState::new(BTreeMap::new(), std::env::temp_dir());
    let engine = script::engine(&ctx);
    let src = case["ganbook"].as_str().unwrap();
    let m: Model = engine
        .eval::<Model>(src)
        .unwrap_or_else(|e| panic!("{src}: {e}"));
    let mut seq = m.state().seq.snapshot_copy();
    let file = fixtures().join(case["safetensors"].as_str().unwrap());
    torch::load(&mut seq, &file).unwrap();
    seq
}

fn label(case: &Value) -> Option<DynTensor> {
    let y = case.get("y")?.as_array()?;
    let values: Vec<f32> = y.iter().map(|v| v.as_f64().unwrap() as f32).collect();
    Some(DynTensor::from_vec(values, &[y.len()]).unwrap())
}

fn named(seq: &Sequential) -> Vec<NamedTensor> {
    seq.layers
        .iter()
        .enumerate()
        .flat_map(|(i, l)| {
            torch::named_tensors(l)
                .into_iter()
                .map(move |t| NamedTensor {
                    name: format!("{i}.{}", t.name),
                    ..t
                })
        })
        .collect()
}

#[derive(Default)]
struct Check {
    failures: Vec<String>,
    compared: usize,
}

impl Check {
    fn close(&mut self, what: &str, got: &[f32], want: &Value) {
        self.compared += 1;
        let (shape, data) = fixture_tensor(want);
        if got.len() != data.len() {
            let msg = format!("{what}: {} values, expected {shape:?}", got.len());
            return self.failures.push(msg);
        }
        let bad: Vec<usize> = (0..got.len())
            .filter(|&i| {
                let err = (got[i] - data[i]).abs();
                err.is_nan() || err > ATOL + RTOL * data[i].abs()
            })
            .collect();
        if let Some(&i) = bad.first() {
            self.failures.push(format!(
                "{what}: {}/{} values differ; first at {i}: got {}, expected {}",
                bad.len(),
                got.len(),
                got[i],
                data[i]
            ));
        }
    }

    /// The gradient of each named parameter against PyTorch's (in PyTorch's layout); a
    /// parameter without a gradient here must have an all-zero one there.
    fn grads(&mut self, case: &str, seq: &Sequential, grads: &Gradients, want: &Value) {
        for t in named(seq) {
            let Some(w) = want.get(&t.name) else { continue };
            let what = format!("{case} grad {}", t.name);
            match grad_of(&t.tensor, grads) {
                Some(g) => {
                    let g = NamedTensor { tensor: g, ..t };
                    self.close(&what, &g.torch_values(), w)
                }
                None => {
                    let (_, data) = fixture_tensor(w);
                    self.compared += 1;
                    if data.iter().any(|v| v.abs() > ATOL) {
                        self.failures.push(format!("{what}: no gradient here"));
                    }
                }
            }
        }
    }

    fn finish(self, what: &str, at_least: usize) {
        eprintln!("{what}: {} comparisons", self.compared);
        assert!(
            self.failures.is_empty(),
            "{what}: {} of {} comparisons failed:\n{}",
            self.failures.len(),
            self.compared,
            self.failures.join("\n")
        );
        assert!(
            self.compared >= at_least,
            "{what}: only {} comparisons",
            self.compared
        );
    }
}

fn grad_of(t: &DynTensor, grads: &Gradients) -> Option<DynTensor> {
    ganbook::with_rank!(t, x => x.grad(grads).map(DynTensor::new))
}

fn backward(loss: DynTensor) -> Gradients {
    loss.reshape(&[1])
        .unwrap()
        .ranked::<1>("backward")
        .unwrap()
        .backward()
}

#[test]
fn blocks_match_pytorch_forward_gradients_and_buffers() {
    common::use_test_device();
    let mut check = Check::default();
    let mut n = 0;
    for (name, case) in cases().iter().filter(|(k, _)| !k.starts_with("r1_")) {
        n += 1;
        let mut seq = model(case);
        let x = tensor(&case["inputs"]["x"]).require_grad();
        let y = label(case);
        let train = Mode { training: true };
        let out = seq.forward_labeled(x.clone(), train, y.as_ref()).unwrap();
        check.close(&format!("{name} out"), &out.to_vec(), &case["out"]);
        let r = tensor(&case["R"]);
        let loss = out.binary(r, BinOp::Mul).unwrap();
        let grads = backward(loss.reduce(Reduce::Sum, None).unwrap());
        let gx = grad_of(&x, &grads).expect("an input gradient");
        check.close(&format!("{name} grad x"), &gx.to_vec(), &case["grads"]["x"]);
        check.grads(name, &seq, &grads, &case["grads"]);
        for t in named(&seq) {
            if let Some(w) = case["buffers_after"].get(&t.name) {
                check.close(&format!("{name} {} after", t.name), &t.torch_values(), w);
            }
        }
        let eval = Mode { training: false };
        let out = seq.forward_labeled(x.detach(), eval, y.as_ref()).unwrap();
        check.close(
            &format!("{name} out_eval"),
            &out.to_vec(),
            &case["out_eval"],
        );
    }
    assert!(n >= 12, "only {n} block cases");
    check.finish("blocks", 12 * 4);
}

#[test]
fn r1_through_residual_attention_and_projection_blocks_matches_double_backward() {
    common::use_test_device();
    let mut check = Check::default();
    for (name, case) in cases().iter().filter(|(k, _)| k.starts_with("r1_")) {
        if name == "r1_attention" && common::test_device() != "cpu" {
            // Known failure on wgpu/lavapipe (docs/gpu.md, "Known failures"): half of the
            // query and key weight gradients come out wrong, and differently from run to run.
            eprintln!("skipped on {}: {name} (docs/gpu.md)", common::test_device());
            continue;
        }
        let mut seq = model(case);
        let x = tensor(&case["inputs"]["x"]);
        let y = label(case);
        let r1 = ganbook::nn::r1::r1_penalty(&mut seq, &x, y.as_ref()).unwrap();
        check.close(&format!("{name} r1"), &r1.to_vec(), &case["r1"]);
        let grads = backward(r1);
        check.grads(name, &seq, &grads, &case["grads"]);
    }
    check.finish("r1 through blocks", 3 * 5);
}

#[test]
fn a_shortcut_that_does_not_fit_names_the_block_and_both_shapes() {
    let ctx = RunState::new(BTreeMap::new(), std::env::temp_dir());
    let engine = script::engine(&ctx);
    let src = "let m = sequential([residual([conv2d(4, 6, 3, #{ padding: 1 })])]); m.forward(randn([2, 4, 5, 5]))";
    let e = engine.eval::<DynTensor>(src).unwrap_err().to_string();
    assert!(e.contains("layer 0 (residual(["), "{e}");
    assert!(
        e.contains("[2, 6, 5, 5]") && e.contains("[2, 4, 5, 5]") && e.contains("shortcut"),
        "{e}"
    );
    let src = "let m = sequential([conditional_batch_norm(4, 3)]); m.forward(randn([2, 4]))";
    let e = engine.eval::<DynTensor>(src).unwrap_err().to_string();
    assert!(e.contains("G.forward(z, y)"), "{e}");
    let src = "let d = sequential([conv2d(3, 8, 3), batch_norm(8), flatten(), linear(8, 1)]); r1_penalty(d, randn([2, 3, 3, 3]))";
    let e = engine.eval::<DynTensor>(src).unwrap_err().to_string();
    assert!(
        e.contains("layer 1 (batch_norm(8))") && e.contains("per-sample gradients"),
        "{e}"
    );
    let src =
        "let d = sequential([flatten(), projection(3, 12)]); r1_penalty(d, randn([2, 3, 2, 2]))";
    let e = engine.eval::<DynTensor>(src).unwrap_err().to_string();
    assert!(e.contains("r1_penalty(D, real, y)"), "{e}");
}
