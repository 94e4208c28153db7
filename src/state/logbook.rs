//! The run's log: one row per `log(step, #{...})` call, kept in memory and written to
//! metrics.jsonl and metrics.csv (atomically, at most once a second and when the run ends),
//! and a status line in the terminal.

use crate::bail;
use crate::error::Result;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One `log` call: the step and its named values, in the order the script gave them.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub step: i64,
    pub values: Vec<(String, f64)>,
}

#[derive(Default)]
pub struct Logbook {
    pub rows: Vec<Row>,
    /// Column names in order of first appearance.
    pub keys: Vec<String>,
    out_dir: PathBuf,
    /// When the files were last written and the status line last printed.
    last_write: Option<Instant>,
    last_print: Option<Instant>,
    dirty: bool,
    started: Option<Instant>,
    first_step: i64,
    /// Total steps, for the progress bar and ETA (the script's `param("steps", n)`).
    pub total: Option<i64>,
    /// Whether the status line is printed at all (off in tests and the REPL's quiet mode).
    pub quiet: bool,
    /// Rewrite the status line in place (`\r`) even when stdout is not a terminal: a Jupyter
    /// cell's output renders `\r` as a terminal does (the kernel sets it).
    pub in_place: bool,
    /// Length of the open status line (0: none is open), to blank what a shorter one leaves.
    last_len: usize,
    /// How many rows the status line has shown, so its end can show the newest.
    shown_rows: usize,
}

impl Logbook {
    pub fn new(out_dir: &Path) -> Logbook {
        Logbook {
            out_dir: out_dir.to_path_buf(),
            ..Default::default()
        }
    }

    /// Adds a row, writes the files if a second has passed, and updates the status line.
    pub fn record(&mut self, row: Row) -> Result<()> {
        for (k, _) in &row.values {
            if !self.keys.contains(k) {
                self.keys.push(k.clone());
            }
        }
        let now = Instant::now();
        // a step below the last one starts another loop (say, training after pretraining):
        // steps/s and ETA count from there
        let new_loop = self.rows.last().is_some_and(|r| row.step < r.step);
        if self.started.is_none() || new_loop {
            self.started = Some(now);
            self.first_step = row.step;
        }
        self.rows.push(row);
        self.dirty = true;
        if self
            .last_write
            .is_none_or(|t| now - t >= Duration::from_secs(1))
        {
            self.flush()?;
        }
        if !self.quiet {
            self.status(now);
        }
        Ok(())
    }

    /// Puts back rows and keys saved earlier (a notebook snapshot); the files follow.
    pub fn restore_rows(&mut self, rows: Vec<Row>, keys: Vec<String>) {
        self.rows = rows;
        self.keys = keys;
        self.dirty = true;
    }

    /// Writes metrics.jsonl and metrics.csv now if anything changed.
    pub fn flush(&mut self) -> Result<()> {
        if !self.dirty {
            return Ok(());
        }
        std::fs::create_dir_all(&self.out_dir).map_err(|e| {
            crate::err!(
                "cannot create the run folder {}: {e}",
                self.out_dir.display()
            )
        })?;
        // streamed, not built as one string: a long run's flush stays small in memory
        crate::files::write_atomic_with(&self.out_dir.join("metrics.jsonl"), |w| {
            self.write_jsonl(w)
        })?;
        crate::files::write_atomic_with(&self.out_dir.join("metrics.csv"), |w| self.write_csv(w))?;
        self.last_write = Some(Instant::now());
        self.dirty = false;
        crate::memory_limit::release_free_memory();
        Ok(())
    }

    pub fn jsonl(&self) -> String {
        let mut out = Vec::new();
        self.write_jsonl(&mut out).expect("writing to memory");
        String::from_utf8(out).expect("JSON is UTF-8")
    }

    /// One JSON object per row and line.
    pub fn write_jsonl(&self, w: &mut dyn Write) -> std::io::Result<()> {
        for r in &self.rows {
            let mut m = serde_json::Map::new();
            m.insert("step".into(), r.step.into());
            for (k, v) in &r.values {
                m.insert(k.clone(), json_number(*v));
            }
            serde_json::to_writer(&mut *w, &m)?;
            w.write_all(b"\n")?;
        }
        Ok(())
    }

    pub fn csv(&self) -> String {
        let mut out = Vec::new();
        self.write_csv(&mut out).expect("writing to memory");
        String::from_utf8(out).expect("CSV of UTF-8 names is UTF-8")
    }

    /// A header of `step` and every key, then one line per row (empty where a row lacks a
    /// key or its value is not finite).
    pub fn write_csv(&self, w: &mut dyn Write) -> std::io::Result<()> {
        let mut line = String::from("step");
        for k in &self.keys {
            line.push(',');
            line += &csv_field(k);
        }
        writeln!(w, "{line}")?;
        for r in &self.rows {
            line.clear();
            line += &r.step.to_string();
            for k in &self.keys {
                line.push(',');
                if let Some((_, v)) = r.values.iter().find(|(n, _)| n == k)
                    && v.is_finite()
                {
                    line += &v.to_string();
                }
            }
            writeln!(w, "{line}")?;
        }
        Ok(())
    }

