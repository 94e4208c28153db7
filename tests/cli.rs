//! The command line end to end: run, check, run.json, errors, Ctrl-C, determinism.

mod common;

use common::{ganbook, run_json, temp_dir, text};
use std::process::Command;

#[test]
fn ring8_quick_run_writes_run_json() {
    let out = temp_dir("ring8");
    let o = ganbook(&[
        "run",
        "scripts/gan_ring8.rhai",
        "--set",
        "steps=200",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "stderr: {}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(stdout.contains("result modes = "), "{stdout}");
    let j = run_json(&out);
    assert_eq!(j["status"], "ok");
    assert_eq!(j["params"]["used"]["steps"], 200);
    assert_eq!(j["params"]["set"]["steps"], "200");
    assert_eq!(j["device"], "cpu");
    assert_eq!(j["script_sha256"].as_str().unwrap().len(), 64);
    let modes = j["results"]["modes"].as_i64().expect("modes recorded");
    assert!((0..=8).contains(&modes));
    let hq = j["results"]["high_quality"]
        .as_f64()
        .expect("high_quality recorded");
    assert!((0.0..=1.0).contains(&hq));
    assert!(
        j["results"]["plain_modes"].is_i64(),
        "the plain variant is measured too"
    );
    for f in [
        "plots/plain.gif",
        "plots/pacgan.gif",
        "plots/side_by_side.gif",
        "plots/modes_covered.png",
        "metrics.jsonl",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
}

#[test]
fn grid25_quick_run_measures_both_variants() {
    let out = temp_dir("grid25");
    let o = ganbook(&[
        "run",
        "scripts/gan_grid25.rhai",
        "--set",
        "steps=100",
        "--set",
        "every=50",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "stderr: {}", text(&o.stderr));
    let j = run_json(&out);
    for k in [
        "modes",
        "plain_modes",
        "fewest_modes_plain",
        "fewest_modes_pacgan",
    ] {
        let m = j["results"][k].as_i64().expect("modes recorded");
        assert!((0..=25).contains(&m), "{k} = {m}");
    }
    assert!(out.join("plain/step_000050.png").is_file() && out.join("plots/pacgan.gif").is_file());
}

#[test]
fn dcgan_webtoon_quick_run_writes_samples_and_plots() {
    let out = temp_dir("webtoon");
    let o = ganbook(&[
        "run",
        "scripts/dcgan_webtoon.rhai",
        "--set",
        "steps=3",
        "--set",
        "batch=8",
        "--set",
        "n_fid=50",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "stderr: {}", text(&o.stderr));
    let j = run_json(&out);
    assert_eq!(j["status"], "ok");
    assert!(j["results"]["g_loss"].as_f64().unwrap().is_finite());
    for f in [
        "real.png",
        "samples/step_000000.png",
        "samples/step_000002.png",
        "samples/final.png",
        "plots/losses.png",
        "plots/progress.gif",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
}

#[test]
fn same_seed_prints_identical_losses() {
    let script = temp_dir("seed").join("s.rhai");
    std::fs::write(
        &script,
        "seed(7);\nlet g = sequential([linear(2, 16), relu(), linear(16, 1), batch_norm(1)]);\n\
         let o = adam(g, #{lr: 0.01});\nfor i in 0..20 { let l = mse(g.forward(toy2d(\"grid25\", 32)), 1.0); o.step(l); print(l.item()); }",
    )
    .unwrap();
    let dir = script.with_file_name("out").to_str().unwrap().to_string();
    let a = ganbook(&["run", script.to_str().unwrap(), "--out", &dir]);
    let b = ganbook(&["run", script.to_str().unwrap(), "--out", &dir]);
    assert!(a.status.success(), "{}", text(&a.stderr));
    assert_eq!(text(&a.stdout).lines().count(), 20);
    assert_eq!(text(&a.stdout), text(&b.stdout));
}

#[test]
fn runtime_error_reports_line_and_status() {
    let dir = temp_dir("rterr");
    let script = dir.join("bad.rhai");
    std::fs::write(
        &script,
        "let x = randn([2, 3]);\nlet y = randn([3, 3]);\nlet z = x.matmul(y).matmul(x);\n",
    )
    .unwrap();
    let out = dir.join("out");
    let o = ganbook(&[
        "run",
        script.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("bad.rhai:3:"), "{err}");
    assert!(err.contains("matmul") && err.contains("[2, 3]"), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    let j = run_json(&out);
    assert_eq!(j["status"], "error");
    assert!(j["error"].as_str().unwrap().contains("matmul"));
    // the view: the error in a red box, the script named relative to its folder
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        html.contains("<pre class=\"error failed\">error: bad.rhai:3:"),
        "{html}"
    );
    assert!(!html.contains(dir.to_str().unwrap()), "{html}");
    assert!(html.contains("<span class=\"state error\">error</span>"));
    assert!(!html.contains("location.reload()"));
}

#[test]
fn check_reports_syntax_errors_with_position() {
    let dir = temp_dir("check");
    let script = dir.join("syntax.rhai");
    std::fs::write(&script, "let a = 1;\nlet b = (a + ;\n").unwrap();
    let o = ganbook(&["check", script.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("syntax.rhai:2:"),
        "{}",
        text(&o.stderr)
    );
    let o = ganbook(&["check", "scripts/gan_ring8.rhai"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
}

#[test]
fn missing_device_names_the_cargo_feature() {
    if cfg!(feature = "vulkan") {
        return;
    }
    let o = ganbook(&["run", "scripts/gan_ring8.rhai", "--device", "vulkan"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("--features vulkan"),
        "{}",
        text(&o.stderr)
    );
    let o = ganbook(&["run", "scripts/gan_ring8.rhai", "--device", "tpu"]);
    assert!(
        text(&o.stderr).contains("unknown device 'tpu'"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn bad_set_values_are_refused() {
    let dir = temp_dir("badset");
    let o = ganbook(&[
        "run",
        "scripts/gan_ring8.rhai",
        "--set",
        "steps=many",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("--set steps=many: expected a whole number"),
        "{}",
        text(&o.stderr)
    );
    // the error said it: no warning that steps was never read
    assert!(
        !text(&o.stderr).contains("never read"),
        "{}",
        text(&o.stderr)
    );
    let o = ganbook(&["run", "scripts/gan_ring8.rhai", "--set", "steps"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("expected name=value"),
        "{}",
        text(&o.stderr)
    );
}

/// Ctrl-C, and SIGTERM as Slurm's scancel or a preempting scheduler sends it, end the run at
/// the next operation: run.json says interrupted (so a sweep's re-run resumes it), exit 130.
#[test]
fn ctrl_c_and_sigterm_stop_the_run_as_interrupted() {
    for signal in ["INT", "TERM"] {
        let dir = temp_dir(&format!("sig{signal}"));
        let script = dir.join("forever.rhai");
        std::fs::write(
            &script,
            "print(\"started\");\nlet x = 0;\nloop { x += 1; let t = randn([8, 8]).sum(); }\n",
        )
        .unwrap();
        let out = dir.join("out");
        let mut child = Command::new(env!("CARGO_BIN_EXE_ganbook"))
            .args([
                "run",
                script.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let pid = child.id().to_string();
        Command::new("kill")
            .args([format!("-{signal}").as_str(), &pid])
            .status()
            .unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(130), "SIG{signal}");
        assert_eq!(run_json(&out)["status"], "interrupted", "SIG{signal}");
        let html = std::fs::read_to_string(out.join("index.html")).unwrap();
        assert!(
            html.contains("<span class=\"state stopped\">stopped</span>"),
            "{html}"
        );
        assert!(
            html.contains("<pre class=\"error interrupted\">interrupted at forever.rhai"),
            "{html}"
        );
        assert!(!html.contains("location.reload()"));
    }
}

/// `ganbook` with no arguments: the REPL, reading lines from a pipe.
fn repl() -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_ganbook"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn repl_keeps_variables_and_survives_errors_and_ctrl_c() {
    use std::io::Write;
    let mut child = repl();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"let a = 41;\nlet m = sequential([linear(2,\n  3)]);\nm.forward(randn([1, 5]))\nloop { let t = randn([4, 4]); }\na + 1\nfn twice(x) { x * 2 }\ntwice(a)\n")
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2000));
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    drop(stdin);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "stderr: {}", text(&o.stderr));
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert!(err.contains("expects input [N, 2], got [1, 5]"), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert!(
        out.contains("\n42\n")
            || out.contains(" 42\n")
            || out.lines().any(|l| l.trim_end().ends_with("42")),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l.trim_end().ends_with("82")),
        "functions persist: {out}"
    );
}

#[test]
fn repl_ends_on_sigterm() {
    use std::os::unix::process::ExitStatusExt;
    let mut child = repl();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the REPL waited on at its prompt after SIGTERM");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
}

#[test]
fn bench_runs_both_variants() {
    let o = ganbook(&["bench", "dcgan32", "--steps", "1", "--warmup", "0"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("bench dcgan32_step_rust median_ms="), "{out}");
    assert!(
        out.contains("bench dcgan32_step_script median_ms="),
        "{out}"
    );
    assert!(out.contains("script/rust ratio="), "{out}");
}

#[test]
fn bench_faces32_reports_images_per_second_per_style() {
    let o = ganbook(&["bench", "faces32", "--steps", "1", "--warmup", "0"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    for style in ["webtoon", "emoji", "photo"] {
        assert!(
            out.contains(&format!("bench faces32_{style} images_per_s=")),
            "{out}"
        );
    }
    assert!(!out.contains("dcgan32"), "only the named bench runs: {out}");
}

#[test]
fn cnn_gan_128_quick_run_prints_shapes_and_trains() {
    let out = temp_dir("cnn128");
    let o = ganbook(&[
        "run",
        "scripts/cnn_gan_128.rhai",
        "--set",
        "steps=1",
        "--set",
        "batch=2",
        "--set",
        "act=gelu",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "stderr: {}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(
        stdout.contains("[N, 3, 11, 11]") && stdout.contains("[N, 3, 128, 128]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("gelu()"),
        "the GELU variant is used: {stdout}"
    );
    assert_eq!(run_json(&out)["status"], "ok");
    assert!(out.join("samples/step_000000.png").is_file());
}

#[test]
fn steps_past_the_total_get_no_progress_bar() {
    // a pretraining loop logging more steps than param("steps") before the main loop
    let src = r#"
        let steps = param("steps", 3);
        for i in 0..12 { log(i, #{ f_loss: 1.0 / (i + 1) }); }
        for i in 0..steps { log(i, #{ loss: 0.5 }); }
    "#;
    let (o, j, _) = common::run_script("past_total", src, &[]);
    let out = common::text(&o.stdout);
    assert_eq!(j["status"], "ok", "{out}{}", common::text(&o.stderr));
    assert!(
        out.contains("3/3"),
        "the main loop's bar ends at 3/3:\n{out}"
    );
    for past in 4..=12 {
        assert!(
            !out.contains(&format!("{past}/3")),
            "a bar past the total ({past}/3):\n{out}"
        );
    }
}

#[test]
fn thread_counts_agree() {
    // ganbook's main thread is one of rayon's threads (crates/ganbook-core/src/threads.rs); with 1 thread there is
    // no other. A small convolutional GAN must train alike at 1, 2 and 3 threads (the batch of
    // 8 is cut into different runs of samples, so sums differ only in rounding).
    let script = temp_dir("threads").join("t.rhai");
    std::fs::write(&script, common::SMALL_CONV_GAN).unwrap();
    let dir = script.with_file_name("out").to_str().unwrap().to_string();
    let losses = |threads: &str| -> Vec<f64> {
        let out = Command::new(env!("CARGO_BIN_EXE_ganbook"))
            .args(["run", script.to_str().unwrap(), "--out", &dir])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{threads} threads: {}",
            text(&out.stderr)
        );
        text(&out.stdout)
            .lines()
            .map(|l| l.parse().unwrap())
            .collect()
    };
    let one = losses("1");
    assert_eq!(one.len(), 5);
    for threads in ["2", "3"] {
        let other = losses(threads);
        for (a, b) in one.iter().zip(&other) {
            assert!(
                (a - b).abs() < 1e-4 * a.abs().max(1.0),
                "{threads} threads: {one:?} vs {other:?}"
            );
        }
    }
}
