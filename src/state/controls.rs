//! The live page's controls as a run sees them (`ganbook run --live`): knobs the script
//! declared and the page may turn, play/pause with single steps of D, G or a round, slow
//! motion, hand-drawn point sets, how many pages watch, and a request to go back to a cell.
//! Without `--live` nothing here is enabled: a knob reads its default, a gate returns at once
//! (one atomic load), so a saved script runs unchanged and at full speed from the CLI.

use crate::bail;
use crate::error::Result;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long slow motion holds each round.
pub const SLOW_ROUND: Duration = Duration::from_millis(250);
/// Click-to-script latencies kept (the newest).
const LATENCIES_KEPT: usize = 1000;

/// One knob: a number in a range (a slider) or one of a list of words (a menu).
#[derive(Clone, Debug)]
pub struct Knob {
    pub name: String,
    /// The script's value, and the value in force (the page's once it turned the knob).
    pub default: Value,
    pub value: Value,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// A slider on a log scale (learning rates).
    pub log: bool,
    /// Whole numbers only (steps per round).
    pub integer: bool,
    pub choices: Vec<String>,
    /// When the page last turned it, until the script reads it (for the latency figure).
    pub turned_at: Option<Instant>,
}

impl Knob {
    pub fn number(name: &str, default: f64) -> Knob {
        Knob {
            name: name.into(),
            default: json!(default),
            value: json!(default),
            min: None,
            max: None,
            log: false,
            integer: false,
            choices: Vec::new(),
            turned_at: None,
        }
    }

    /// `value` checked against the knob's kind, range and choices.
    fn check(&self, value: &Value) -> Result<Value> {
        if !self.choices.is_empty() {
            return match value.as_str() {
                Some(s) if self.choices.iter().any(|c| c == s) => Ok(json!(s)),
                _ => bail!(
                    "knob {}: {value} is not one of {:?}",
                    self.name,
                    self.choices
                ),
            };
        }
        let Some(x) = value.as_f64().filter(|x| x.is_finite()) else {
            bail!("knob {}: {value} is not a number", self.name);
        };
        if self.min.is_some_and(|m| x < m) || self.max.is_some_and(|m| x > m) {
            bail!(
                "knob {}: {x} is outside {:?}..{:?}",
                self.name,
                self.min,
                self.max
            );
        }
        Ok(if self.integer {
            json!(x.round() as i64)
        } else {
            json!(x)
        })
    }
}

/// What a gate lets through: one discriminator update or one generator update.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Gate {
    D,
    G,
}

#[derive(Default)]
struct Inner {
    knobs: Vec<Knob>,
    paused: bool,
    slow: bool,
    /// Single steps granted while paused.
    d_tokens: u32,
    g_tokens: u32,
    /// A round granted while paused; true once a G update passed in it (the next D ends it).
    round: Option<bool>,
    /// Updates that passed a gate, of each kind.
    d_updates: u64,
    g_updates: u64,
    /// Hand-drawn point sets by name, and a count of changes.
    drawn: BTreeMap<String, Vec<[f64; 2]>>,
    drawn_version: u64,
    /// The drawing version the script last sampled.
    drawn_seen: u64,
    latencies_ms: Vec<f64>,
    watchers: usize,
    last_frame: BTreeMap<String, Instant>,
    /// The cell the page asked to go back to.
    reset: Option<usize>,
}

#[derive(Default)]
pub struct Controls {
    enabled: AtomicBool,
    inner: Mutex<Inner>,
    /// Woken when a control changes, for gates waiting while paused.
    changed: Condvar,
}

impl Controls {
    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Turns the controls on: a live page is being served.
    pub fn enable(&self) {
        self.enabled.store(true, Ordering::Relaxed);
    }

    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    // ---- the script's side ----

    /// Declares `knob`. A knob declared again keeps the value the page gave it, unless the
    /// script's default changed (a new cell that wants another setting).
    pub fn declare(&self, knob: Knob) -> Result<()> {
        knob.check(&knob.default)?;
        let mut s = self.inner();
        match s.knobs.iter_mut().find(|k| k.name == knob.name) {
            Some(k) if k.default == knob.default => {
                let value = k.value.clone();
                *k = Knob { value, ..knob };
            }
            Some(k) => *k = knob,
            None => s.knobs.push(knob),
        }
        Ok(())
    }

