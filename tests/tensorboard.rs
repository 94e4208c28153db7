//! TensorBoard event files, read back by TensorBoard's own readers (tbparse and the
//! `tensorboard` package, from PyPI, in the venv `common::tensorboard_python` finds; the
//! reading tests skip without it): every scalar a script logged (float32, bit for bit), every
//! image it saved (tag, step, size, the very PNG bytes of the file), the hparams; a run
//! killed with SIGKILL mid-write; a resumed run; `--no-tensorboard`.

mod common;

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What tests/tensorboard/read_events.py reads from a run folder or event file.
fn read_back(python: &Path, path: &Path) -> Value {
    let o = Command::new(python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tensorboard/read_events.py"))
        .arg(path)
        .output()
        .expect("python runs");
    assert!(
        o.status.success(),
        "read_events.py {}: {}",
        path.display(),
        common::text(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("the reader prints JSON")
}

/// The event files in a run folder.
fn event_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().contains("tfevents"))
        })
        .collect();
    files.sort();
    files
}

/// (tag, step) -> float32 bits of every scalar in `read["scalars"]` (or another list), each
/// pair once.
fn scalars(list: &Value) -> BTreeMap<(String, i64), u32> {
    let mut out = BTreeMap::new();
    for s in list.as_array().unwrap() {
        let key = (
            s["tag"].as_str().unwrap().to_string(),
            s["step"].as_i64().unwrap(),
        );
        let bits = s["bits"].as_u64().unwrap() as u32;
        assert!(out.insert(key.clone(), bits).is_none(), "{key:?} twice");
    }
    out
}

