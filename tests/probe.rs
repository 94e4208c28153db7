//! The built-in probe: deterministic training and its cache, how well it reads the built-in
//! data (against chance, and against shuffled answers), FID with the probe as the default
//! features, and errors on bad input.

use ganbook::metrics::probe::{Config, Kind, Probe, store};
mod common;

use common::script_eval;
use std::path::PathBuf;

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ganbook-probe-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn float(v: &rhai::Dynamic) -> f64 {
    v.as_float().unwrap_or_else(|_| panic!("not a float: {v}"))
}

fn field(m: &rhai::Dynamic, key: &str) -> f64 {
    float(&m.clone().cast::<rhai::Map>()[key])
}

fn tiny(kind: Kind) -> Config {
    common::tiny_probe(kind)
}

#[test]
fn training_is_deterministic_and_cached() {
    for kind in [Kind::Digits, Kind::Faces] {
        let cfg = tiny(kind);
        let a = Probe::train(&cfg).unwrap().parameters();
        let b = Probe::train(&cfg).unwrap().parameters();
        assert_eq!(a, b, "{kind:?}: two trainings differ");
        let other = Probe::train(&Config {
            seed: 7,
            ..cfg.clone()
        })
        .unwrap();
        assert_ne!(a, other.parameters(), "{kind:?}: the seed changes nothing");

        // stored on first use, read back as stored, retrained when damaged
        let root = tmp(&format!("cache-{}", kind.name()));
        let path = store::path(Some(&root), kind.name(), &cfg.key());
        assert_eq!(
            Probe::load_or_train(&cfg, Some(&root))
                .unwrap()
                .parameters(),
            a
        );
        assert!(path.exists(), "{} not written", path.display());
        let stored = std::fs::read(&path).unwrap();
        assert!(store::load(&path, &cfg.key()).is_some());
        assert_eq!(
            Probe::load_or_train(&cfg, Some(&root))
                .unwrap()
                .parameters(),
            a
        );
        let mut bad = stored.clone();
        let mid = bad.len() / 2;
        bad[mid] ^= 0x40;
        std::fs::write(&path, &bad).unwrap();
        assert!(
            store::load(&path, &cfg.key()).is_none(),
            "damage not noticed"
        );
        assert_eq!(
            Probe::load_or_train(&cfg, Some(&root))
                .unwrap()
                .parameters(),
            a
        );
        assert_eq!(std::fs::read(&path).unwrap(), stored, "not rewritten whole");
        std::fs::write(&path, &stored[..stored.len() / 3]).unwrap();
        assert_eq!(
            Probe::load_or_train(&cfg, Some(&root))
                .unwrap()
                .parameters(),
            a
        );
        let _ = std::fs::remove_dir_all(&root);
    }
}

