//! The live page's controls in the script: `knob` (a slider or menu whose value the page may
//! change while the script runs), `gate` (play, pause and single steps of D or G), `drawn`
//! (points drawn with the mouse, as a 2-D dataset) and `live_frame` (time for a picture).
//! Without `ganbook run --live` they do nothing: a knob is its default, a gate returns.

use super::convert::{Options, ScriptResult, call, num};
use super::def;
use crate::data::toy2d::{self, Mixture};
use crate::error::Result;
use crate::state::RunState;
use crate::state::controls::{Gate, Knob};
use crate::{bail, err};
use rhai::{Dynamic, Engine, FLOAT, INT, Map};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// A knob in the script: its name and default; its value is read from the run's controls.
#[derive(Clone)]
pub struct KnobHandle {
    name: String,
    default: Dynamic,
    ctx: Arc<RunState>,
}

impl KnobHandle {
    fn value(&self) -> Dynamic {
        if !self.ctx.controls().enabled() {
            return self.default.clone();
        }
        match self.ctx.controls().value(&self.name) {
            Some(Value::String(s)) => s.into(),
            Some(v) if self.default.is_int() => (v.as_i64().unwrap_or(0) as INT).into(),
            Some(v) => (v.as_f64().unwrap_or(f64::NAN) as FLOAT).into(),
            None => self.default.clone(),
        }
    }
}

/// A hand-drawn point set: the page's latest drawing of `name`, or a toy mixture until then.
#[derive(Clone)]
pub struct DrawnSet {
    name: String,
    default: String,
    ctx: Arc<RunState>,
}

/// Each drawn point is a mode of this std (the page's canvas spans -4..4).
const DRAWN_STD: f64 = 0.05;

impl DrawnSet {
    fn mixture(&self) -> Result<Mixture> {
        match self.ctx.controls().drawn(&self.name) {
            Some(points) if !points.is_empty() => Ok(Mixture {
                centers: points,
                std: DRAWN_STD,
            }),
            _ => toy2d::mixture(&self.default),
        }
    }
}

/// The drawn set `name`, sampling the toy mixture `default` until something is drawn.
fn drawn_set(ctx: &Arc<RunState>, name: &str, default: &str) -> Result<DrawnSet> {
    toy2d::mixture(default)?;
    Ok(DrawnSet {
        name: name.into(),
        default: default.into(),
        ctx: ctx.clone(),
    })
}

fn make_knob(ctx: &Arc<RunState>, name: &str, default: Dynamic, m: &Map) -> Result<KnobHandle> {
    let o = Options::new(m, "knob", &["min", "max", "log", "choices"])?;
    let mut knob = if default.is_string() {
        let choices = match o.get("choices") {
            Some(c) if c.is_array() => c
                .clone()
                .cast::<rhai::Array>()
                .iter()
                .map(|x| x.to_string())
                .collect(),
            _ => bail!("a word knob needs its choices: #{{ choices: [\"bce\", \"hinge\"] }}"),
        };
        Knob {
            choices,
            default: Value::String(default.to_string()),
            value: Value::String(default.to_string()),
            ..Knob::number(name, 0.0)
        }
    } else {
        let x = num(&default, "a knob's default")?;
        Knob {
            integer: default.is_int(),
            min: o.get("min").map(|v| num(v, "min")).transpose()?,
            max: o.get("max").map(|v| num(v, "max")).transpose()?,
            log: o.bool("log", false)?,
            ..Knob::number(name, x)
        }
    };
    if knob.log && knob.min.is_none_or(|m| m <= 0.0) {
        bail!("a log-scale knob needs min > 0");
    }
    if knob.integer {
        knob.default = Value::from(default.as_int().unwrap_or(0));
        knob.value = knob.default.clone();
    }
    ctx.controls().declare(knob)?;
    Ok(KnobHandle {
        name: name.to_string(),
        default,
        ctx: ctx.clone(),
    })
}

