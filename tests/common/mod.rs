//! Helpers the tests share: run the `ganbook` binary, make a fresh temporary folder, read
//! run.json; compare tensors (the kernels' golden tests).
#![allow(dead_code)] // each test crate uses its own subset

pub mod child;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `ganbook ARGS` from the crate root.
pub fn ganbook(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ganbook"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("ganbook runs")
}

/// The device the suite runs on: `GANBOOK_TEST_DEVICE` (the GPU suite in .ci/run sets `wgpu`),
/// else the CPU.
pub fn test_device() -> String {
    std::env::var("GANBOOK_TEST_DEVICE").unwrap_or_else(|_| "cpu".into())
}

/// Makes the test device current in this process (for tests that call the core directly).
pub fn use_test_device() {
    let name = test_device();
    ganbook::device::select(&name).unwrap_or_else(|e| panic!("test device {name}: {e}"));
}

/// A small convolutional GAN: 5 steps of D and G on a fixed batch, each G loss printed
/// (tests/cli.rs trains it at 1, 2 and 3 threads, tests/gpu.rs on the CPU and the GPU).
pub const SMALL_CONV_GAN: &str = "seed(3);\n\
    let G = sequential([reshape([8, 1, 1]), conv_transpose2d(8, 16, 4), batch_norm(16), relu(),\n\
        conv_transpose2d(16, 3, 4, #{stride: 2, padding: 1}), tanh()]);\n\
    let D = sequential([conv2d(3, 16, 4, #{stride: 2, padding: 1}), leaky_relu(0.2),\n\
        conv2d(16, 1, 4), flatten()]);\n\
    let og = adam(G, #{lr: 0.001});\nlet od = adam(D, #{lr: 0.001});\n\
    let real = randn([8, 3, 8, 8]).tanh();\n\
    for i in 0..5 {\n  let fake = G.forward(randn([8, 8]));\n\
      od.step(bce_logits(D.forward(real), 1.0) + bce_logits(D.forward(fake.detach()), 0.0));\n\
      let l = bce_logits(D.forward(fake), 1.0);\n  og.step(l);\n  print(l.item());\n}";

/// An empty folder of its own for one test (canonical: no symbolic links in its path).
pub fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ganbook-test-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d.canonicalize().unwrap()
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

/// Shape and row-major values of a tensor stored in a PyTorch fixture
/// (`{"shape": [...], "data": [...]}`).
pub fn fixture_tensor(v: &serde_json::Value) -> (Vec<usize>, Vec<f32>) {
    let numbers = |key: &str| {
        v[key]
            .as_array()
            .expect(key)
            .iter()
            .map(|x| x.as_f64().unwrap())
    };
    let shape = numbers("shape").map(|d| d as usize).collect();
    let data = numbers("data").map(|x| x as f32).collect();
    (shape, data)
}

/// run.json of a run folder, or Null when it was not written.
pub fn run_json(dir: &Path) -> serde_json::Value {
    std::fs::read_to_string(dir.join("run.json"))
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap_or(serde_json::Value::Null)
}

/// Runs `ganbook run FILE --out OUT` with `extra` arguments: (output, run.json).
pub fn run_file(file: &Path, out: &Path, extra: &[&str]) -> (Output, serde_json::Value) {
    let mut args = vec![
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let device = test_device();
    if !extra.contains(&"--device") {
        args.extend(["--device", device.as_str()]);
    }
    let o = ganbook(&args);
    (o, run_json(out))
}

/// Writes `src` as a script in a fresh folder and runs it with `--out <folder>/out` and
/// `extra` arguments: (output, run.json, run folder).
pub fn run_script(tag: &str, src: &str, extra: &[&str]) -> (Output, serde_json::Value, PathBuf) {
    let d = temp_dir(tag);
    let file = d.join(format!("{tag}.rhai"));
    std::fs::write(&file, src).unwrap();
    let out = d.join("out");
    let (o, j) = run_file(&file, &out, extra);
    (o, j, out)
}

/// Asserts `got` and `want` have one shape and agree within 1e-4 of `want`'s largest value.
pub fn assert_close<const D: usize>(
    what: &str,
    got: burn::tensor::Tensor<D>,
    want: burn::tensor::Tensor<D>,
) {
    assert_eq!(got.dims(), want.dims(), "{what}: shape");
    let values = |t: burn::tensor::Tensor<D>| t.into_data().iter::<f32>().collect::<Vec<_>>();
    let (g, w) = (values(got), values(want));
    let scale = w.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    for (i, (a, b)) in g.iter().zip(&w).enumerate() {
        assert!(
            (a - b).abs() <= 1e-4 * scale,
            "{what}[{i}]: {a} vs {b} (scale {scale})"
        );
    }
}

/// Runs `src` in a run folder as a run would (log files written at the end), returning the
/// script's value or its error as printed.
pub fn script_eval(out: &std::path::Path, src: &str) -> Result<rhai::Dynamic, String> {
    let ctx = ganbook::state::RunState::new(std::collections::BTreeMap::new(), out.to_path_buf());
    ctx.set_quiet();
    let result = ganbook::script::engine(&ctx)
        .eval::<rhai::Dynamic>(src)
        .map_err(|e| ganbook::script::errors::format_eval_error("test.rhai", &e).0);
    // as a run ends: the log writes its files at most once a second until then
    ctx.with_log(|l| l.finish()).unwrap();
    result
}

/// A Python for the tests that drive real outside components: `$env_var` (.ci/run sets it to
/// its cached venv), else the venv .ci/run makes at `~/.cache/<venv>`; None (the test skips,
/// with a note naming `what`) where neither can import `modules`.
fn python_with(env_var: &str, venv: &str, modules: &str, what: &str) -> Option<PathBuf> {
    let from_env = std::env::var_os(env_var).map(PathBuf::from);
    let default = std::env::var_os("HOME").map(|h| {
        PathBuf::from(h)
            .join(".cache")
            .join(venv)
            .join("bin/python")
    });
    let python = from_env.or(default)?;
    let ok = Command::new(&python)
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("{}: no {modules}: {what} skipped", python.display());
        return None;
    }
    Some(python)
}

