//! Functions that talk to the run: `param`, `result`, `seed`.

use super::convert::call;
use super::convert::to_json;
use super::def;
use crate::bail;
use crate::error::Result;
use crate::state::RunState;
use rhai::{Dynamic, Engine, FLOAT, INT, ImmutableString};
use std::sync::Arc;

/// Converts a `--set` string to the type of the script's default.
pub fn convert_param(name: &str, text: &str, default: &Dynamic) -> Result<Dynamic> {
    let t = text.trim();
    let fail = |kind: &str| {
        crate::err!("--set {name}={text}: expected {kind} (the script's default is {default})")
    };
    if default.is_int() {
        if let Ok(i) = t.parse::<INT>() {
            return Ok(Dynamic::from(i));
        }
        match t.parse::<f64>() {
            Ok(f) if f.fract() == 0.0 && f.abs() < 9e15 => Ok(Dynamic::from(f as INT)),
            _ => Err(fail("a whole number")),
        }
    } else if default.is_float() {
        t.parse::<FLOAT>()
            .map(Dynamic::from)
            .map_err(|_| fail("a number"))
    } else if default.is_bool() {
        match t {
            "true" | "1" | "yes" => Ok(Dynamic::TRUE),
            "false" | "0" | "no" => Ok(Dynamic::FALSE),
            _ => Err(fail("true or false")),
        }
    } else if default.is_string() || default.is_unit() {
        Ok(Dynamic::from(ImmutableString::from(text)))
    } else {
        bail!(
            "param {name}: defaults must be a number, a bool or a string, not {}",
            default.type_name()
        )
    }
}

pub fn register(e: &mut Engine, ctx: &Arc<RunState>) {
    def(
        e,
        "cpu_seconds",
        "cpu_seconds() -> float\nCPU time this process has used so far, all threads, in seconds: a fair budget for comparing recipes on a shared machine (wall-clock time counts other jobs' load). let t0 = cpu_seconds(); while cpu_seconds() - t0 < 120.0 { ... }",
        cpu_seconds,
    );
    let c = ctx.clone();
    def(
        e,
        "param",
        "param(name, default) -> value\nThe value given with `--set name=value`, converted to the type of default; otherwise default.",
        move |name: &str, default: Dynamic| {
            call("param", || {
                let value = match c.params().get(name) {
                    Some(text) => convert_param(name, text, &default).inspect_err(|_| {
                        // read, but refused: the error says so; no "never read" warning
                        c.note_param(name, serde_json::Value::Null);
                    })?,
                    None => default,
                };
                c.note_param(name, to_json(&value));
                Ok(value)
            })
        },
    );
    let c = ctx.clone();
    def(
        e,
        "result",
        "result(name, value)\nRecords a headline figure in run.json and prints `result name = value`.",
        move |name: &str, value: Dynamic| {
            let json = to_json(&value);
            println!("result {name} = {json}");
            c.record_result(name, json);
        },
    );
    let c = ctx.clone();
    def(
        e,
        "seed",
        "seed(n)\nSeeds every random number generator: the same script and seed give the same numbers on the CPU.",
        move |n: INT| {
            c.set_seed(n as u64);
        },
    );
}

/// User plus system CPU time of the whole process, in seconds.
fn cpu_seconds() -> FLOAT {
    // SAFETY: getrusage writes into the zeroed struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return FLOAT::NAN;
    }
    let secs = |t: libc::timeval| t.tv_sec as FLOAT + t.tv_usec as FLOAT * 1e-6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}
