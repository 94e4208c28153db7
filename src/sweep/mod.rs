//! `ganbook sweep SCRIPT --grid NAME=VALUES...`: run a script at every point of a grid of
//! `--set` values, each point a `ganbook run` of its own into `<sweep>/<point>/`, locally
//! (`--jobs N` at a time) or as one Slurm job array (`--slurm`); `--collect DIR` gathers what
//! has finished into results.csv and plots. The sweep folder is `outputs/sweeps/<name>/`
//! (default name: the script's stem and a short hash of the grid) and holds sweep.json.
//!
//! Every grid value is passed as `--set NAME=VALUE`, `seed` too: the scripts read their seed
//! with `seed(param("seed", 1))`, so `--grid seed=1..4` sets that param (ganbook run's
//! `--seed` flag, which seeds the generators before the script starts, is not used).

pub mod collect;
pub mod grid;
pub mod local;
pub mod plots;
pub mod record;
pub mod slurm;

use crate::bail;
use crate::error::Result;
use record::{PointRow, SweepRecord};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// What `ganbook sweep` was told.
#[derive(Clone, Debug, Default)]
pub struct SweepOptions {
    pub script: PathBuf,
    /// The `--grid NAME=VALUES` arguments.
    pub grid: Vec<String>,
    /// `--set NAME=VALUE` for every point.
    pub sets: Vec<String>,
    pub device: String,
    /// Points run at once (locally; default 1), or the array's `%M` (Slurm; default: no
    /// limit).
    pub jobs: Option<usize>,
    pub name: Option<String>,
    pub slurm: bool,
    pub slurm_opts: Vec<String>,
    /// `--slurm --dry-run`: write the array script, submit nothing.
    pub dry_run: bool,
}

/// Runs `ganbook sweep`. Exit code 0 when every point is ok, 1 when one failed, 2 when the
/// sweep could not be set up.
pub fn sweep(opts: &SweepOptions) -> i32 {
    match sweep_inner(opts) {
        Ok(failed) => i32::from(failed > 0),
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

/// Runs `ganbook sweep --collect DIR`: 0, or 2 when the folder is no sweep.
pub fn collect_command(dir: &Path) -> i32 {
    match collect::collect(dir) {
        Ok(_) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

fn sweep_inner(opts: &SweepOptions) -> Result<usize> {
    let (dir, rec) = prepare(opts)?;
    if opts.slurm {
        let path = slurm::write(&rec, &dir, opts.jobs, &opts.slurm_opts)?;
        if opts.dry_run {
            println!("{}", path.display());
            return Ok(0);
        }
        let id = slurm::submit(&path)?;
        let mut rec = rec;
        rec.slurm_jobs.push(id.clone());
        rec.save(&dir)?;
        println!(
            "submitted job array {id} ({} points); collect with: ganbook sweep --collect {}",
            rec.points.len(),
            dir.display()
        );
        return Ok(0);
    }
    let failed = local::run(&dir, rec, opts.jobs.unwrap_or(1))?;
    collect::collect(&dir)?;
    Ok(failed)
}

/// The sweep's folder and record: a new sweep.json, or the one already there (whose grid must
/// be the same) with its rows kept.
pub fn prepare(opts: &SweepOptions) -> Result<(PathBuf, SweepRecord)> {
    let source = std::fs::read(&opts.script)
        .map_err(|e| crate::err!("cannot read {}: {e}", opts.script.display()))?;
    let script = std::fs::canonicalize(&opts.script)?;
    let axes = grid::parse(&opts.grid)?;
    for s in &opts.sets {
        let Some((name, _)) = s.split_once('=') else {
            bail!("--set {s}: expected NAME=VALUE");
        };
        if axes.iter().any(|a| a.name == name.trim()) {
            bail!("--set {s}: '{name}' is also a --grid axis");
        }
    }
    let points = grid::points(&axes);
    let names = grid::point_names(&points);
    let identity = serde_json::to_string(&(&axes, &opts.sets)).unwrap_or_default();
    let name = match &opts.name {
        Some(n) if n.is_empty() || n.contains(['/', '\\']) || n.starts_with('.') => {
            bail!("--name {n}: must be a plain folder name")
        }
        Some(n) => n.clone(),
        None => format!(
            "{}-{}",
            opts.script
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy(),
            &hex(&Sha256::digest(identity.as_bytes()))[..8]
        ),
    };
    let dir = std::path::absolute(Path::new("outputs").join("sweeps").join(&name))?;
    std::fs::create_dir_all(&dir)?;
    let sha = hex(&Sha256::digest(&source));
    if dir.join(record::FILE).exists() {
        let mut old = SweepRecord::load(&dir)?;
        if old.grid != axes || old.fixed != opts.sets {
            bail!(
                "{} is a sweep of another grid or --set values; give this one another --name",
                dir.display()
            );
        }
        if old.script_sha256 != sha {
            println!(
                "note: {} changed since this sweep began; finished points are kept (delete a point's folder to run it again)",
                opts.script.display()
            );
            old.script_sha256 = sha;
        }
        old.script = script.display().to_string();
        old.device.clone_from(&opts.device);
        old.save(&dir)?;
        return Ok((dir, old));
    }
    let rec = SweepRecord {
        name,
        script: script.display().to_string(),
        script_sha256: sha,
        grid: axes,
        fixed: opts.sets.clone(),
        device: opts.device.clone(),
        created: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        points: points
            .into_iter()
            .zip(names)
            .map(|(p, name)| PointRow {
                name,
                values: p.into_iter().map(|(_, v)| v).collect(),
                status: "pending".into(),
                exit_code: None,
                wall_time_s: None,
                error: None,
            })
            .collect(),
        slurm_jobs: Vec::new(),
    };
    rec.save(&dir)?;
    Ok((dir, rec))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
