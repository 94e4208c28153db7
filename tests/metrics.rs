//! The measures against reference values from `tests/fixtures/make_metric_fixtures.py`
//! (pytorch-fid's `calculate_frechet_distance`, torch-fidelity's KID and IS formulas,
//! Kynkäänniemi et al.'s precision/recall, PacGAN's reverse KL), and their script bindings.

mod common;

use ganbook::data::toy2d;
use ganbook::metrics::{Features, frechet, inception_score, kid, mode_coverage, precision_recall};
use serde_json::Value;

fn fixtures() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/metrics.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("metrics.json")).unwrap()
}

/// Shape and row-major values of a stored tensor.
fn tensor(v: &Value) -> (Vec<usize>, Vec<f32>) {
    common::fixture_tensor(v)
}

fn feats(v: &Value) -> Features {
    let (s, d) = tensor(v);
    Features::from_rows(&d, s[0], s[1]).unwrap()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

fn rel_close(got: f64, want: f64, rtol: f64, atol: f64) -> bool {
    (got - want).abs() <= atol + rtol * want.abs()
}

#[test]
fn frechet_distance_matches_pytorch_fid() {
    let fx = fixtures();
    for case in fx["frechet"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let got = frechet::frechet_distance(&feats(&case["a"]), &feats(&case["b"])).unwrap();
        let (want, exact) = (f(&case["fid"]), f(&case["exact"]));
        eprintln!(
            "{name}: ganbook {got:e} pytorch-fid {want:e} (rel {:.1e})",
            (got - want).abs() / want.abs().max(1e-300)
        );
        // Well-conditioned: 1e-6 relative; near-singular: finite and within 1e-4.
        let rtol = if name == "well_conditioned" {
            1e-6
        } else {
            1e-4
        };
        assert!(got.is_finite(), "{name}: {got}");
        assert!(
            rel_close(got, want, rtol, 1e-9),
            "{name}: got {got}, pytorch-fid {want}"
        );
        assert!(
            rel_close(got, exact, 1e-7, 1e-9),
            "{name}: got {got}, eigendecomposition reference {exact}"
        );
    }
}

#[test]
fn frechet_distance_rejects_bad_input() {
    let a = Features::from_rows(&[0.0; 8], 4, 2).unwrap();
    let b = Features::from_rows(&[0.0; 9], 3, 3).unwrap();
    let e = frechet::frechet_distance(&a, &b).unwrap_err();
    assert!(e.0.contains("dimensions differ"), "{e}");
    let one = Features::from_rows(&[1.0, 2.0], 1, 2).unwrap();
    let e = frechet::frechet_distance(&a, &one).unwrap_err();
    assert!(e.0.contains("at least 2"), "{e}");
    assert!(Features::from_rows(&[f32::NAN, 1.0], 1, 2).is_err());
}

#[test]
fn frechet_distance_of_a_shift_is_the_squared_shift() {
    // Same covariance (values exact in f32), means 3 apart along every one of 5 dimensions: 5 * 9 = 45.
    let a: Vec<f32> = (0..500).map(|i| ((i * 37) % 101) as f32 / 8.0).collect();
    let b: Vec<f32> = a.iter().map(|v| v + 3.0).collect();
    let d = frechet::frechet_distance(
        &Features::from_rows(&a, 100, 5).unwrap(),
        &Features::from_rows(&b, 100, 5).unwrap(),
    )
    .unwrap();
    assert!((d - 45.0).abs() < 1e-9, "{d}");
}

#[test]
fn kid_matches_the_unbiased_mmd_reference() {
    let fx = fixtures();
    for case in fx["kid"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (a, b) = (feats(&case["a"]), feats(&case["b"]));
        let got = kid::kid(&a, &b, 100, 1_000_000, 0).unwrap();
        let want = f(&case["kid"]);
        assert!(
            rel_close(got.mean, want, 1e-9, 1e-12),
            "{name}: {} vs {want}",
            got.mean
        );
        assert_eq!((got.subsets, got.std), (1, 0.0), "{name}");
    }
}

#[test]
fn kid_subsets_are_seeded_and_average_near_the_full_value() {
    let fx = fixtures();
    let case = &fx["kid"][0];
    let (a, b) = (feats(&case["a"]), feats(&case["b"]));
    let one = kid::kid(&a, &b, 50, 60, 7).unwrap();
    let again = kid::kid(&a, &b, 50, 60, 7).unwrap();
    let other = kid::kid(&a, &b, 50, 60, 8).unwrap();
    assert_eq!(one, again);
    assert_ne!(one.mean, other.mean);
    assert_eq!((one.subsets, one.subset_size), (50, 60));
    assert!(one.std > 0.0);
    // The unbiased estimator's subset average is within a few standard errors of the full one.
    let full = f(&case["kid"]);
    assert!(
        (one.mean - full).abs() < 4.0 * one.std / 50f64.sqrt() + 1e-3,
        "{one:?} vs {full}"
    );
    assert!(kid::kid(&a, &b, 0, 60, 0).is_err());
}

#[test]
fn inception_score_matches_the_reference() {
    let fx = fixtures();
    for case in fx["inception_score"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (s, p) = tensor(&case["probs"]);
        let splits = case["splits"].as_u64().unwrap() as usize;
        let got = inception_score::inception_score(&p, s[0], s[1], splits).unwrap();
        assert!(
            rel_close(got.mean, f(&case["mean"]), 1e-9, 0.0),
            "{name}: {got:?}"
        );
        assert!(
            rel_close(got.std, f(&case["std"]), 1e-7, 1e-12),
            "{name}: {got:?}"
        );
    }
}

#[test]
fn inception_score_bounds_and_errors() {
    // Confident and uniform over 4 classes: IS = 4; one class for everything: IS = 1.
    let eye: Vec<f32> = (0..16)
        .map(|i| if i % 5 == 0 { 1.0 } else { 0.0 })
        .collect();
    let s = inception_score::inception_score(&eye, 4, 4, 1).unwrap();
    assert!((s.mean - 4.0).abs() < 1e-12, "{s:?}");
    let same = [1.0f32, 0.0, 1.0, 0.0];
    let s = inception_score::inception_score(&same, 2, 2, 1).unwrap();
    assert!((s.mean - 1.0).abs() < 1e-12, "{s:?}");
    let e = inception_score::inception_score(&[2.0, -1.0], 1, 2, 1).unwrap_err();
    assert!(e.0.contains("logits"), "{e}");
    assert!(inception_score::inception_score(&eye, 4, 4, 5).is_err());
}

#[test]
fn precision_recall_matches_the_reference() {
    let fx = fixtures();
    for case in fx["precision_recall"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let k = case["k"].as_u64().unwrap() as usize;
        let got =
            precision_recall::precision_recall(&feats(&case["real"]), &feats(&case["fake"]), k)
                .unwrap();
        assert_eq!(got.precision, f(&case["precision"]), "{name}");
        assert_eq!(got.recall, f(&case["recall"]), "{name}");
    }
}

#[test]
fn precision_recall_needs_more_samples_than_k() {
    let a = Features::from_rows(&[0.0, 1.0, 2.0], 3, 1).unwrap();
    let e = precision_recall::precision_recall(&a, &a, 3).unwrap_err();
    assert!(e.0.contains("k + 1"), "{e}");
    let same = precision_recall::precision_recall(&a, &a, 2).unwrap();
    assert_eq!((same.precision, same.recall), (1.0, 1.0));
}

#[test]
fn mode_coverage_reverse_kl_matches_the_reference() {
    let fx = fixtures();
    let case = &fx["mode_coverage"][0];
    let (_, pts) = tensor(&case["points"]);
    let mix = toy2d::mixture(case["mixture"].as_str().unwrap()).unwrap();
    let c = mode_coverage::coverage(&pts, &mix).unwrap();
    assert_eq!(c.modes as u64, case["modes"].as_u64().unwrap());
    assert!((c.high_quality - f(&case["high_quality"])).abs() < 1e-12);
    assert!(
        rel_close(c.reverse_kl, f(&case["reverse_kl"]), 1e-12, 1e-15),
        "{c:?}"
    );
    // Balanced over every mode: 0; all on one mode: ln 8.
    let all: Vec<f32> = mix
        .centers
        .iter()
        .flat_map(|c| [c[0] as f32, c[1] as f32])
        .collect();
    assert!(
        mode_coverage::coverage(&all, &mix)
            .unwrap()
            .reverse_kl
            .abs()
            < 1e-12
    );
    let one = [2.0f32, 0.0, 2.0, 0.0];
    let kl = mode_coverage::coverage(&one, &mix).unwrap().reverse_kl;
    assert!((kl - 8f64.ln()).abs() < 1e-12, "{kl}");
}

// ---- script bindings ---------------------------------------------------------------------

use common::script_eval;
use std::path::PathBuf;

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ganbook-metrics-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn float(v: rhai::Dynamic) -> f64 {
    v.as_float().unwrap_or_else(|_| panic!("not a float: {v}"))
}

#[test]
fn script_measures_agree_with_the_core() {
    let out = tmp("measures");
    let case = &fixtures()["frechet"][0];
    let (sa, da) = tensor(&case["a"]);
    let (sb, db) = tensor(&case["b"]);
    let list = |d: &[f32]| format!("{d:?}");
    let src = format!(
        "let a = tensor({}).reshape([{}, {}]); let b = tensor({}).reshape([{}, {}]); frechet_distance(a, b)",
        list(&da),
        sa[0],
        sa[1],
        list(&db),
        sb[0],
        sb[1]
    );
    let got = float(script_eval(&out, &src).unwrap());
    assert!(rel_close(got, f(&case["fid"]), 1e-6, 0.0), "{got}");
    let m = script_eval(
        &out,
        "let p = softmax(randn([40, 5]) * 3.0, 1); let s = inception_score(p, #{ splits: 4 }); \
         let k = kid(randn([30, 4]), randn([30, 4]) + 1.0); \
         let pr = precision_recall(randn([50, 3]), randn([50, 3]), #{ k: 3 }); \
         [s.mean, s.std, k.kid, k.subsets, pr.precision, pr.recall]",
    )
    .unwrap()
    .into_array()
    .unwrap();
    let is_mean = m[0].as_float().unwrap();
    assert!(is_mean > 1.0 && is_mean <= 5.0, "{is_mean}");
    assert!(
        m[2].as_float().unwrap() > 0.1,
        "KID of a shift of 1 in 4-D: {}",
        m[2]
    );
    assert_eq!(m[3].as_int().unwrap(), 1);
    for v in &m[4..] {
        let v = v.as_float().unwrap();
        assert!(
            v > 0.5 && v <= 1.0,
            "precision/recall of one distribution: {v}"
        );
    }
    let e = script_eval(&out, "kid(randn([10, 4]), randn([10, 4]), #{ subset: 5 })").unwrap_err();
    assert!(e.contains("unknown option 'subset'"), "{e}");
    let e = script_eval(&out, "frechet_distance(randn([10, 4]), randn([10, 3]))").unwrap_err();
    assert!(
        e.contains("frechet_distance") && e.contains("dimensions differ"),
        "{e}"
    );
}

#[test]
fn fid_takes_models_datasets_and_tensors() {
    let out = tmp("fid");
    // A generator of 1x28x28 images and a feature model with a penultimate layer.
    let setup = r#"
        let G = sequential([linear(16, 784), tanh(), reshape([1, 28, 28])]);
        let F = sequential([flatten(), linear(784, 12), relu(), linear(12, 4)]);
        let real = digits(#{ n: 300 });
    "#;
    let v = |body: &str| script_eval(&out, &format!("{setup}{body}"));
    let same = float(v("let x = G.sample(randn([200, 16])); fid(x, x, #{ features: F })").unwrap());
    assert!(same.abs() < 1e-6, "FID of a set with itself: {same}");
    let gd = float(v("fid(G, real, #{ features: [F, -2], n: 200, batch: 64 })").unwrap());
    let dd = float(v("fid(real, real.subset(300), #{ features: [F, 1], n: 300 })").unwrap());
    assert!(gd > 0.0 && gd.is_finite(), "{gd}");
    assert!(dd.abs() < 1e-6, "the same images give 0: {dd}");
    let e = v("fid(G, real, #{ features: F, n: 500 })").unwrap_err();
    assert!(e.contains("only 300 samples"), "{e}");
    let e = v("fid(G, real, #{ features: [F, 7] })").unwrap_err();
    assert!(e.contains("out of range"), "{e}");
    let e = v("fid(G, randn([300, 1, 28, 28]), #{})").unwrap_err();
    assert!(e.contains("needs #{features"), "{e}");
}

#[test]
fn fid_samples_generators_that_start_with_a_reshape() {
    let out = tmp("fid_reshape");
    let setup = r#"
        let F = sequential([flatten(), linear(784, 4)]);
        let real = digits(#{ n: 100 });
    "#;
    let v = |body: &str| script_eval(&out, &format!("{setup}{body}"));
    // z [N, 16] viewed as [N, 16, 1, 1] for a transposed convolution (7x7 out, upsampled).
    let conv_g =
        "sequential([reshape([16, 1, 1]), conv_transpose2d(16, 1, 7), upsample(4), tanh()])";
    // z [N, 16, 1, 1] flattened for a linear layer.
    let lin_g = "sequential([flatten(), linear(16, 784), tanh(), reshape([1, 28, 28])])";
    for g in [conv_g, lin_g] {
        let d = float(v(&format!("fid({g}, real, #{{ features: F, n: 100 }})")).unwrap());
        assert!(d > 0.0 && d.is_finite(), "{g}: {d}");
    }
    let e = v("fid(sequential([reshape([8, 1, 1]), conv_transpose2d(16, 1, 28)]), real, #{ features: F })")
        .unwrap_err();
    assert!(
        e.contains("cannot tell the latent size") && e.contains("reshape([8, 1, 1])"),
        "{e}"
    );
}

#[test]
fn fid_every_logs_a_curve() {
    let out = tmp("fid_every");
    script_eval(
        &out,
        r#"
        let G = sequential([linear(4, 6)]);
        let F = sequential([linear(6, 3)]);
        let real = randn([64, 6]);
        for step in 0..5 {
            let v = fid_every(step, 2, G, real, #{ features: F, n: 64, kid: true });
            if step % 2 == 1 && v != () { throw "measured off-step"; }
        }
        plot_log(["fid"], "fid");
        "#,
    )
    .map(|_| ())
    .unwrap();
    let jsonl = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
    let rows: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let steps: Vec<i64> = rows.iter().map(|r| r["step"].as_i64().unwrap()).collect();
    assert_eq!(steps, vec![0, 2, 4]);
    for r in &rows {
        assert!(r["fid"].as_f64().unwrap() > 0.0, "{r}");
        assert!(r["kid"].as_f64().is_some(), "{r}");
    }
    assert!(out.join("plots/fid.png").exists());
}
