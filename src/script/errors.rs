//! A script's errors as the user reads them: `file:line:col: message`, the innermost call
//! first, with a hint for PyTorch habits; and [`Failure`], why a script stopped.

use rhai::{EvalAltResult, ParseError, Position};

fn at(name: &str, pos: Position) -> String {
    match (pos.line(), pos.position()) {
        (Some(l), Some(c)) => format!("{name}:{l}:{c}"),
        (Some(l), None) => format!("{name}:{l}"),
        _ => name.to_string(),
    }
}

/// Why a script stopped before its end.
pub enum Failure {
    /// A syntax error in the source text (kept for the hint it may give).
    Syntax(ParseError, String),
    /// A run-time error, or an interruption (Ctrl-C, a save while watching).
    Run(Box<EvalAltResult>),
}

impl Failure {
    /// The message naming the script `name` (`file:line:col: ...`), and whether it was an
    /// interruption.
    pub fn describe(&self, name: &str) -> (String, bool) {
        match self {
            Failure::Syntax(e, source) => format_parse_error(name, source, e),
            Failure::Run(e) => format_eval_error(name, e),
        }
    }

    /// The script's line it happened at, where known.
    pub fn line(&self) -> Option<usize> {
        match self {
            Failure::Syntax(e, _) => e.position().line(),
            Failure::Run(e) => error_position(e).line(),
        }
    }
}

/// `file:line:col: message` for a syntax error in `source`, with a hint line when the text at
/// the error looks like a PyTorch habit (keyword arguments, `t[0, 1]`, `t[:, 0]`); the bool
/// says "interrupted" (never, here).
pub fn format_parse_error(name: &str, source: &str, e: &ParseError) -> (String, bool) {
    let mut text = format!(
        "error: {}: syntax error: {}",
        at(name, e.position()),
        e.err_type()
    );
    if let Some(h) = super::parse_hints::hint(source, e) {
        text += &format!("\n  {h}");
    }
    (text, false)
}

/// `file:line:col: message` for a run-time error, the innermost call's message first; the
/// bool says whether it was an interruption (Ctrl-C).
pub fn format_eval_error(name: &str, e: &EvalAltResult) -> (String, bool) {
    if let EvalAltResult::ErrorTerminated(..) = e {
        return (format!("interrupted at {}", at(name, e.position())), true);
    }
    let mut inner = e;
    let mut pos = e.position();
    let mut trail = Vec::new();
    while let EvalAltResult::ErrorInFunctionCall(f, _, next, p) = inner {
        trail.push(format!("in {f} called at {}", at(name, *p)));
        if !next.position().is_none() {
            pos = next.position();
        }
        inner = next;
    }
    if let EvalAltResult::ErrorTerminated(..) = inner {
        return (format!("interrupted at {}", at(name, pos)), true);
    }
    let msg = match inner {
        EvalAltResult::ErrorRuntime(v, _) => v.to_string(),
        other => {
            let mut s = other.to_string();
            if let Some(i) = s.rfind(" (line ") {
                s.truncate(i);
            }
            s
        }
    };
    let mut text = format!("error: {}: {msg}", at(name, pos));
    for t in trail {
        text += &format!("\n  {t}");
    }
    (text, false)
}

/// Where a run-time error happened: the innermost call's position that is known.
pub fn error_position(e: &EvalAltResult) -> Position {
    let mut inner = e;
    let mut pos = e.position();
    while let EvalAltResult::ErrorInFunctionCall(_, _, next, _) = inner {
        if !next.position().is_none() {
            pos = next.position();
        }
        inner = next;
    }
    pos
}