    /// The value in force of knob `name` (None: never declared).
    pub fn value(&self, name: &str) -> Option<Value> {
        let mut s = self.inner();
        let k = s.knobs.iter_mut().find(|k| k.name == name)?;
        let (value, turned) = (k.value.clone(), k.turned_at.take());
        if let Some(t) = turned {
            if s.latencies_ms.len() >= LATENCIES_KEPT {
                s.latencies_ms.remove(0);
            }
            s.latencies_ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        Some(value)
    }

    /// Waits, while paused, until the page lets one update of `kind` through (a single step,
    /// a round, or play) or `interrupt` is set, and says whether to make it: false when the
    /// page asked for a single step of the other kind (skip this update to reach it). Returns
    /// true at once when not live or playing; in slow motion each G update is held for
    /// [`SLOW_ROUND`].
    pub fn gate(&self, kind: Gate, interrupt: &AtomicBool) -> bool {
        if !self.enabled() {
            return true;
        }
        let mut s = self.inner();
        let go = loop {
            if interrupt.load(Ordering::Relaxed) {
                return true;
            }
            if let Some(go) = Self::passes(&mut s, kind) {
                break go;
            }
            s = self
                .changed
                .wait_timeout(s, Duration::from_millis(50))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        };
        if !go {
            return false;
        }
        match kind {
            Gate::D => s.d_updates += 1,
            Gate::G => s.g_updates += 1,
        }
        let slow = s.slow && kind == Gate::G;
        drop(s);
        if slow {
            std::thread::sleep(SLOW_ROUND);
        }
        true
    }

    /// Whether an update of `kind` goes now (Some(true), taking the single step or round it
    /// uses), is skipped for a single step of the other kind (Some(false)), or waits (None).
    fn passes(s: &mut Inner, kind: Gate) -> Option<bool> {
        if !s.paused {
            return Some(true);
        }
        let (own, other) = match kind {
            Gate::D => (&mut s.d_tokens, s.g_tokens),
            Gate::G => (&mut s.g_tokens, s.d_tokens),
        };
        if *own > 0 {
            *own -= 1;
            return Some(true);
        }
        match (s.round, kind) {
            // the next round begins: the granted one is over
            (Some(true), Gate::D) => s.round = None,
            (Some(_), Gate::D) => return Some(true),
            (Some(_), Gate::G) => {
                s.round = Some(true);
                return Some(true);
            }
            (None, _) => {}
        }
        (other > 0).then_some(false)
    }

    /// The points drawn on the page as `name`, if any (the script reads them: noted).
    pub fn drawn(&self, name: &str) -> Option<Vec<[f64; 2]>> {
        let mut s = self.inner();
        let points = s.drawn.get(name).cloned();
        if points.is_some() {
            s.drawn_seen = s.drawn_version;
        }
        points
    }

    /// Whether a page watches and series `name`'s last live frame is `period` old (then the
    /// caller draws one, and the clock restarts).
    pub fn frame_due(&self, name: &str, period: Duration) -> bool {
        if !self.enabled() {
            return false;
        }
        let mut s = self.inner();
        if s.watchers == 0 {
            return false;
        }
        let now = Instant::now();
        match s.last_frame.get(name) {
            Some(t) if now.duration_since(*t) < period => false,
            _ => {
                s.last_frame.insert(name.to_string(), now);
                true
            }
        }
    }

    // ---- the page's side ----

    /// Turns knob `name` to `value` (checked against its range or choices).
    pub fn turn(&self, name: &str, value: &Value) -> Result<()> {
        let mut s = self.inner();
        let Some(k) = s.knobs.iter_mut().find(|k| k.name == name) else {
            bail!("no knob named '{name}'");
        };
        k.value = k.check(value)?;
        k.turned_at = Some(Instant::now());
        drop(s);
        self.changed.notify_all();
        Ok(())
    }

    /// A button: "play", "pause", "step_d", "step_g", "step_round", "slow", "fast". A step
    /// pauses the run first.
    pub fn press(&self, button: &str) -> Result<()> {
        let mut s = self.inner();
        match button {
            "play" => {
                s.paused = false;
                s.round = None;
            }
            "pause" => s.paused = true,
            "step_d" | "step_g" | "step_round" => {
                s.paused = true;
                match button {
                    "step_d" => s.d_tokens += 1,
                    "step_g" => s.g_tokens += 1,
                    _ => s.round = Some(false),
                }
            }
            "slow" => s.slow = true,
            "fast" => s.slow = false,
            other => bail!(
                "unknown button '{other}': play, pause, step_d, step_g, step_round, slow or fast"
            ),
        }
        drop(s);
        self.changed.notify_all();
        Ok(())
    }

    /// Sets the drawn point set `name` (at most 5,000 points).
    pub fn draw(&self, name: &str, points: Vec<[f64; 2]>) -> Result<()> {
        if points.len() > 5000 {
            bail!("{} points drawn: at most 5000", points.len());
        }
        if points.iter().flatten().any(|x| !x.is_finite()) {
            bail!("drawn points must be finite numbers");
        }
        let mut s = self.inner();
        s.drawn.insert(name.to_string(), points);
        s.drawn_version += 1;
        Ok(())
    }

    /// How many pages watch.
    pub fn watchers(&self) -> usize {
        self.inner().watchers
    }

    /// A page connected (`+1`) or left (`-1`).
    pub fn watcher(&self, joined: bool) {
        let mut s = self.inner();
        s.watchers = if joined {
            s.watchers + 1
        } else {
            s.watchers.saturating_sub(1)
        };
    }

    /// Asks the front end to go back to the state before cell `cell` and run from there.
    pub fn request_reset(&self, cell: usize) {
        self.inner().reset = Some(cell);
        self.changed.notify_all();
    }

    /// The pending request to go back to a cell, taken.
    pub fn take_reset(&self) -> Option<usize> {
        self.inner().reset.take()
    }

    /// For run.json: each knob's value (and default), and the drawn point sets.
    pub fn record(&self) -> Value {
        let s = self.inner();
        let knobs: serde_json::Map<String, Value> = s
            .knobs
            .iter()
            .map(|k| {
                (
                    k.name.clone(),
                    json!({"value": k.value, "default": k.default}),
                )
            })
            .collect();
        json!({"knobs": knobs, "drawn": s.drawn})
    }

    /// What the page shows of the controls.
    pub fn to_json(&self) -> Value {
        let s = self.inner();
        let knobs: Vec<Value> = s
            .knobs
            .iter()
            .map(|k| {
                json!({"name": k.name, "value": k.value, "default": k.default, "min": k.min,
                       "max": k.max, "log": k.log, "integer": k.integer, "choices": k.choices})
            })
            .collect();
        let mut sorted = s.latencies_ms.clone();
        sorted.sort_by(f64::total_cmp);
        let median = sorted.get(sorted.len() / 2).copied();
        json!({
            "knobs": knobs, "paused": s.paused, "slow": s.slow,
            "d_updates": s.d_updates, "g_updates": s.g_updates,
            "drawn": s.drawn.keys().collect::<Vec<_>>(), "drawn_version": s.drawn_version,
            "drawn_seen": s.drawn_seen,
            "watchers": s.watchers,
            "latency_ms": {"median": median, "count": sorted.len(),
                           "max": sorted.last().copied()},
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{Controls, Gate, Knob};
    use serde_json::json;
    use std::sync::atomic::AtomicBool;

    #[test]
    fn single_steps_pass_one_update_and_skip_to_reach_it() {
        let c = Controls::default();
        c.enable();
        let no = AtomicBool::new(false);
        assert!(c.gate(Gate::D, &no), "playing: every update goes");
        c.press("step_g").unwrap(); // pauses, and grants one G update
        assert!(
            !c.gate(Gate::D, &no),
            "waiting at D for a G step: skip the D update"
        );
        assert!(c.gate(Gate::G, &no));
        c.press("step_round").unwrap();
        assert!(c.gate(Gate::D, &no) && c.gate(Gate::D, &no) && c.gate(Gate::G, &no));
        let interrupt = AtomicBool::new(true); // the round is over: the next D waits
        assert!(c.gate(Gate::D, &interrupt));
        let shown = c.to_json();
        assert_eq!(
            (shown["d_updates"].clone(), shown["g_updates"].clone()),
            (json!(3), json!(2))
        );
    }

    #[test]
    fn a_knob_keeps_the_page_value_until_its_default_changes() {
        let c = Controls::default();
        let lr = |d: f64| Knob {
            min: Some(1e-5),
            max: Some(1e-1),
            ..Knob::number("lr", d)
        };
        c.declare(lr(1e-3)).unwrap();
        c.turn("lr", &json!(0.01)).unwrap();
        assert!(c.turn("lr", &json!(1.0)).is_err(), "out of range");
        c.declare(lr(1e-3)).unwrap();
        assert_eq!(
            c.value("lr"),
            Some(json!(0.01)),
            "declared again: the page's value"
        );
        c.declare(lr(2e-3)).unwrap();
        assert_eq!(c.value("lr"), Some(json!(2e-3)), "a new default wins");
    }
}
