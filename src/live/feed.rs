//! What the live page is sent: a snapshot of the run (step, cells, controls, the newest image
//! of each series, new log rows) taken every [`TICK`] by one thread, or at once when a
//! control changes; each watcher's stream waits for the next one. Watchers only read, so
//! however many there are, the run pays for one snapshot per tick.

use crate::state::RunState;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

pub const TICK: Duration = Duration::from_millis(250);
/// The snapshot period while no page watches.
pub const IDLE_TICK: Duration = Duration::from_secs(1);

/// The latest snapshot. `rows` are the log rows as JSON, `generation` changes when the log
/// went back (a reset to an earlier cell), so streams start their rows over.
#[derive(Default)]
pub struct Snapshot {
    pub seq: u64,
    pub common: Value,
    pub keys: Vec<String>,
    pub rows: Vec<Value>,
    pub generation: u64,
}

#[derive(Default)]
pub struct Feed {
    snapshot: Mutex<Snapshot>,
    fresh: Condvar,
    /// The notebook view's cells and state, as the front end last wrote them.
    pub cells: Mutex<Value>,
    /// Ask for a snapshot now (a control changed).
    poke: AtomicBool,
    stop: AtomicBool,
}

impl Feed {
    pub fn snapshot(&self) -> MutexGuard<'_, Snapshot> {
        self.snapshot.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits up to `timeout` for a snapshot newer than `seq`; returns the newest seq.
    pub fn wait_newer(&self, seq: u64, timeout: Duration) -> u64 {
        let s = self.snapshot();
        let (s, _) = self
            .fresh
            .wait_timeout_while(s, timeout, |s| s.seq <= seq)
            .unwrap_or_else(|p| p.into_inner());
        s.seq
    }

    pub fn poke(&self) {
        self.poke.store(true, Ordering::Relaxed);
    }

    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Takes snapshots of `ctx` until [`Feed::stop`].
    pub fn run(self: Arc<Feed>, ctx: Arc<RunState>) {
        let mut rows_seen = 0usize;
        let mut last_row: Option<Value> = None;
        while !self.stop.load(Ordering::Relaxed) {
            // from the last row sent on: the log went back (restored for a re-run) when it
            // shrank or that row changed
            let from = rows_seen.saturating_sub(1);
            let (rows, total) = ctx.log_rows_from(from);
            let went_back =
                total < rows_seen || (rows_seen > 0 && rows.first().map(row_json) != last_row);
            let rows = if went_back {
                ctx.log_rows_from(0).0
            } else {
                rows.into_iter().skip(rows_seen - from).collect()
            };
            let keys = ctx.with_log(|l| l.keys.clone());
            let common = json!({
                "step": ctx.step(),
                "controls": ctx.controls().to_json(),
                "images": newest_images(ctx.out_dir()),
                "view": self.cells.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            });
            {
                let mut s = self.snapshot();
                if went_back {
                    s.rows.clear();
                    s.generation += 1;
                }
                s.rows.extend(rows.iter().map(row_json));
                s.keys = keys;
                s.common = common;
                s.seq += 1;
                rows_seen = s.rows.len();
                last_row = s.rows.last().cloned();
            }
            self.fresh.notify_all();
            // with no page open, a snapshot a second is enough (for /state)
            let tick = if ctx.controls().watchers() == 0 {
                IDLE_TICK
            } else {
                TICK
            };
            let mut waited = Duration::ZERO;
            while waited < tick && !self.poke.swap(false, Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(10));
                waited += Duration::from_millis(10);
            }
        }
    }
}

fn row_json(r: &crate::state::logbook::Row) -> Value {
    let values: serde_json::Map<String, Value> = r
        .values
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    json!([r.step, values])
}

/// The series an image belongs to: its path without a trailing `_NNNN` frame number
/// ("plain/step_000500.png" -> "plain/step").
fn series(path: &Path) -> String {
    let s = path.with_extension("").to_string_lossy().replace('\\', "/");
    match s.rsplit_once('_') {
        Some((head, tail)) if !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) => {
            head.to_string()
        }
        _ => s,
    }
}

/// The newest PNG or GIF of each series in the run folder, with a version (its mtime in ms)
/// so the page reloads it when it changes.
pub fn newest_images(dir: &Path) -> Value {
    let mut newest: BTreeMap<String, (SystemTime, PathBuf)> = BTreeMap::new();
    for (path, time) in crate::notebook::html::images(dir) {
        let entry = newest.entry(series(&path)).or_insert((time, path.clone()));
        if (time, &path) > (entry.0, &entry.1) {
            *entry = (time, path);
        }
    }
    newest
        .into_iter()
        .map(|(series, (time, path))| {
            let ms = time
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0);
            json!({"series": series, "path": path.to_string_lossy().replace('\\', "/"),
                   "version": ms})
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::series;
    use std::path::Path;

    #[test]
    fn frames_of_one_series_share_its_name() {
        assert_eq!(series(Path::new("plain/step_000500.png")), "plain/step");
        assert_eq!(series(Path::new("live/plain.png")), "live/plain");
        assert_eq!(series(Path::new("plots/d_loss.png")), "plots/d_loss");
    }
}
