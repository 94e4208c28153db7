//! Running a sweep's points on this machine, `--jobs N` at a time: each point is a child
//! `ganbook run SCRIPT --out <sweep>/<point> --set ...` (the running binary itself) whose
//! output goes to `<sweep>/logs/<point>.log`; the CPU's threads are split between the N.

use super::record::{self, PointRow, SweepRecord, Todo};
use crate::err;
use crate::error::Result;
use std::collections::VecDeque;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Instant;

/// Threads each of `jobs` concurrent points gets: the CPU count divided between them (at
/// least 1).
pub fn threads_per_job(jobs: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cores / jobs.max(1)).max(1)
}

/// Runs every point of `rec` that is not finished, `jobs` at a time, updating sweep.json as
/// each one starts and ends. A failed point is recorded and the others go on. Returns how
/// many points failed.
pub fn run(dir: &Path, rec: SweepRecord, jobs: usize) -> Result<usize> {
    let exe = std::env::current_exe().map_err(|e| err!("cannot find the ganbook binary: {e}"))?;
    let mut queue = VecDeque::new();
    for (i, row) in rec.points.iter().enumerate() {
        match record::todo(&dir.join(&row.name))? {
            Todo::Skip => println!("{}: finished before, skipped", row.name),
            todo => queue.push_back((i, todo == Todo::Resume)),
        }
    }
    let total = queue.len();
    let jobs = jobs.clamp(1, total.max(1));
    let threads = threads_per_job(jobs);
    println!(
        "sweep {}: {total} of {} points to run, {} at a time, {threads} thread(s) each",
        rec.name,
        rec.points.len(),
        jobs
    );
    std::fs::create_dir_all(dir.join("logs"))?;
    let shared = Mutex::new((rec, queue, 0usize, 0usize)); // record, queue, done, failed
    let worker = || -> Result<()> {
        loop {
            let (args, name, log) = {
                let mut s = shared.lock().unwrap_or_else(|p| p.into_inner());
                let Some((i, resume)) = s.1.pop_front() else {
                    return Ok(());
                };
                let row = &s.0.points[i];
                let args = s.0.run_args(dir, row, resume);
                let (name, log) = (
                    row.name.clone(),
                    dir.join("logs").join(format!("{}.log", row.name)),
                );
                s.0.points[i].status = "running".into();
                s.0.save(dir)?;
                (args, (i, name), log)
            };
            let started = Instant::now();
            let outcome = run_child(&exe, &args, &log, threads);
            let mut s = shared.lock().unwrap_or_else(|p| p.into_inner());
            let status = finish_row(&mut s.0.points[name.0], dir, outcome, started);
            s.2 += 1;
            if status != "ok" {
                s.3 += 1;
            }
            println!(
                "[{}/{total}] {}: {status} ({:.1} s){}",
                s.2,
                name.1,
                started.elapsed().as_secs_f64(),
                if status == "ok" {
                    String::new()
                } else {
                    format!(" — see {}", log.display())
                }
            );
            s.0.save(dir)?;
        }
    };
    let results: Vec<Result<()>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..jobs.max(1)).map(|_| scope.spawn(worker)).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(err!("a sweep worker panicked")))
            })
            .collect()
    });
    results.into_iter().collect::<Result<Vec<()>>>()?;
    let s = shared.into_inner().unwrap_or_else(|p| p.into_inner());
    Ok(s.3)
}

/// Runs one child with its output in `log`; its exit code (None: killed by a signal).
fn run_child(exe: &Path, args: &[String], log: &Path, threads: usize) -> Result<Option<i32>> {
    let file =
        std::fs::File::create(log).map_err(|e| err!("cannot write {}: {e}", log.display()))?;
    let status = Command::new(exe)
        .args(args)
        .env("RAYON_NUM_THREADS", threads.to_string())
        .env("GANBOOK_THREADS", threads.to_string())
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .status()
        .map_err(|e| err!("cannot start {}: {e}", exe.display()))?;
    Ok(status.code())
}

/// Fills in a finished point's row from its exit code and run.json; its status.
fn finish_row(
    row: &mut PointRow,
    dir: &Path,
    outcome: Result<Option<i32>>,
    started: Instant,
) -> String {
    row.wall_time_s = Some(started.elapsed().as_secs_f64());
    let code = match outcome {
        Ok(code) => code,
        Err(e) => {
            (row.status, row.exit_code, row.error) = ("error".into(), None, Some(e.to_string()));
            return row.status.clone();
        }
    };
    row.exit_code = code;
    row.status = status_of_exit(code).to_string();
    let info = record::run_info(&dir.join(&row.name)).ok().flatten();
    row.error = info.as_ref().and_then(|i| i.error.clone());
    if row.status == "ok" && info.as_ref().is_none_or(|i| i.status != "ok") {
        row.status = "error".into();
        row.error = Some("exited 0 but its run.json does not say ok".into());
    } else if row.status != "ok" && row.error.is_none() {
        row.error = Some(format!("exit code {code:?}: see logs/{}.log", row.name));
    }
    row.status.clone()
}

/// A point's status from `ganbook run`'s exit code (see `run::run`): 0 ok, 3 nan, 4 crashed,
/// 130 interrupted, any other error; no code (a signal) killed.
pub fn status_of_exit(code: Option<i32>) -> &'static str {
    match code {
        Some(0) => "ok",
        Some(3) => "nan",
        Some(4) => "crashed",
        Some(130) => "interrupted",
        Some(_) => "error",
        None => "killed",
    }
}