    /// The (step, value) points of one key, in log order.
    pub fn series(&self, key: &str) -> Result<Vec<(f64, f64)>> {
        let pts: Vec<(f64, f64)> = self
            .rows
            .iter()
            .filter_map(|r| {
                r.values
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| (r.step as f64, *v))
            })
            .collect();
        if pts.is_empty() {
            let known = if self.keys.is_empty() {
                "nothing has been logged yet".to_string()
            } else {
                format!("logged keys: {}", self.keys.join(", "))
            };
            bail!("no values logged under '{key}' ({known})");
        }
        Ok(pts)
    }

    /// The status line: a progress bar when the total is known, steps/s, ETA and the latest
    /// values; `\r`-rewritten on a terminal, plain lines (at most one every 2 s) otherwise.
    fn status(&mut self, now: Instant) {
        let tty = self.in_place || std::io::stdout().is_terminal();
        let every = if tty { 0.1 } else { 2.0 };
        let last = self.rows.last().cloned().unwrap_or(Row {
            step: 0,
            values: vec![],
        });
        let is_end = self.total.is_some_and(|t| last.step + 1 == t);
        if self
            .last_print
            .is_some_and(|t| (now - t).as_secs_f64() < every && !is_end)
        {
            return;
        }
        self.last_print = Some(now);
        let elapsed = self.started.map_or(0.0, |s| (now - s).as_secs_f64());
        let done = (last.step - self.first_step) as f64;
        let rate = if elapsed > 0.0 { done / elapsed } else { 0.0 };
        let mut line = String::new();
        // a step past the total (say, a pretraining loop logged before the main one) has no bar
        if let Some(total) = self.total.filter(|&t| t > 0 && last.step < t) {
            let frac = ((last.step + 1) as f64 / total as f64).clamp(0.0, 1.0);
            let filled = (frac * 20.0).round() as usize;
            line += &format!(
                "[{}{}] {}/{total} ",
                "#".repeat(filled),
                "-".repeat(20 - filled),
                last.step + 1
            );
            if rate > 0.0 {
                let eta = (total - last.step - 1).max(0) as f64 / rate;
                line += &format!("{rate:.1} steps/s ETA {} ", clock(eta));
            }
        } else {
            line += &format!("step {} ", last.step);
            if rate > 0.0 {
                line += &format!("{rate:.1} steps/s ");
            }
        }
        for (k, v) in &last.values {
            line += &format!(" {k} {}", short(*v));
        }
        self.shown_rows = self.rows.len();
        let mut out = std::io::stdout().lock();
        if self.in_place {
            // no ANSI erase (a notebook would show it): pad over the longer line before
            let pad = self.last_len.saturating_sub(line.chars().count());
            self.last_len = line.chars().count();
            let _ = write!(out, "\r{line}{}", " ".repeat(pad));
            if is_end {
                let _ = writeln!(out);
                self.last_len = 0;
            }
        } else if tty {
            let _ = write!(out, "\r\x1b[2K{line}");
            self.last_len = line.chars().count();
            if is_end {
                let _ = writeln!(out);
                self.last_len = 0;
            }
        } else {
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
    }

    /// Ends an open status line with a newline, so that what is printed next starts a line
    /// of its own (the status line then continues below it).
    pub fn break_status_line(&mut self) {
        if self.last_len > 0 {
            println!();
            self.last_len = 0;
        }
    }

    /// Ends the status line showing the newest row (the throttle may have skipped it): at the
    /// end of a run or of a notebook cell.
    pub fn end_status_line(&mut self) {
        let tty = self.in_place || std::io::stdout().is_terminal();
        if !self.quiet && tty && self.rows.len() > self.shown_rows {
            self.last_print = None;
            self.status(Instant::now());
        }
        self.break_status_line();
    }

    /// Ends the status line and writes the files.
    pub fn finish(&mut self) -> Result<()> {
        self.end_status_line();
        self.flush()
    }
}

fn json_number(v: f64) -> serde_json::Value {
    serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, Into::into)
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn short(v: f64) -> String {
    if v != 0.0 && (v.abs() >= 1e4 || v.abs() < 1e-3) {
        format!("{v:.3e}")
    } else {
        format!("{v:.4}")
    }
}

fn clock(secs: f64) -> String {
    let s = secs.round() as u64;
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, s % 3600 / 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// `out_dir/name.ext`, with the step appended when the name's last part is `step` and a
/// name without a folder put into `default_dir`. Names may not leave the run folder.
pub fn output_path(
    out_dir: &Path,
    name: &str,
    default_dir: &str,
    ext: &str,
    step: Option<i64>,
) -> Result<PathBuf> {
    if name.is_empty() || name.ends_with('/') {
        bail!("'{name}' is not a file name: give a name like \"samples/step\" or \"losses\"");
    }
    let rel = Path::new(name);
    if rel.is_absolute()
        || rel
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        bail!("'{name}': output names are relative to the run folder and stay inside it");
    }
    let mut rel = if rel.parent().is_none_or(|p| p.as_os_str().is_empty()) {
        Path::new(default_dir).join(rel)
    } else {
        rel.to_path_buf()
    };
    let mut file = rel
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_default();
    if let Some(stripped) = file.strip_suffix(&format!(".{ext}")) {
        file = stripped.to_string();
    }
    if file == "step" {
        file = format!("step_{:06}", step.unwrap_or(0));
    }
    rel.set_file_name(format!("{file}.{ext}"));
    Ok(out_dir.join(rel))
}

/// Peak resident memory of this process in bytes (VmHWM), where the system says.
pub fn peak_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
