//! Tab completion: functions and variables, methods on a variable's type after `.`, file
//! names inside string literals, and `:` commands.

use super::help::Docs;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};
use std::sync::{Arc, Mutex};

pub const COMMANDS: &[&str] = &[
    ":help", ":vars", ":load", ":reset", ":time", ":device", ":quit",
];

const KEYWORDS: &[&str] = &[
    "let", "const", "for", "in", "while", "loop", "if", "else", "fn", "return", "break",
    "continue", "import", "true", "false",
];

pub struct ReplHelper {
    pub docs: Arc<Docs>,
    /// The session's variables: (name, type).
    pub vars: Arc<Mutex<Vec<(String, String)>>>,
}

impl Helper for ReplHelper {}
impl Hinter for ReplHelper {
    type Hint = String;
}
impl Highlighter for ReplHelper {}
impl Validator for ReplHelper {}

impl Completer for ReplHelper {
    type Candidate = Pair;
    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let vars = self.vars.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let (start, list) = complete(&line[..pos], &self.docs, &vars);
        let pairs = list
            .into_iter()
            .map(|c| Pair {
                display: c.clone(),
                replacement: c,
            })
            .collect();
        Ok((start, pairs))
    }
}

/// Whether the end of `text` is inside a string literal.
fn in_string(text: &str) -> Option<usize> {
    let mut open = None;
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match (open, c) {
            (Some(_), '\\') => {
                chars.next();
            }
            (Some(_), '"') => open = None,
            (None, '"') => open = Some(i + 1),
            _ => {}
        }
    }
    open
}

/// Completions for the text before the cursor: where the replaced word starts, candidates.
pub fn complete(before: &str, docs: &Docs, vars: &[(String, String)]) -> (usize, Vec<String>) {
    if let Some(start) = in_string(before) {
        return (start, files(&before[start..]));
    }
    if before.starts_with(':') && !before.contains(' ') {
        return (0, pick(COMMANDS.iter().map(|s| s.to_string()), before));
    }
    let ws = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
        .last()
        .map_or(before.len(), |(i, _)| i);
    let word = &before[ws..];
    if before.starts_with(":help ") {
        return (ws, pick(docs.names(), word));
    }
    if before[..ws].ends_with('.') {
        let head = &before[..ws - 1];
        let rs = head
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
            .last()
            .map_or(head.len(), |(i, _)| i);
        let receiver = &head[rs..];
        let methods = match vars.iter().find(|(n, _)| n == receiver) {
            Some((_, ty)) => docs.methods_for(ty),
            None => docs.names(),
        };
        return (ws, pick(methods, word));
    }
    let all = docs
        .names()
        .into_iter()
        .chain(vars.iter().map(|(n, _)| n.clone()))
        .chain(KEYWORDS.iter().map(|s| s.to_string()));
    (ws, pick(all, word))
}

fn pick(names: impl IntoIterator<Item = String>, prefix: &str) -> Vec<String> {
    let mut v: Vec<String> = names
        .into_iter()
        .filter(|n| n.starts_with(prefix))
        .collect();
    v.sort();
    v.dedup();
    v
}

/// File and folder names completing `partial` (a path typed so far); folders end in `/`.
fn files(partial: &str) -> Vec<String> {
    let (dir, stem) = match partial.rfind('/') {
        Some(i) => (&partial[..=i], &partial[i + 1..]),
        None => ("", partial),
    };
    let read = if dir.is_empty() { "." } else { dir };
    let Ok(entries) = std::fs::read_dir(read) else {
        return Vec::new();
    };
    let mut v: Vec<String> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            (name.starts_with(stem) && (!name.starts_with('.') || stem.starts_with('.'))).then(
                || {
                    let slash = if e.path().is_dir() { "/" } else { "" };
                    format!("{dir}{name}{slash}")
                },
            )
        })
        .collect();
    v.sort();
    v
}
