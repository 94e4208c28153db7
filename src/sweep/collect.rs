//! `ganbook sweep --collect DIR`: from whatever has finished, `results.csv` (each point's
//! grid values, status, wall time and every `result(...)`), the same table on stdout, and the
//! plots of `plots.rs`. Each point's status is read afresh from its run.json (for a point with
//! none see [`without_record`]), and sweep.json's rows are brought up to date.

use super::record::{self, SweepRecord};
use crate::error::Result;
use std::path::Path;

/// One point as collected.
pub struct Collected {
    pub name: String,
    pub values: Vec<String>,
    pub status: String,
    pub wall_time_s: Option<f64>,
    pub results: serde_json::Map<String, serde_json::Value>,
}

/// Collects the sweep in `dir`: writes results.csv and the plots, prints the table; returns
/// the points.
pub fn collect(dir: &Path) -> Result<Vec<Collected>> {
    let mut rec = SweepRecord::load(dir)?;
    let mut points = Vec::new();
    for (k, row) in rec.points.iter_mut().enumerate() {
        let info = record::run_info(&dir.join(&row.name))?;
        let status = match &info {
            Some(i) => i.status.clone(),
            None => without_record(dir, &rec.slurm_jobs, k, row),
        };
        row.status.clone_from(&status);
        if let Some(i) = &info {
            row.wall_time_s = i.wall_time_s;
            row.error = i.error.clone();
        }
        points.push(Collected {
            name: row.name.clone(),
            values: row.values.clone(),
            status,
            wall_time_s: info.as_ref().and_then(|i| i.wall_time_s),
            results: info.map(|i| i.results).unwrap_or_default(),
        });
    }
    rec.save(dir)?;
    let table = table(&rec, &points);
    crate::files::write_atomic(&dir.join("results.csv"), csv(&table).as_bytes())?;
    print!("{}", aligned(&table));
    let plots = super::plots::draw(dir, &rec, &points)?;
    let failed: Vec<&str> = points
        .iter()
        .filter(|p| !matches!(p.status.as_str(), "ok" | "pending" | "running"))
        .map(|p| p.name.as_str())
        .collect();
    println!(
        "{} of {} points ok{}; wrote {} and {plots} plot(s) in {}",
        points.iter().filter(|p| p.status == "ok").count(),
        points.len(),
        if failed.is_empty() {
            String::new()
        } else {
            format!(" (failed: {})", failed.join(" "))
        },
        dir.join("results.csv").display(),
        dir.join("plots").display()
    );
    Ok(points)
}

/// The status of point `i`, which has no run.json: `cancelled` when the newest Slurm array's
/// output for it says so, `unfinished` when its run folder exists (running, or stopped before
/// it could write run.json), else what sweep.json says (`pending` when it never started).
fn without_record(dir: &Path, jobs: &[String], i: usize, row: &super::record::PointRow) -> String {
    let slurm_out = jobs
        .last()
        .and_then(|job| std::fs::read_to_string(dir.join(format!("slurm-{job}_{i}.out"))).ok());
    if slurm_out.is_some_and(|t| t.contains("CANCELLED")) {
        "cancelled".into()
    } else if dir.join(&row.name).exists() {
        "unfinished".into()
    } else if row.status == "running" {
        "pending".into()
    } else {
        row.status.clone()
    }
}

/// The names of every result any point recorded, in order of first appearance.
pub fn result_names(points: &[Collected]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for p in points {
        for k in p.results.keys() {
            if !names.contains(k) {
                names.push(k.clone());
            }
        }
    }
    names
}

/// Header and rows: point, the grid's params, status, wall_time_s, the results.
fn table(rec: &SweepRecord, points: &[Collected]) -> Vec<Vec<String>> {
    let results = result_names(points);
    let mut header = vec!["point".to_string()];
    header.extend(rec.grid.iter().map(|a| a.name.clone()));
    header.extend(["status".to_string(), "wall_time_s".to_string()]);
    header.extend(results.iter().cloned());
    let mut rows = vec![header];
    for p in points {
        let mut row = vec![p.name.clone()];
        row.extend(p.values.iter().cloned());
        row.push(p.status.clone());
        row.push(p.wall_time_s.map(|t| format!("{t:.1}")).unwrap_or_default());
        row.extend(results.iter().map(|r| match p.results.get(r) {
            None => String::new(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
        }));
        rows.push(row);
    }
    rows
}

/// CSV with quotes where a field holds a comma, quote or line break.
fn csv(table: &[Vec<String>]) -> String {
    let field = |f: &String| {
        if f.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", f.replace('"', "\"\""))
        } else {
            f.clone()
        }
    };
    table
        .iter()
        .map(|r| r.iter().map(field).collect::<Vec<_>>().join(",") + "\n")
        .collect()
}

/// The table in columns padded to their widest entry.
fn aligned(table: &[Vec<String>]) -> String {
    let cols = table.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            table
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    table
        .iter()
        .map(|r| {
            let line: Vec<String> = r
                .iter()
                .zip(&widths)
                .map(|(f, w)| format!("{f:<w$}"))
                .collect();
            line.join("  ").trim_end().to_string() + "\n"
        })
        .collect()
}