pub fn register(e: &mut Engine, ctx: &Arc<RunState>) {
    e.register_type_with_name::<KnobHandle>("Knob");
    e.register_type_with_name::<DrawnSet>("Drawn");
    let c = ctx.clone();
    def(
        e,
        "knob",
        "knob(name, default, #{min, max, log, choices}) -> Knob\nA control on the live page (ganbook run --live): a slider from min to max (log: true for a log scale, e.g. learning rates; an integer default makes whole steps), or for a word default a menu of choices. k.value reads the value in force, so read it where it is used (each step). Declared again with the same default it keeps the page's value. Without --live, k.value is always the default.",
        move |name: &str, default: Dynamic, m: Map| {
            call("knob", || make_knob(&c, name, default, &m))
        },
    );
    let c = ctx.clone();
    def(
        e,
        "knob",
        "knob(name, default) -> Knob\nA knob without a range (see knob(name, default, #{...})).",
        move |name: &str, default: Dynamic| {
            call("knob", || make_knob(&c, name, default, &Map::new()))
        },
    );
    def(
        e,
        "get$value",
        "value(knob) -> number or string\nThe knob's value now: the page's once it turned the knob, else the default.",
        |k: &mut KnobHandle| k.value(),
    );
    let c = ctx.clone();
    def(
        e,
        "gate",
        "gate(kind) -> bool\nWrap each discriminator update in `if gate(\"d\") { ... }` and each generator update in `if gate(\"g\") { ... }`: on the live page, pause holds the run at the next gate, and \"step D\", \"step G\" and \"step round\" let one update (or one round: the D updates, then the G updates) through. It returns false when the page asked for a single step of the other kind: skip this update to get there. Slow motion holds each G update a quarter second. Returns true at once while playing, and always without --live.",
        move |kind: &str| -> ScriptResult<bool> {
            let gate = match kind {
                "d" | "D" => Gate::D,
                "g" | "G" => Gate::G,
                other => {
                    return Err(super::convert::to_script(err!(
                        "gate: kind must be \"d\" or \"g\", got \"{other}\""
                    )));
                }
            };
            Ok(c.controls().gate(gate, &c.interrupt_flag()))
        },
    );
    let c = ctx.clone();
    def(
        e,
        "drawn",
        "drawn(name, default) -> Drawn\nThe points drawn with the mouse on the live page's canvas (-4..4 on both axes) under name, as a 2-D dataset: d.sample(n) gives [n, 2] points, each near a drawn point (std 0.05); until something is drawn (and without --live), samples of the toy mixture default (\"ring8\", \"grid25\"). A new drawing takes effect at the next sample.",
        move |name: &str, default: &str| call("drawn", || drawn_set(&c, name, default)),
    );
    let c = ctx.clone();
    def(
        e,
        "drawn",
        "drawn(name) -> Drawn\ndrawn(name, \"ring8\"): the points drawn on the live page as name, a ring until something is drawn.",
        move |name: &str| call("drawn", || drawn_set(&c, name, "ring8")),
    );
    def(
        e,
        "sample",
        "sample(drawn, n) -> Tensor\nn points [n, 2] of the drawn set (see drawn).",
        |d: &mut DrawnSet, n: INT| {
            call("sample", || {
                if n < 1 {
                    bail!("n must be at least 1, got {n}");
                }
                toy2d::sample_mixture(&d.mixture()?, n as usize)
            })
        },
    );
    def(
        e,
        "get$is_drawn",
        "is_drawn(drawn) -> bool\nWhether the page has drawn this set (else it samples its default).",
        |d: &mut DrawnSet| {
            d.ctx
                .controls()
                .drawn(&d.name)
                .is_some_and(|p| !p.is_empty())
        },
    );
    let c = ctx.clone();
    def(
        e,
        "live_frame",
        "live_frame(name, seconds) -> bool\nTrue when a live page is watching and the last time this returned true for name is `seconds` ago: then draw a picture (e.g. scatter2d(..., `live/${tag}`, ...)) or log a row, so the page moves while training at a cost you choose. Always false without --live.",
        move |name: &str, seconds: FLOAT| {
            call("live_frame", || {
                if !(seconds >= 0.0 && seconds.is_finite()) {
                    bail!("seconds must be a number >= 0, got {seconds}");
                }
                Ok(c.controls()
                    .frame_due(name, Duration::from_secs_f64(seconds)))
            })
        },
    );
    let c = ctx.clone();
    def(
        e,
        "live_frame",
        "live_frame(name) -> bool\nlive_frame(name, 0.5): true twice a second while a live page watches.",
        move |name: &str| c.controls().frame_due(name, Duration::from_millis(500)),
    );
    let c = ctx.clone();
    def(
        e,
        "live",
        "live() -> bool\nWhether this run serves a live page (ganbook run --live).",
        move || c.controls().enabled(),
    );
}
