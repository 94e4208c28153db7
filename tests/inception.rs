//! `inception(path)` against pytorch-fid's own FID Inception-v3, run on deterministic random
//! weights (tests/fixtures/make_inception_fixtures.py writes tests/fixtures/inception/):
//! the same weights, built here by the same generator, go through the same name -> tensor
//! map as a loaded .pth, and give pytorch-fid's pool3 features and fc logits.

use ganbook::interop::torch::{self, StateDict};
use ganbook::metrics::features::{FeatureNet, FeatureNetHandle};
use ganbook::metrics::inception::preprocess::resize_bilinear;
use ganbook::metrics::inception::random::{self, RandomSource};
use ganbook::metrics::inception::weights::StateDictSource;
use ganbook::metrics::inception::{CLASSES, FEATURES, Inception};
use ganbook::script;
use ganbook::state::RunState;
use ganbook::tensor::DynTensor;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::OnceLock;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/inception")
        .join(name)
}

fn fixtures() -> &'static Value {
    static F: OnceLock<Value> = OnceLock::new();
    F.get_or_init(|| {
        let text = std::fs::read_to_string(fixture("inception.json")).expect("inception.json");
        serde_json::from_str(&text).unwrap()
    })
}

fn nums(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

fn dims(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

/// The random state dict, generated once (the network's names and shapes, random values).
fn random_dict() -> &'static StateDict {
    static D: OnceLock<StateDict> = OnceLock::new();
    D.get_or_init(|| {
        let mut src = RandomSource::default();
        Inception::build(&mut src, "random").unwrap();
        src.dict
    })
}

/// The network built from the random state dict as from a loaded file.
fn random_net() -> &'static Inception {
    static N: OnceLock<Inception> = OnceLock::new();
    N.get_or_init(|| {
        let mut src = StateDictSource::new(random_dict().clone(), "random.pth");
        Inception::build(&mut src, "inception(random)").unwrap()
    })
}

/// Fixture image `i` in ganbook's range [-1, 1].
fn image(i: usize) -> DynTensor {
    let img = &fixtures()["images"][i];
    let shape = dims(&img["shape"]);
    let name = img["name"].as_str().unwrap();
    let mut batch = vec![1];
    batch.extend(&shape);
    DynTensor::from_vec(random::image(name, &shape), &batch).unwrap()
}

/// Largest difference relative to the largest reference value.
fn rel_err(got: &[f32], want: &[f32]) -> f64 {
    assert_eq!(got.len(), want.len());
    let scale = want.iter().fold(0f64, |m, v| m.max(v.abs() as f64));
    let diff = got
        .iter()
        .zip(want)
        .fold(0f64, |m, (a, b)| m.max((*a as f64 - *b as f64).abs()));
    diff / scale
}

#[test]
fn random_weights_are_pytorch_fids_state_dict() {
    let dict = random_dict();
    let tensors = fixtures()["tensors"].as_array().unwrap();
    let mut want: Vec<&str> = tensors
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    let mut have: Vec<&str> = dict.keys().map(|k| k.as_str()).collect();
    want.sort();
    have.sort();
    assert_eq!(
        have, want,
        "the network's tensor names differ from pytorch-fid's state dict"
    );
    for t in tensors {
        let name = t["name"].as_str().unwrap();
        let (shape, values) = &dict[name];
        assert_eq!(shape, &dims(&t["shape"]), "{name}");
        let sum: f64 = values.iter().map(|v| *v as f64).sum();
        let want = t["sum"].as_f64().unwrap();
        assert!(
            (sum - want).abs() <= 1e-9 * (1.0 + want.abs()),
            "{name}: sum {sum} vs {want}"
        );
    }
}

#[test]
fn pth_files_from_torch_save_read_back_exactly() {
    for file in ["subset.pth", "subset_legacy.pth"] {
        let dict = torch::read(&fixture(file)).unwrap();
        // num_batches_tracked (int64) is skipped; the float tensors are bit-identical.
        let names: Vec<&str> = dict.keys().map(|k| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "Conv2d_1a_3x3.bn.running_var",
                "Conv2d_1a_3x3.conv.weight",
                "Mixed_7c.branch_pool.bn.bias",
                "fc.bias"
            ],
            "{file}"
        );
        for (name, (shape, values)) in &dict {
            assert_eq!(
                &random_dict()[name],
                &(shape.clone(), values.clone()),
                "{file}: {name}"
            );
        }
    }
}

#[test]
fn resize_matches_pytorch_bilinear() {
    for case in fixtures()["resizes"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let shape = dims(&case["shape"]);
        let size = dims(&case["size"]);
        let x = DynTensor::from_vec(random::image(name, &shape), &[&[1], &shape[..]].concat())
            .unwrap()
            .ranked::<4>("x")
            .unwrap();
        let y = DynTensor::new(resize_bilinear(x, [size[0], size[1]]));
        let err = rel_err(&y.to_vec(), &nums(&case["output"]));
        assert!(err < 1e-6, "{name}: relative error {err:e}");
    }
}

