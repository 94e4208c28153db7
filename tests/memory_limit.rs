//! `--max-memory` on the command line: huge tensors are script errors, not aborts.

mod common;

use common::text;
use std::process::Output;

fn run(script: &str, name: &str, extra: &[&str]) -> Output {
    common::run_script(&format!("mem-{name}"), script, extra).0
}

#[test]
fn the_default_limit_refuses_a_huge_tensor() {
    let o = run("let x = randn([100000, 100000, 100]);", "default", &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("mem-default.rhai:1:9: randn:"), "{err}");
    assert!(err.contains("--max-memory"), "{err}");
}

#[test]
fn max_memory_sets_the_limit() {
    let script = "let x = zeros([1000, 1000]); result(\"n\", x.shape()[0]);";
    let o = run(script, "small", &["--max-memory", "1M"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("limit is 1.0 MiB"),
        "{}",
        text(&o.stderr)
    );
    let o = run(script, "enough", &["--max-memory", "8M"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = run(script, "bad", &["--max-memory", "lots"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("--max-memory lots"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn a_gzipped_idx_file_unpacking_past_the_limit_is_refused() {
    use std::io::Write;
    let d = common::temp_dir("mem-gzip");
    // a valid header for 4 Mi bytes of zeros: a few KiB packed
    let mut idx = vec![0u8, 0, 8, 1];
    idx.extend((4u32 << 20).to_be_bytes());
    idx.resize(idx.len() + (4 << 20), 0);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&idx).unwrap();
    let file = d.join("train-images-idx3-ubyte.gz");
    std::fs::write(&file, gz.finish().unwrap()).unwrap();
    std::fs::write(
        d.join("m.rhai"),
        "let d = mnist(\"train-images-idx3-ubyte.gz\");",
    )
    .unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_ganbook"))
        .args(["run", "m.rhai", "--out", "out", "--max-memory", "1M"])
        .current_dir(&d)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("train-images-idx3-ubyte.gz"),
        "names the file: {err}"
    );
    assert!(
        err.contains("unpacks to more than") && err.contains("--max-memory"),
        "{err}"
    );
}

#[test]
fn a_self_attention_map_past_the_limit_is_refused_before_it_is_made() {
    // [2, 8, 64, 64] is 256 KiB, its attention map [2, 4096, 4096] 128 MiB
    let script =
        "let a = sequential([self_attention(8)]);\nlet y = a.forward(randn([2, 8, 64, 64]));";
    let o = run(script, "attention", &["--max-memory", "100M"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("self_attention(8)") && err.contains("attention map [2, 4096, 4096]"),
        "{err}"
    );
    assert!(err.contains("limit is 100.0 MiB"), "{err}");
}