/// The Python that has Jupyter's client libraries (`jupyter_client`, `nbclient`, `nbformat`):
/// `GANBOOK_JUPYTER_PYTHON`, else `~/.cache/ganbook-venv-jupyter`.
pub fn jupyter_python() -> Option<PathBuf> {
    python_with(
        "GANBOOK_JUPYTER_PYTHON",
        "ganbook-venv-jupyter",
        "jupyter_client, nbclient, nbformat",
        "Jupyter test",
    )
}

/// The Python that has TensorBoard's readers (`tbparse`, `tensorboard`, Pillow with it):
/// `GANBOOK_TB_PYTHON`, else `~/.cache/ganbook-venv-tb`.
pub fn tensorboard_python() -> Option<PathBuf> {
    python_with(
        "GANBOOK_TB_PYTHON",
        "ganbook-venv-tb",
        "tbparse, tensorboard, PIL",
        "TensorBoard reading test",
    )
}

/// The Python that has selenium, for the tests that drive headless Chromium through
/// chromedriver: `GANBOOK_BROWSER_PYTHON`, else `~/.cache/ganbook-venv-browser`; None also
/// without /usr/bin/chromedriver (Debian's chromium-driver).
pub fn browser_python() -> Option<PathBuf> {
    if !Path::new("/usr/bin/chromedriver").exists() {
        eprintln!("no /usr/bin/chromedriver (Debian: chromium-driver): browser test skipped");
        return None;
    }
    python_with(
        "GANBOOK_BROWSER_PYTHON",
        "ganbook-venv-browser",
        "selenium",
        "browser test",
    )
}

/// A built-in probe small enough to train in a moment.
pub fn tiny_probe(kind: ganbook::metrics::probe::Kind) -> ganbook::metrics::probe::Config {
    ganbook::metrics::probe::Config {
        size: 16,
        train: 24,
        eval: 8,
        steps: 6,
        batch: 8,
        width: 4,
        features: 16,
        ..ganbook::metrics::probe::Config::new(kind)
    }
}

/// Each script's quick mode (tests/device_scripts.rs runs them on a GPU and the CPU): (name,
/// --set values, samples its counting results are shares of).
pub const QUICK: &[(&str, &[&str], f64)] = &[
    ("gan_ring8", &["steps=20"], 2500.0),
    ("gan_grid25", &["steps=20", "every=10"], 2500.0),
    ("classroom", &["steps=30"], 2500.0),
    ("cnn_gan_128", &["steps=1", "batch=2", "width=32"], 1.0),
    ("dcgan_webtoon", &["steps=3", "batch=8", "n_fid=50"], 50.0),
    (
        "dcgan_faces64",
        &[
            "epochs=2",
            "n=16",
            "batch=8",
            "g_width=16",
            "d_width=8",
            "n_fid=20",
            "patience=1",
        ],
        20.0,
    ),
    (
        "wgan_faces",
        &["steps=2", "every=1", "batch=8", "n_fid=20"],
        20.0,
    ),
    (
        "sngan_faces",
        &["steps=2", "every=1", "batch=8", "n_fid=20", "width=16"],
        20.0,
    ),
    (
        "cgan_digits",
        &["steps=3", "every=1", "batch=8", "n_eval=20"],
        20.0,
    ),
    (
        "dtn_digits",
        &["pretrain=20", "steps=3", "every=2", "batch=8", "n_eval=40"],
        40.0,
    ),
    (
        "dtn_faces",
        &["pretrain=5", "steps=3", "every=2", "batch=8", "n_eval=40"],
        40.0,
    ),
];

/// The quick mode's `--set` values of `scripts/<name>.rhai`.
pub fn quick_sets(name: &str) -> &'static [&'static str] {
    QUICK
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|q| q.1)
        .expect("a script in QUICK")
}