const LOGGING: &str = r#"
let steps = param("steps", 12);
let lr = param("lr", 0.5);
let loss_kind = param("loss", "bce");
let G = sequential([linear(4, 48), tanh(), reshape([3, 4, 4])]);
for step in 0..steps {
    let s = step * 1.0;
    log(step, #{ d_loss: s * 0.1, g_loss: 1.0 / (s + 3.0), big: s * s * 1000.5 + 0.001,
                 neg: -0.003 * s, tiny: 0.0000001 * (s + 1.0), whole: step, lr: lr, third: s / 3.0 });
    if step % 4 == 0 {
        grid(randn([6, 3, 8, 8]).tanh(), "samples/step", #{ nrow: 3 });
        scatter2d(randn([50, 2]), randn([50, 2]), "frames/step");
    }
}
plot_log(["d_loss", "g_loss"], "losses");
plot(#{ a: [1.0, 3.0, 2.0] }, "curve");
hist(randn([500]), "weights");
interpolate(G, randn([1, 4]), randn([1, 4]), 5, "walk");
digits(#{ n: 16, size: 28 }).preview("digits_preview", 8);
"#;

/// The values LOGGING logs at `step`, computed here as Rhai computes them (f64), each rounded
/// to float32 as TensorBoard keeps scalars.
fn logged(step: i64, lr: f64) -> Vec<(&'static str, u32)> {
    let s = step as f64;
    let values = [
        ("d_loss", s * 0.1),
        ("g_loss", 1.0 / (s + 3.0)),
        ("big", s * s * 1000.5 + 0.001),
        ("neg", -0.003 * s),
        ("tiny", 1e-7 * (s + 1.0)),
        ("whole", s),
        ("lr", lr),
        ("third", s / 3.0),
    ];
    values
        .into_iter()
        .map(|(k, v)| (k, (v as f32).to_bits()))
        .collect()
}

#[test]
fn every_scalar_image_and_hparam_reads_back_exactly() {
    let (o, j, out) = common::run_script(
        "tb-all",
        LOGGING,
        &["--set", "lr=0.25", "--set", "loss=wgan"],
    );
    assert!(o.status.success(), "{}", common::text(&o.stderr));
    assert_eq!(j["status"], "ok");
    let files = event_files(&out);
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_string_lossy().to_string();
    assert!(name.starts_with("events.out.tfevents."), "{name}");
    let Some(python) = common::tensorboard_python() else {
        return;
    };
    let read = read_back(&python, &out);

    let mut want = BTreeMap::new();
    for step in 0..12 {
        for (k, bits) in logged(step, 0.25) {
            want.insert((k.to_string(), step), bits);
        }
    }
    assert_eq!(scalars(&read["scalars"]), want);

    // every image, by tag and step, is the PNG file written (its bytes and size)
    let mut images: Vec<(&str, i64, String)> = Vec::new();
    for step in [0, 4, 8] {
        images.push(("samples/step", step, format!("samples/step_{step:06}.png")));
        images.push(("frames/step", step, format!("frames/step_{step:06}.png")));
    }
    for (tag, file) in [
        ("plots/losses", "plots/losses.png"),
        ("plots/curve", "plots/curve.png"),
        ("plots/weights", "plots/weights.png"),
        ("samples/walk", "samples/walk.png"),
        ("digits_preview", "digits_preview.png"),
    ] {
        images.push((tag, 11, file.to_string()));
    }
    let got = read["images"].as_array().unwrap();
    assert_eq!(got.len(), images.len(), "{got:#?}");
    for (tag, step, file) in images {
        let path = out.join(&file);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        let (w, h) = image::load_from_memory(&bytes)
            .unwrap()
            .into_rgb8()
            .dimensions();
        let sha = format!("{:x}", Sha256::digest(&bytes));
        let found = got
            .iter()
            .find(|i| i["tag"] == tag && i["step"] == step)
            .unwrap_or_else(|| panic!("no image {tag} at step {step}: {got:#?}"));
        assert_eq!(
            found["sha256"],
            sha.as_str(),
            "{tag} {step}: not {file}'s bytes"
        );
        assert_eq!(
            (found["width"].as_u64(), found["height"].as_u64()),
            (Some(w as u64), Some(h as u64))
        );
        assert_eq!(found["decoded"], serde_json::json!([w, h]), "{tag} {step}");
    }

    // the --set values and every param read, with the value the script got
    assert_eq!(
        read["hparams"],
        serde_json::json!({ "lr": 0.25, "loss": "wgan", "steps": 12.0 })
    );
}

/// Logs 8 values per step for ever, with a sample grid every 25 steps.
const FOREVER: &str = r#"
let step = 0;
loop {
    let s = step * 1.0;
    log(step, #{ a: s, b: s * 0.5, c: -s, d: s + 0.25, e: s * 3.0, f: 1.0 / (s + 1.0), g: 7.0, h: s * s });
    if step % 25 == 0 { grid(randn([16, 3, 16, 16]).tanh(), "samples/step"); }
    step += 1;
}
"#;

/// The 8 values FOREVER logs at `step`, as float32 bits.
fn forever_values(step: i64) -> [(&'static str, u32); 8] {
    let s = step as f64;
    [
        ("a", s),
        ("b", s * 0.5),
        ("c", -s),
        ("d", s + 0.25),
        ("e", s * 3.0),
        ("f", 1.0 / (s + 1.0)),
        ("g", 7.0),
        ("h", s * s),
    ]
    .map(|(k, v)| (k, (v as f32).to_bits()))
}

/// Asserts that `read` holds FOREVER's scalars for steps 0 to its last, each step complete,
/// and images that are the PNG files of `run_folder`; returns the number of scalars.
fn assert_contiguous(read: &Value, run_folder: &Path, what: &str) -> usize {
    let got = scalars(&read["scalars"]);
    let last = got.keys().map(|(_, s)| *s).max().unwrap();
    assert!(last >= 100, "{what}: only {last} steps");
    for step in 0..=last {
        for (k, bits) in forever_values(step) {
            assert_eq!(
                got.get(&(k.to_string(), step)),
                Some(&bits),
                "{what}: {k} at step {step}"
            );
        }
    }
    assert_eq!(
        got.len() as i64,
        8 * (last + 1),
        "{what}: values past the steps"
    );
    let images = read["images"].as_array().unwrap();
    assert!(images.len() >= 4, "{what}: {} images", images.len());
    for i in images {
        let step = i["step"].as_i64().unwrap();
        assert_eq!(i["tag"], "samples/step");
        assert_eq!(step % 25, 0);
        let bytes = std::fs::read(run_folder.join(format!("samples/step_{step:06}.png"))).unwrap();
        assert_eq!(
            i["sha256"],
            format!("{:x}", Sha256::digest(&bytes)).as_str(),
            "{what}: image {step}"
        );
    }
    got.len()
}

#[test]
fn a_run_killed_mid_write_keeps_every_complete_record() {
    let d = common::temp_dir("tb-kill");
    let script = d.join("forever.rhai");
    std::fs::write(&script, FOREVER).unwrap();
    let out = d.join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ganbook"))
        .arg("run")
        .arg(&script)
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // SIGKILL once metrics.jsonl (written once a second) shows 300 steps
    let start = Instant::now();
    while std::fs::read_to_string(out.join("metrics.jsonl")).map_or(0, |t| t.lines().count()) < 300
    {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the run logs nothing"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let file = event_files(&out).remove(0);

    // and a copy cut in the middle of its last complete record, as a kill during that
    // record's write leaves a file
    let bytes = std::fs::read(&file).unwrap();
    let records = ganbook::tfevents::record::parse(&bytes, &file).unwrap();
    let complete = bytes.len() - records.truncated_bytes;
    let last_len = records.records.last().unwrap().len() + 16;
    let cut_file = d.join("cut.tfevents");
    std::fs::write(&cut_file, &bytes[..complete - last_len / 2]).unwrap();
    let cut =
        ganbook::tfevents::record::parse(&bytes[..complete - last_len / 2], &cut_file).unwrap();
    assert_eq!(cut.records.len(), records.records.len() - 1);
    assert!(cut.truncated_bytes > 0);

    let Some(python) = common::tensorboard_python() else {
        return;
    };
    let full = assert_contiguous(&read_back(&python, &file), &out, "killed run");
    let shorter = assert_contiguous(&read_back(&python, &cut_file), &out, "cut copy");
    // the cut record was a step's 8 scalars or an image
    assert!(
        full - shorter == 8 || full == shorter,
        "{full} vs {shorter}"
    );
}

#[test]
fn no_tensorboard_writes_no_events_file() {
    let src = "for step in 0..3 { log(step, #{x: step}); grid(zeros([1, 1, 4, 4]), \"s/step\"); }";
    let (o, _, out) = common::run_script("tb-off", src, &["--no-tensorboard"]);
    assert!(o.status.success(), "{}", common::text(&o.stderr));
    assert!(out.join("metrics.jsonl").exists() && out.join("s/step_000002.png").exists());
    assert_eq!(event_files(&out), Vec::<PathBuf>::new());
    let (o, _, out) = common::run_script("tb-on", src, &[]);
    assert!(o.status.success(), "{}", common::text(&o.stderr));
    assert_eq!(event_files(&out).len(), 1);
}

/// Saves a checkpoint at step 4; the first attempt fails at step 7 after logging it.
const RESUMABLE: &str = r#"
let G = sequential([linear(2, 2)]);
let start = resume(#{ G: G });
for step in start..10 {
    let attempt = if resuming() { 100.0 } else { 0.0 };
    log(step, #{ x: step + attempt });
    if step == 4 { save(#{ G: G, step: step }, "last"); }
    if step == 7 && !resuming() { throw "stopped on purpose"; }
}
"#;

#[test]
fn a_resumed_run_replaces_what_the_first_attempt_logged_after_its_checkpoint() {
    let d = common::temp_dir("tb-resume");
    let script = d.join("resumable.rhai");
    std::fs::write(&script, RESUMABLE).unwrap();
    let out = d.join("out");
    let (o, j) = common::run_file(&script, &out, &[]);
    assert!(!o.status.success());
    assert_eq!(j["status"], "error");
    let (o, j) = common::run_file(&script, &out, &["--resume"]);
    assert!(o.status.success(), "{}", common::text(&o.stderr));
    assert_eq!(j["resumed_from"], 4);
    let files = event_files(&out);
    assert_eq!(files.len(), 2, "{files:?}");
    let events = ganbook::tfevents::read_events(&files[1]).unwrap();
    assert_eq!(events[1].step, 5, "the restart");
    let Some(python) = common::tensorboard_python() else {
        return;
    };
    let merged = scalars(&read_back(&python, &out)["merged_scalars"]);
    let want: BTreeMap<(String, i64), u32> = (0..10)
        .map(|s| {
            let v = if s >= 5 { s as f32 + 100.0 } else { s as f32 };
            (("x".to_string(), s), v.to_bits())
        })
        .collect();
    assert_eq!(merged, want);
}
