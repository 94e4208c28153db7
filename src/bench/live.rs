//! `ganbook bench live`: what `run --live` costs a run. Each script runs as a notebook four
//! ways, alternating, in child processes: `run --watch` (the same runner without a page),
//! `run --live` with no page open, with one page watching (an event-stream client reading
//! every snapshot) and with 50. The figure is the training cells' time (their "ok in X s"
//! lines). Scripts: gan_ring8 (a script that draws for the page: toy.rhai's live frames) and
//! DCGAN 32 (one that does nothing with the page).

use super::{Settings, median, report};
use crate::err;
use crate::error::Result;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

const DCGAN32: &str = include_str!("../../benches/dcgan32.rhai");

#[derive(Clone, Copy, PartialEq)]
enum Way {
    Watch,
    LiveAlone,
    /// `run --live` with this many pages watching.
    LiveWatched(usize),
}

/// The cells' seconds of one notebook run of `script`, the `way` asked.
fn one_run(script: &std::path::Path, sets: &[&str], way: Way) -> Result<f64> {
    let exe = std::env::current_exe().map_err(|e| err!("cannot find ganbook itself: {e}"))?;
    let out = std::env::temp_dir().join(format!("ganbook-bench-live-{}", std::process::id()));
    let mut cmd = Command::new(exe);
    cmd.arg("run")
        .arg(if way == Way::Watch {
            "--watch"
        } else {
            "--live"
        })
        .arg(script)
        .arg("--out")
        .arg(&out)
        .arg("--no-tensorboard");
    for s in sets {
        cmd.args(["--set", s]);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| err!("cannot start ganbook: {e}"))?;
    let stdout = child.stdout.take().ok_or_else(|| err!("no stdout"))?;
    let mut seconds = 0.0;
    for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
        if let (Some(url), Way::LiveWatched(pages)) = (line.strip_prefix("live page: http://"), way)
        {
            for _ in 0..pages {
                watch_page(url.to_string());
            }
        }
        if let Some(rest) = line.split(": ok in ").nth(1) {
            seconds += rest.trim_end_matches(" s").parse::<f64>().unwrap_or(0.0);
        }
        if line.starts_with("%% done") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&out);
    Ok(seconds)
}

/// One page's event stream, read to its end on a thread of its own.
fn watch_page(url: String) {
    std::thread::spawn(move || {
        let Some((addr, token)) = url.split_once("/?token=") else {
            return;
        };
        let Ok(mut s) = std::net::TcpStream::connect(addr) else {
            return;
        };
        let _ = write!(
            s,
            "GET /events?token={token} HTTP/1.1\r\nHost: {addr}\r\n\r\n"
        );
        let mut buf = [0u8; 65536];
        while let Ok(n) = s.read(&mut buf) {
            if n == 0 {
                break;
            }
        }
    });
}

fn compare(name: &str, script: &std::path::Path, sets: &[&str], rounds: usize) -> Result<()> {
    let ways = [
        Way::Watch,
        Way::LiveAlone,
        Way::LiveWatched(1),
        Way::LiveWatched(50),
    ];
    let mut times: [Vec<f64>; 4] = Default::default();
    for r in 0..rounds {
        for k in 0..ways.len() {
            let k = (k + r) % ways.len(); // rotate the order so drift hits every way alike
            times[k].push(one_run(script, sets, ways[k])? * 1e3);
        }
    }
    if times[0].iter().any(|t| *t <= 0.0) {
        return Err(err!("bench live: {name} ran no cell to the end"));
    }
    let watch = report(&format!("live_{name}_watch"), &mut times[0], "");
    for (k, label) in [
        (1, "live_no_page"),
        (2, "live_one_page"),
        (3, "live_50_pages"),
    ] {
        let extra = format!(" ratio_vs_watch={:.3}", median(&mut times[k]) / watch);
        report(&format!("live_{name}_{label}"), &mut times[k], &extra);
    }
    Ok(())
}

pub fn run(s: &Settings) -> Result<()> {
    let rounds = s.steps.clamp(1, 20);
    compare(
        "gan_ring8",
        std::path::Path::new("scripts/gan_ring8.rhai"),
        &["steps=3000"],
        rounds,
    )?;
    let (setup, step) = DCGAN32
        .split_once("\n// %% step\n")
        .ok_or_else(|| err!("benches/dcgan32.rhai has no // %% step"))?;
    let script =
        std::env::temp_dir().join(format!("ganbook-bench-live-{}.rhai", std::process::id()));
    std::fs::write(
        &script,
        format!("{setup}\n// %% train\nfor i in 0..param(\"steps\", 60) {{\n{step}\n}}\n"),
    )
    .map_err(|e| err!("cannot write {}: {e}", script.display()))?;
    let result = compare("dcgan32", &script, &["steps=60"], rounds);
    let _ = std::fs::remove_file(&script);
    result
}
