//! `ganbook sweep --slurm`: one Slurm job array for the whole sweep. ganbook schedules
//! nothing itself: it writes `<sweep>/sweep.sbatch` (`#SBATCH --array=0-K%M`, one `case`
//! branch per point running `ganbook run ... --out <sweep>/<point> --set ...`), and submits it
//! with `sbatch --parsable`. Each task skips itself when its point's run.json says ok and adds
//! `--resume` when the point was cut short and has a checkpoint "last".

use super::record::SweepRecord;
use crate::error::Result;
use crate::{bail, err};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The script's file in the sweep folder.
pub const SCRIPT: &str = "sweep.sbatch";

/// Quotes `s` for bash (single quotes; a `'` inside becomes `'\''`).
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The text of the array script: `exe` the ganbook binary, `dir` the sweep folder (both
/// absolute), `jobs` how many tasks may run at once (None: as many as Slurm will), `opts` the `--slurm-opt` strings (each
/// split at white space into `#SBATCH` lines).
pub fn script_text(
    rec: &SweepRecord,
    dir: &Path,
    exe: &Path,
    jobs: Option<usize>,
    opts: &[String],
) -> String {
    let mut s = String::from("#!/bin/bash\n");
    let last = rec.points.len().saturating_sub(1);
    let _ = writeln!(s, "#SBATCH --job-name={}", rec.name);
    let limit = jobs.map(|m| format!("%{}", m.max(1))).unwrap_or_default();
    let _ = writeln!(s, "#SBATCH --array=0-{last}{limit}");
    let _ = writeln!(s, "#SBATCH --output={}/slurm-%A_%a.out", dir.display());
    for o in opts.iter().flat_map(|o| o.split_whitespace()) {
        let _ = writeln!(s, "#SBATCH {o}");
    }
    let _ = writeln!(
        s,
        "# written by ganbook sweep --slurm for {}",
        dir.display()
    );
    s.push_str("set -u\n");
    s.push_str("if [ -n \"${SLURM_CPUS_PER_TASK:-}\" ]; then export RAYON_NUM_THREADS=$SLURM_CPUS_PER_TASK; fi\n");
    s.push_str("case \"$SLURM_ARRAY_TASK_ID\" in\n");
    for (i, row) in rec.points.iter().enumerate() {
        let args: Vec<String> = rec
            .run_args(dir, row, false)
            .iter()
            .map(|a| quote(a))
            .collect();
        let out = dir.join(&row.name);
        let _ = writeln!(
            s,
            "  {i}) dir={}; cmd=({} {});;",
            quote(&out.display().to_string()),
            quote(&exe.display().to_string()),
            args.join(" ")
        );
    }
    s.push_str("  *) echo \"no point $SLURM_ARRAY_TASK_ID in this sweep\" >&2; exit 2;;\nesac\n");
    s.push_str(concat!(
        "status=$(grep -m1 -o '^  \"status\": \"[a-z]*\"' \"$dir/run.json\" 2>/dev/null | cut -d'\"' -f4)\n",
        "if [ \"$status\" = ok ]; then echo \"$dir: finished before, skipped\"; exit 0; fi\n",
        "if [ -f \"$dir/checkpoints/last/checkpoint.json\" ] && { [ -z \"$status\" ] || [ \"$status\" = interrupted ] || [ \"$status\" = crashed ]; }; then\n",
        "  cmd+=(--resume)\n",
        "fi\n",
        "exec \"${cmd[@]}\"\n",
    ));
    s
}

/// Writes the array script into the sweep folder; its path.
pub fn write(
    rec: &SweepRecord,
    dir: &Path,
    jobs: Option<usize>,
    opts: &[String],
) -> Result<PathBuf> {
    let exe = std::env::current_exe().map_err(|e| err!("cannot find the ganbook binary: {e}"))?;
    let path = dir.join(SCRIPT);
    crate::files::write_atomic(&path, script_text(rec, dir, &exe, jobs, opts).as_bytes())?;
    Ok(path)
}

/// Submits the array script with `sbatch --parsable`; the job id.
pub fn submit(script: &Path) -> Result<String> {
    let out = Command::new("sbatch")
        .arg("--parsable")
        .arg(script)
        .output()
        .map_err(|e| err!("cannot run sbatch (is Slurm installed here?): {e}"))?;
    if !out.status.success() {
        bail!(
            "sbatch {} failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let id = text.trim().split(';').next().unwrap_or("").to_string();
    if id.is_empty() {
        bail!("sbatch {} printed no job id", script.display());
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    #[test]
    fn quotes_survive_single_quotes() {
        assert_eq!(super::quote("a'b c"), r"'a'\''b c'");
    }
}
