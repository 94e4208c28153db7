//! The file sandbox of `ganbook run`: reads outside the script's folder, the working folder
//! and `--allow-read` folders are refused, as are writes outside the run folder and
//! `--allow-write` folders; `..` and symbolic links do not get around it.

mod common;

use common::{ganbook, text};
use std::path::{Path, PathBuf};
use std::process::Output;

fn temp_dir(name: &str) -> PathBuf {
    common::temp_dir(&format!("sandbox-{name}"))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Writes `script` to `dir/main.rhai` and runs it with run folder `dir/out` and `extra`.
fn run_script(dir: &Path, script: &str, extra: &[&str]) -> Output {
    let file = dir.join("main.rhai");
    std::fs::write(&file, script).unwrap();
    let out = dir.join("out");
    let mut args = vec!["run", s(&file), "--out", s(&out)];
    args.extend_from_slice(extra);
    ganbook(&args)
}

/// A folder outside the repository and the script's folder holding data.npy and lib.rhai.
fn outside_data(name: &str) -> PathBuf {
    let d = temp_dir(name);
    let maker = temp_dir(&format!("{name}-maker"));
    let o = run_script(&maker, "save_npy(ones([2, 3]), \"data.npy\");", &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    std::fs::copy(maker.join("out/data.npy"), d.join("data.npy")).unwrap();
    std::fs::write(d.join("lib.rhai"), "fn answer() { 42 }").unwrap();
    d
}

#[test]
fn reading_outside_is_refused_naming_the_flag() {
    let data = outside_data("read-out");
    let dir = temp_dir("read-script");
    let path = data.join("data.npy");
    let o = run_script(&dir, &format!("let t = npy(\"{}\");", s(&path)), &[]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("may not read"), "{err}");
    assert!(err.contains(s(&path)), "names the path: {err}");
    assert!(
        err.contains(&format!("--allow-read {}", s(&data))),
        "names the flag and folder: {err}"
    );
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/run.json")).unwrap()).unwrap();
    assert_eq!(j["status"], "error");
}

#[test]
fn allow_read_lets_it_through() {
    let data = outside_data("read-allowed");
    let dir = temp_dir("read-allowed-script");
    let script = format!(
        "let t = npy(\"{}\"); result(\"n\", t.shape()[1]);",
        s(&data.join("data.npy"))
    );
    let o = run_script(&dir, &script, &["--allow-read", s(&data)]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("n = 3"), "{}", text(&o.stdout));
}

#[test]
fn reading_beside_the_script_is_allowed() {
    let dir = temp_dir("beside");
    let maker = temp_dir("beside-maker");
    let o = run_script(&maker, "save_npy(ones([4]), \"d.npy\");", &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    std::fs::copy(maker.join("out/d.npy"), dir.join("d.npy")).unwrap();
    let script = format!(
        "result(\"n\", npy(\"{}\").shape()[0]);",
        s(&dir.join("d.npy"))
    );
    let o = run_script(&dir, &script, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
}

#[test]
fn a_symlink_in_the_script_folder_pointing_outside_is_refused() {
    let data = outside_data("link-target");
    let dir = temp_dir("link-script");
    std::os::unix::fs::symlink(data.join("data.npy"), dir.join("link.npy")).unwrap();
    std::os::unix::fs::symlink(&data, dir.join("linkdir")).unwrap();
    for p in [dir.join("link.npy"), dir.join("linkdir/data.npy")] {
        let o = run_script(&dir, &format!("let t = npy(\"{}\");", s(&p)), &[]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
        let err = text(&o.stderr);
        assert!(err.contains("may not read"), "{err}");
        assert!(
            err.contains("resolves to"),
            "shows where the link goes: {err}"
        );
        assert!(err.contains("--allow-read"), "{err}");
    }
}

#[test]
fn dot_dot_escapes_are_refused() {
    let data = outside_data("dotdot");
    let dir = temp_dir("dotdot-script");
    let name = data.file_name().unwrap().to_str().unwrap();
    // from the script folder up and over, and relative to the working folder
    let up = format!("{}/../{name}/data.npy", s(&dir));
    let rel = "../../../../../../../../etc/passwd";
    for p in [up.as_str(), rel] {
        let o = run_script(&dir, &format!("let t = npy(\"{p}\");"), &[]);
        assert_eq!(o.status.code(), Some(1), "{p}: {}", text(&o.stderr));
        let err = text(&o.stderr);
        assert!(
            err.contains("may not read") && err.contains("--allow-read"),
            "{err}"
        );
    }
    // a write that climbs out of the run folder
    let o = run_script(&dir, "save_npy(ones([2]), \"../escaped.npy\");", &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("--allow-write"),
        "{}",
        text(&o.stderr)
    );
    assert!(!dir.join("escaped.npy").exists());
}

#[test]
fn writing_outside_the_run_folder_is_refused_unless_allowed() {
    let dir = temp_dir("write-script");
    let target = temp_dir("write-target");
    let file = target.join("sub/x.npy");
    let script = format!("save_npy(ones([2]), \"{}\");", s(&file));
    let o = run_script(&dir, &script, &[]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("may not write"), "{err}");
    assert!(err.contains(s(&file)), "{err}");
    assert!(err.contains("--allow-write"), "{err}");
    assert!(!file.exists());

    let o = run_script(&dir, &script, &["--allow-write", s(&target)]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(file.exists());

    // save_torch too; a relative name lands in the run folder
    let o = run_script(
        &dir,
        &format!(
            "let m = sequential([linear(2, 2)]); save_torch(m, \"w.safetensors\"); save_torch(m, \"{}\");",
            s(&target.join("w.safetensors"))
        ),
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("may not write"),
        "{}",
        text(&o.stderr)
    );
    assert!(dir.join("out/w.safetensors").exists());
    assert!(!target.join("w.safetensors").exists());
}

#[test]
fn imports_from_outside_are_refused() {
    let data = outside_data("import");
    let dir = temp_dir("import-script");
    let script = format!(
        "import \"{}\" as lib; result(\"a\", lib::answer());",
        s(&data.join("lib"))
    );
    let o = run_script(&dir, &script, &[]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.contains("may not read") && err.contains("--allow-read"),
        "{err}"
    );
    let o = run_script(&dir, &script, &["--allow-read", s(&data)]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    // beside the script: allowed
    std::fs::write(dir.join("near.rhai"), "fn answer() { 7 }").unwrap();
    let o = run_script(
        &dir,
        "import \"near\" as n; result(\"a\", n::answer());",
        &[],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
}

#[test]
fn image_folder_and_mnist_are_checked() {
    let dir = temp_dir("folders-script");
    for call in ["image_folder(\"/etc\")", "mnist(\"/etc\")"] {
        let o = run_script(&dir, &format!("let d = {call};"), &[]);
        assert_eq!(o.status.code(), Some(1));
        let err = text(&o.stderr);
        assert!(err.contains("may not read /etc"), "{call}: {err}");
        assert!(err.contains("--allow-read /etc"), "{call}: {err}");
    }
}

#[test]
fn links_inside_an_allowed_image_or_mnist_folder_pointing_outside_are_refused() {
    let secret = temp_dir("folder-secret");
    image::RgbImage::new(4, 4)
        .save(secret.join("x.png"))
        .unwrap();
    let idx = [0u8, 0, 8, 1, 0, 0, 0, 1, 7];
    std::fs::write(secret.join("train-images-idx3-ubyte"), idx).unwrap();
    let dir = temp_dir("folder-links");
    let images = dir.join("images");
    std::fs::create_dir_all(&images).unwrap();
    image::RgbImage::new(4, 4)
        .save(images.join("ok.png"))
        .unwrap();
    std::os::unix::fs::symlink(secret.join("x.png"), images.join("link.png")).unwrap();
    let digits = dir.join("digits");
    std::fs::create_dir_all(&digits).unwrap();
    std::os::unix::fs::symlink(
        secret.join("train-images-idx3-ubyte"),
        digits.join("train-images-idx3-ubyte"),
    )
    .unwrap();
    for call in [
        "image_folder(\"images\", #{cache: false})",
        "mnist(\"digits\")",
    ] {
        std::fs::write(dir.join("main.rhai"), format!("let d = {call};")).unwrap();
        // run from the folder: it is the working folder and the script's, so both readable
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_ganbook"))
            .args(["run", "main.rhai", "--out", "out"])
            .current_dir(&dir)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{call}: {}", text(&o.stderr));
        let err = text(&o.stderr);
        assert!(err.contains("may not read"), "{call}: {err}");
        assert!(
            err.contains(s(&secret)),
            "{call}: names where it leads: {err}"
        );
        assert!(err.contains("--allow-read"), "{call}: {err}");
    }
}
