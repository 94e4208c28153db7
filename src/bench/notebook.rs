//! `ganbook bench notebook`: save-to-start latency of the last cell under `run --watch`.
//! A three-cell script whose first two cells train a small GAN-sized MLP for 10 s each is
//! watched by a child `ganbook run --watch`; the bench edits only the last cell and times
//! from the write to the child's `%% cell 3 ...: running` line (debounce, reading the file,
//! restoring the snapshot after cell 2 included).

use crate::err;
use crate::error::Result;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

fn script(cell_secs: f64, k: usize) -> String {
    let slow = |opt: &str| {
        format!(
            "let t = timestamp();\nwhile t.elapsed < {cell_secs:.3} {{\n    {opt}.step(mse(G.forward(randn([256, 64])), 1.0));\n}}\n"
        )
    };
    format!(
        "// %% models, first training\nlet G = sequential([linear(64, 256), relu(), linear(256, 256), relu(), linear(256, 64)]);\n\
         let opt_a = adam(G, #{{lr: 1e-3}});\nlet opt_b = adam(G, #{{lr: 1e-4}});\n{}\
         // %% second training\n{}// %% report\nprint(`edit {k}: ${{G.params()}}`);\n",
        slow("opt_a"),
        slow("opt_b")
    )
}

fn next(rx: &Receiver<(Instant, String)>, prefix: &str) -> Result<(Instant, String)> {
    loop {
        let (t, l) = rx
            .recv_timeout(Duration::from_secs(600))
            .map_err(|_| err!("bench notebook: no '{prefix}' line from the watcher"))?;
        if l.starts_with(prefix) {
            return Ok((t, l));
        }
    }
}

/// Milliseconds from each save of the last cell to its start, and the watcher's summaries.
pub fn measure(exe: &Path, cell_secs: f64, reps: usize) -> Result<(Vec<f64>, Vec<String>)> {
    let dir = std::env::temp_dir().join(format!("ganbook-bench-notebook-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("three_cells.rhai");
    std::fs::write(&path, script(cell_secs, 0))?;
    let mut child = Command::new(exe)
        .args(["run", "--watch"])
        .arg(&path)
        .arg("--out")
        .arg(dir.join("out"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| err!("cannot start {}: {e}", exe.display()))?;
    let stdout = child.stdout.take().ok_or_else(|| err!("no stdout"))?;
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
            let _ = tx.send((Instant::now(), line));
        }
    });
    let result = (|| {
        let mut times = Vec::new();
        let mut summaries = vec![next(&rx, "%% done")?.1];
        for k in 1..=reps {
            std::fs::write(&path, script(cell_secs, k))?;
            let saved = Instant::now();
            let (t, _) = next(&rx, "%% cell 3")?;
            times.push((t - saved).as_secs_f64() * 1e3);
            summaries.push(next(&rx, "%% done")?.1);
        }
        Ok((times, summaries))
    })();
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

pub fn run(settings: &super::Settings) -> Result<()> {
    let exe = std::env::current_exe()?;
    let (mut times, summaries) = measure(&exe, 10.0, settings.steps.clamp(1, 20))?;
    let last = summaries.last().cloned().unwrap_or_default();
    super::report(
        "notebook_last_cell_start",
        &mut times,
        &format!(" cells_1_2_s=20 last=\"{last}\""),
    );
    Ok(())
}
