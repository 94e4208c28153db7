//! One error type for the core, and the net that turns burn's panics into errors.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// An error a user can read: what went wrong, in words, with the shapes or names involved.
#[derive(Debug, Clone, PartialEq)]
pub struct Error(pub String);

pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl From<String> for Error {
    fn from(s: String) -> Self {
        Error(s)
    }
}

impl From<&str> for Error {
    fn from(s: &str) -> Self {
        Error(s.to_string())
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error(e.to_string())
    }
}

/// Builds an [`Error`] from a format string.
#[macro_export]
macro_rules! err {
    ($($arg:tt)*) => { $crate::error::Error(format!($($arg)*)) };
}

/// Returns early with an [`Error`] built from a format string.
#[macro_export]
macro_rules! bail {
    ($($arg:tt)*) => { return Err($crate::err!($($arg)*)) };
}

/// Runs `f`, turning a panic inside it (burn panics on shape errors) into an [`Error`]
/// that says what `context` was doing (if not empty) and what the panic said.
pub fn guard<T>(context: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown internal error".to_string());
            let msg = first_line(&msg);
            Err(if context.is_empty() {
                err!("{msg}")
            } else {
                err!("{context}: {msg}")
            })
        }
    }
}

fn first_line(msg: &str) -> &str {
    msg.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(msg)
        .trim()
}

/// Replaces the default panic hook with a silent one, so that a caught panic prints nothing
/// and the user sees one clean error line instead of a backtrace.
pub fn install_quiet_panic_hook() {
    std::panic::set_hook(Box::new(|_| {}));
}