#[test]
fn features_and_logits_match_pytorch_fid() {
    let net = random_net();
    let fx = fixtures();
    for i in 0..3 {
        let name = fx["images"][i]["name"].as_str().unwrap();
        let x = image(i);
        let f = net.features(x.clone()).unwrap();
        assert_eq!(f.shape(), [1, FEATURES]);
        let err = rel_err(&f.to_vec(), &nums(&fx["features"][i]));
        eprintln!("{name} {:?}: features relative error {err:.1e}", x.shape());
        assert!(
            err < 1e-4,
            "{name}: features differ from pytorch-fid by {err:e}"
        );

        let want = nums(&fx["logits"][i]);
        let logits = net.image_logits(x.clone()).unwrap();
        let err = rel_err(&logits.to_vec(), &want);
        assert!(
            err < 1e-4,
            "{name}: logits differ from pytorch-fid by {err:e}"
        );

        // Probabilities: the softmax of pytorch-fid's logits.
        let p = net.probabilities(x).unwrap().unwrap();
        assert_eq!(p.shape(), [1, CLASSES]);
        let max = want.iter().fold(f32::MIN, |m, v| m.max(*v)) as f64;
        let z: f64 = want.iter().map(|v| (*v as f64 - max).exp()).sum();
        let soft: Vec<f32> = want
            .iter()
            .map(|v| ((*v as f64 - max).exp() / z) as f32)
            .collect();
        let err = rel_err(&p.to_vec(), &soft);
        assert!(err < 1e-3, "{name}: probabilities differ by {err:e}");
    }
}

/// The full random state dict as a safetensors file (95 MB, in a temporary folder).
fn write_safetensors(path: &std::path::Path) {
    use safetensors::{Dtype, tensor::TensorView};
    let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = random_dict()
        .iter()
        .map(|(k, (s, v))| {
            (
                k.clone(),
                s.clone(),
                v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            )
        })
        .collect();
    let views: Vec<(String, TensorView)> = bytes
        .iter()
        .map(|(k, s, b)| {
            (
                k.clone(),
                TensorView::new(Dtype::F32, s.clone(), b).unwrap(),
            )
        })
        .collect();
    safetensors::serialize_to_file(views, None, path).unwrap();
}

/// `inception(path)` in a script loads a complete state dict (the random one, saved as
/// safetensors) and gives the FeatureNet that `fid` takes: pytorch-fid's features. (FID
/// itself is left out: a 2048-d Fréchet distance takes minutes in the unoptimized test build.)
#[test]
fn inception_in_a_script_loads_a_weights_file() {
    let dir = std::env::temp_dir().join(format!("ganbook-inception-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let weights = dir.join("fid_inception.safetensors");
    write_safetensors(&weights);
    let ctx = RunState::new(Default::default(), dir.clone());
    let engine = script::engine(&ctx);
    let mut scope = rhai::Scope::new();
    scope.push("PATH", weights.display().to_string());
    let net: FeatureNetHandle = engine
        .eval_with_scope(&mut scope, "inception(PATH)")
        .unwrap();
    let name: String = engine
        .eval_with_scope(&mut scope, "inception(PATH).to_string()")
        .unwrap();
    let e = engine
        .eval_with_scope::<rhai::Dynamic>(&mut scope, "inception(PATH + \".missing\")")
        .unwrap_err()
        .to_string();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(name, "inception(fid_inception.safetensors)");
    assert!(
        e.contains("fid_inception.safetensors.missing: no such file"),
        "{e}"
    );
    let f = net.0.features(image(2)).unwrap();
    let err = rel_err(&f.to_vec(), &nums(&fixtures()["features"][2]));
    assert!(err < 1e-4, "features differ from pytorch-fid by {err:e}");
}

fn load_err(path: &std::path::Path) -> String {
    match Inception::load(path) {
        Ok(_) => panic!("{} loaded", path.display()),
        Err(e) => e.0,
    }
}

#[test]
fn bad_weight_files_are_named_in_errors() {
    let missing = fixture("no_such_file.pth");
    let e = load_err(&missing);
    assert!(
        e.contains("no_such_file.pth") && e.contains("no such file"),
        "{e}"
    );
    assert!(e.contains("pt_inception-2015-12-05"), "{e}");

    let e = load_err(&fixture("not_a_state_dict.pth"));
    assert!(e.contains("not_a_state_dict.pth"), "{e}");

    let e = load_err(&fixture("inception.json"));
    assert!(e.contains("inception.json"), "{e}");

    // A state dict of a few of the tensors: the first missing one is named.
    let e = load_err(&fixture("subset.pth"));
    assert!(
        e.contains("subset.pth") && e.contains("'Conv2d_1a_3x3.bn.weight'"),
        "{e}"
    );

    let e = load_err(&fixture("wrong_shape.pth"));
    assert!(
        e.contains("wrong_shape.pth")
            && e.contains("'Conv2d_1a_3x3.conv.weight'")
            && e.contains("[32, 3, 5, 5]"),
        "{e}"
    );

    // torchvision's ImageNet Inception: everything fits but the 1000-way fc.
    let mut dict = random_dict().clone();
    dict.insert(
        "fc.weight".into(),
        (vec![1000, FEATURES], vec![0.0; 1000 * FEATURES]),
    );
    let e = match Inception::build(&mut StateDictSource::new(dict, "torchvision.pth"), "x") {
        Ok(_) => panic!("a 1000-class fc loaded"),
        Err(e) => e.0,
    };
    assert!(
        e.contains("torchvision.pth") && e.contains("'fc.weight'") && e.contains("[1008, 2048]"),
        "{e}"
    );
}

#[test]
fn bad_images_are_refused() {
    let net = random_net();
    for shape in [vec![2, 2, 8, 8], vec![3, 8, 8], vec![1, 4, 8, 8]] {
        let x = DynTensor::full(&shape, 0.0).unwrap();
        let e = net.features(x).unwrap_err().0;
        assert!(
            e.contains("expects images [n, 1 or 3, h, w]"),
            "{shape:?}: {e}"
        );
    }
}