#[test]
fn digits_probe_reads_both_styles() {
    let out = tmp("digits");
    for (style, size) in [("handwritten", 28), ("street", 32)] {
        let src = format!(
            r#"let d = digits(#{{ style: "{style}", n: 400 }});
               let other = digits(#{{ style: "{style}", n: 400, seed: 1 }});
               let xs = []; for i in 0..400 {{ xs.push(d.get(i)); }}
               let x = stack(xs, 0);
               [digit_accuracy(x, d.labels()), digit_accuracy(x, other.labels()), x.shape()[2]]"#
        );
        let v = script_eval(&out, &src).unwrap().cast::<rhai::Array>();
        let (acc, wrong) = (float(&v[0]), float(&v[1]));
        eprintln!("digits {style}: accuracy {acc:.3}, against reversed labels {wrong:.3}");
        assert_eq!(v[2].as_int().unwrap(), size);
        assert!(
            acc > 0.9,
            "{style}: the probe reads {acc:.3} of real digits (chance 0.1)"
        );
        assert!(wrong < 0.2, "{style}: {wrong:.3} against mismatched labels");
    }
}

#[test]
fn faces_probe_reads_attributes_and_not_shuffled_ones() {
    let out = tmp("faces");
    for style in ["webtoon", "emoji", "photo"] {
        let src = format!(
            r#"let d = faces(#{{ style: "{style}", n: 300 }});
               let xs = []; for i in 0..300 {{ xs.push(d.get(i)); }}
               let x = stack(xs, 0);
               let a = d.attributes();
               let other = faces(#{{ style: "{style}", n: 300, seed: 1 }}).attributes();
               [attribute_accuracy(x, a), attribute_accuracy(x, other.values)]"#
        );
        let v = script_eval(&out, &src).unwrap().cast::<rhai::Array>();
        let (acc, chance) = (field(&v[0], "accuracy"), field(&v[0], "chance"));
        let (shuffled, chance2) = (field(&v[1], "accuracy"), field(&v[1], "chance"));
        let per = v[0].clone().cast::<rhai::Map>()["per_attribute"]
            .clone()
            .cast::<rhai::Map>();
        eprintln!(
            "faces {style}: accuracy {acc:.3} (chance {chance:.3}), other faces' attributes {shuffled:.3} (chance {chance2:.3})"
        );
        assert_eq!(per.len(), 18);
        assert!(
            acc > chance + 0.15,
            "{style}: reads {acc:.3} of the attributes, chance {chance:.3}"
        );
        assert!(
            shuffled < chance2 + 0.05,
            "{style}: {shuffled:.3} of unrelated attributes, chance {chance2:.3}"
        );
        // what every style shows: glasses and hair style
        for name in ["glasses", "hair_style"] {
            let a = float(&per[name]);
            assert!(a > 0.85, "{style}: {name} read right in {a:.3}");
        }
    }
}

#[test]
fn faces_probe_reads_other_sizes() {
    // 64: averaged 2x2 down to the probe's 32; 40: resampled bilinearly
    let out = tmp("sizes");
    for (style, size) in [("photo", 64), ("emoji", 40)] {
        let src = format!(
            r#"let d = faces(#{{ style: "{style}", n: 200, size: {size} }});
               let xs = []; for i in 0..200 {{ xs.push(d.get(i)); }}
               attribute_accuracy(stack(xs, 0), d.attributes())"#
        );
        let v = script_eval(&out, &src).unwrap();
        let (acc, chance) = (field(&v, "accuracy"), field(&v, "chance"));
        eprintln!("faces {style} at {size}: accuracy {acc:.3} (chance {chance:.3})");
        assert!(
            acc > chance + 0.15,
            "{style} at {size}: {acc:.3}, chance {chance:.3}"
        );
    }
}

#[test]
fn attribute_accuracy_reads_with_another_recipe() {
    // a probe of another recipe (tiny here: 16x16, 6 steps) reads the same faces; chance
    // depends on the attributes only, so both readings share it
    let out = tmp("recipe");
    let src = r#"let d = faces(#{ style: "emoji", n: 40, size: 32 });
        let xs = []; for i in 0..40 { xs.push(d.get(i)); }
        let x = stack(xs, 0);
        [attribute_accuracy(x, d.attributes()),
         attribute_accuracy(x, d.attributes(), #{ size: 16, steps: 6, n: 24 })]"#;
    let v = script_eval(&out, src).unwrap().into_array().unwrap();
    let (default, other) = (&v[0], &v[1]);
    assert_eq!(field(default, "chance"), field(other, "chance"));
    let acc = field(other, "accuracy");
    assert!((0.0..=1.0).contains(&acc), "accuracy {acc}");
    assert!(
        field(default, "accuracy") > field(other, "accuracy"),
        "the default probe reads more than one trained 6 steps: {} vs {acc}",
        field(default, "accuracy")
    );
}

#[test]
fn fid_uses_the_probe_by_default() {
    let out = tmp("fid");
    let src = r#"
        let d = faces(#{ style: "emoji", n: 1000 });
        let halves = d.split(0.5);
        let noise = rand([500, 3, 32, 32]) * 2.0 - 1.0;
        let p = probe("faces");
        [fid(halves[0], halves[1]), fid(halves[0], halves[1], #{ features: p }),
         fid(halves[0], noise), fid(halves[0], faces(#{ style: "photo", n: 500 })),
         p.features(noise).shape(), p.probabilities(noise).shape(),
         inception_score(p.probabilities(stack([d.get(0), d.get(1)], 0).repeat([10, 1, 1, 1]))).mean,
         probe("digits").probabilities(rand([20, 1, 28, 28])).shape()]
    "#;
    let v = script_eval(&out, src).unwrap().cast::<rhai::Array>();
    let [same, explicit, noise, photo] = [0, 1, 2, 3].map(|i| float(&v[i]));
    eprintln!("FID emoji halves {same:.3}, emoji vs noise {noise:.1}, emoji vs photo {photo:.1}");
    assert_eq!(same, explicit, "default features are not the probe's");
    assert!(
        same > 0.0 && same * 20.0 < noise,
        "halves {same}, noise {noise}"
    );
    assert!(same * 5.0 < photo, "halves {same}, other style {photo}");
    let shape = |d: &rhai::Dynamic| -> Vec<i64> {
        d.clone()
            .cast::<rhai::Array>()
            .iter()
            .map(|x| x.as_int().unwrap())
            .collect()
    };
    assert_eq!(shape(&v[4]), [500, 128]);
    assert_eq!(shape(&v[5]), [500, 30]);
    let is_two = float(&v[6]);
    assert!(is_two < 2.5, "two faces repeated: IS {is_two}");
    assert_eq!(shape(&v[7]), [20, 10]);
}

#[test]
fn metrics_every_logs_fid_kid_and_is() {
    let out = tmp("every");
    let src = r#"
        let G = sequential([linear(8, 784), tanh(), reshape([1, 28, 28])]);
        let d = digits(#{ n: 300 });
        let got = [];
        for step in 0..3 { got.push(metrics_every(step, 2, G, d, #{ n: 200, batch: 100 })); }
        got
    "#;
    let v = script_eval(&out, src).unwrap().cast::<rhai::Array>();
    assert!(v[1].is_unit(), "measured off-step: {}", v[1]);
    let jsonl = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
    let rows: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    for r in &rows {
        let (fid, kid, is) = (r["fid"].as_f64(), r["kid"].as_f64(), r["is"].as_f64());
        assert!(fid.unwrap() > 0.0 && kid.is_some(), "{r}");
        assert!((1.0..=10.0).contains(&is.unwrap()), "{r}");
    }
    let e = script_eval(
        &out,
        "metrics_every(0, 1, randn([20, 4]), randn([20, 4]), #{ features: sequential([linear(4, 2)]), inception_score: true })",
    )
    .unwrap_err();
    assert!(
        e.contains("inception_score: true needs a FeatureNet"),
        "{e}"
    );
}

#[test]
fn bad_input_is_a_clear_error() {
    let out = tmp("errors");
    let cases = [
        ("probe(\"cats\")", "unknown probe 'cats'"),
        ("probe(\"faces\", #{ width: 3 })", "unknown option 'width'"),
        ("probe(\"faces\", #{ size: 4 })", "size must be 8..256"),
        ("probe(\"faces\", #{ n: 1000000000000 })", "the limit is"),
        (
            "attribute_accuracy(randn([4, 3, 32, 32]), randn([4, 19]))",
            "attributes must be [4, 20]",
        ),
        (
            "attribute_accuracy(randn([4, 3, 32]), randn([4, 20]))",
            "images must be [n, 1 or 3, height, width]",
        ),
        (
            "attribute_accuracy(randn([4, 2, 32, 32]), randn([4, 20]))",
            "images must be [n, 1 or 3, height, width]",
        ),
        (
            "attribute_accuracy(randn([4, 3, 32, 32]), #{ values: randn([4, 20]), names: [\"a\"] })",
            "not the faces attributes",
        ),
        (
            "attribute_accuracy(randn([4, 3, 32, 32]), 5)",
            "attributes must be a Tensor",
        ),
        (
            "attribute_accuracy(randn([4, 3, 32, 32]), randn([4, 20]), #{ width: 3 })",
            "unknown option 'width'",
        ),
        (
            "digit_accuracy(randn([4, 1, 28, 28]), zeros([5]))",
            "labels must be [4]",
        ),
        (
            "digit_accuracy(randn([4, 1, 28, 28]), full([4], 10.0))",
            "labels must be digits 0..9",
        ),
        (
            "probe(\"digits\").features(randn([2, 28, 28]))",
            "images must be [n, 1 or 3, height, width]",
        ),
        ("fid(randn([50, 8]), randn([50, 8]))", "needs #{features"),
    ];
    for (src, want) in cases {
        let e = script_eval(&out, src).unwrap_err();
        assert!(e.contains(want), "{src}: {e}");
    }
}
