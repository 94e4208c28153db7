//! The plots `--collect` draws in `<sweep>/plots/`: `result_<name>.png`, each numeric
//! `result` against the first grid param (one line per combination of the other params'
//! values), and `curve_<key>.png`, each logged key over the steps with one line per point.

use super::collect::{Collected, result_names};
use super::record::SweepRecord;
use crate::err;
use crate::error::Result;
use crate::viz::plot::{PlotOptions, lines};
use std::collections::BTreeMap;
use std::path::Path;

type Series = Vec<(String, Vec<(f64, f64)>)>;

/// Draws every plot; how many it wrote.
pub fn draw(dir: &Path, rec: &SweepRecord, points: &[Collected]) -> Result<usize> {
    let out = dir.join("plots");
    let mut n = 0;
    for name in result_names(points) {
        let (series, xlabel) = by_first_param(rec, points, &name);
        if series.iter().all(|(_, pts)| pts.is_empty()) {
            continue;
        }
        let opts = PlotOptions {
            title: format!("{name} by {}", rec.grid[0].name),
            xlabel,
            ylabel: name.clone(),
            markers: Some(true),
            ..Default::default()
        };
        save(
            &lines(&series, &opts)?,
            &out.join(format!("result_{}.png", file_part(&name))),
        )?;
        n += 1;
    }
    for (key, series) in curves(dir, points)? {
        let opts = PlotOptions {
            title: format!("{key}, every point"),
            xlabel: "step".into(),
            ylabel: key.clone(),
            ..Default::default()
        };
        save(
            &lines(&series, &opts)?,
            &out.join(format!("curve_{}.png", file_part(&key))),
        )?;
        n += 1;
    }
    Ok(n)
}

fn save(img: &image::RgbImage, path: &Path) -> Result<()> {
    crate::viz::save_png(img, path).map(|_| ())
}

/// A name as part of a file name (characters other than letters, digits, `-_.` become `_`).
fn file_part(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Result `name` of every point that has a numeric one: x the first param's value (its
/// position in the grid when the values are not all numbers; the x label then says which is
/// which), one series per combination of the other params. Also the x label.
fn by_first_param(rec: &SweepRecord, points: &[Collected], name: &str) -> (Series, String) {
    let first = &rec.grid[0];
    let numeric = first.values.iter().all(|v| v.parse::<f64>().is_ok());
    let xlabel = if numeric {
        first.name.clone()
    } else {
        let key: Vec<String> = first
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{i}={v}"))
            .collect();
        format!("{} ({})", first.name, key.join(", "))
    };
    let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for p in points {
        let Some(y) = p.results.get(name).and_then(|v| v.as_f64()) else {
            continue;
        };
        let x = if numeric {
            p.values[0].parse().unwrap_or(f64::NAN)
        } else {
            first
                .values
                .iter()
                .position(|v| *v == p.values[0])
                .unwrap_or(0) as f64
        };
        let label = rec.grid[1..]
            .iter()
            .zip(&p.values[1..])
            .map(|(a, v)| format!("{}={v}", a.name))
            .collect::<Vec<_>>()
            .join(",");
        let label = if label.is_empty() {
            name.to_string()
        } else {
            label
        };
        match series.iter_mut().find(|(l, _)| *l == label) {
            Some((_, pts)) => pts.push((x, y)),
            None => series.push((label, vec![(x, y)])),
        }
    }
    for (_, pts) in &mut series {
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    (series, xlabel)
}

/// Every logged key -> one (point name, (step, value)...) series per point that logged it,
/// read from the points' metrics.jsonl.
fn curves(dir: &Path, points: &[Collected]) -> Result<BTreeMap<String, Series>> {
    let mut out: BTreeMap<String, Series> = BTreeMap::new();
    for p in points {
        let path = dir.join(&p.name).join("metrics.jsonl");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let mut mine: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let row: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line)
                .map_err(|e| err!("{}:{}: damaged: {e}", path.display(), i + 1))?;
            let Some(step) = row.get("step").and_then(|s| s.as_f64()) else {
                continue;
            };
            for (k, v) in row.iter().filter(|(k, _)| *k != "step") {
                if let Some(v) = v.as_f64() {
                    mine.entry(k.clone()).or_default().push((step, v));
                }
            }
        }
        for (k, pts) in mine {
            out.entry(k).or_default().push((p.name.clone(), pts));
        }
    }
    Ok(out)
}
