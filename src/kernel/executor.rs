//! What the kernel does with a shell request: runs cells in one REPL session (variables,
//! models and imports persist from cell to cell), shows the images a cell wrote and the value
//! of its last expression, turns errors into `error` outputs, and answers completion, help
//! (Shift-Tab) and "is this input complete" from the REPL's own tables.

use super::capture::Capture;
use crate::notebook::html;
use crate::notebook::ipynb::image_media;
use crate::repl::{self, Evaluated, Failed, Repl, commands};
use crate::script::show::{show, show_result};
use jupyter_protocol::{
    CommInfoReply, CompleteReply, DisplayData, ErrorOutput, ExecuteInput, ExecuteReply,
    ExecuteRequest, ExecuteResult, ExecutionCount, HistoryReply, InspectReply, IsCompleteReply,
    IsCompleteReplyStatus, JupyterMessage, JupyterMessageContent, Media, MediaType, ReplyError,
    ReplyStatus,
};
use std::panic::{AssertUnwindSafe, catch_unwind};
use tokio::sync::mpsc::UnboundedSender;

pub struct Executor {
    pub repl: Repl,
    capture: Capture,
    iopub: UnboundedSender<JupyterMessage>,
    count: usize,
    /// Every cell run so far, as script cells (`// %% In [n]`).
    pub history: Vec<String>,
}

impl Executor {
    pub fn new(repl: Repl, capture: Capture, iopub: UnboundedSender<JupyterMessage>) -> Executor {
        Executor {
            repl,
            capture,
            iopub,
            count: 0,
            history: Vec::new(),
        }
    }

    /// The reply to one shell request (None for a request the kernel does not answer).
    pub fn handle(&mut self, msg: &JupyterMessage) -> Option<JupyterMessage> {
        let reply: JupyterMessageContent = match &msg.content {
            JupyterMessageContent::ExecuteRequest(req) => self.execute(req, msg).into(),
            JupyterMessageContent::CompleteRequest(req) => {
                self.complete(&req.code, req.cursor_pos).into()
            }
            JupyterMessageContent::InspectRequest(req) => {
                self.inspect(&req.code, req.cursor_pos).into()
            }
            JupyterMessageContent::IsCompleteRequest(req) => {
                is_complete(&self.repl, &req.code).into()
            }
            JupyterMessageContent::HistoryRequest(_) => HistoryReply {
                history: Vec::new(),
                status: ReplyStatus::Ok,
                error: None,
            }
            .into(),
            JupyterMessageContent::CommInfoRequest(_) => CommInfoReply {
                status: ReplyStatus::Ok,
                comms: Default::default(),
                error: None,
            }
            .into(),
            _ => return None,
        };
        Some(JupyterMessage::new(reply, Some(msg)))
    }

    fn publish(&self, content: impl Into<JupyterMessageContent>, parent: &JupyterMessage) {
        let _ = self.iopub.send(JupyterMessage::new(content, Some(parent)));
    }

    fn execute(&mut self, req: &ExecuteRequest, parent: &JupyterMessage) -> ExecuteReply {
        if !req.silent && req.store_history {
            self.count += 1;
        }
        let count = ExecutionCount::new(self.count);
        if !req.silent {
            self.publish(
                ExecuteInput {
                    code: req.code.clone(),
                    execution_count: count,
                },
                parent,
            );
        }
        self.capture.set_parent(Some(parent));
        let out_dir = self.repl.ctx.out_dir().to_path_buf();
        let before = html::images(&out_dir);
        let outcome = self.run(&req.code);
        self.repl.ctx.end_status_line();
        self.capture.flush();
        let after = html::images(&out_dir);
        let mut written: Vec<_> = after
            .into_iter()
            .filter(|(p, t)| before.get(p) != Some(t))
            .collect();
        written.sort_by_key(|(_, t)| *t);
        for (path, _) in written {
            if let Some(data) = image_media(&out_dir.join(&path), &path) {
                self.publish(DisplayData::new(data), parent);
            }
        }
        self.capture.set_parent(None);
        if !req.code.trim().is_empty() {
            // `:` commands are the REPL's, not the script's: kept as comments
            let code = if req.code.trim_start().starts_with(':') {
                req.code.lines().map(|l| format!("// {l}\n")).collect()
            } else {
                format!("{}\n", req.code.trim_end())
            };
            self.history
                .push(format!("// %% In [{}]\n{code}", self.count));
        }
        match outcome {
            Evaluated::Value(v) => {
                // as in IPython, a cell ending in `;` shows no result
                let shown = !v.is_unit() && !req.silent && !req.code.trim_end().ends_with(';');
                if shown {
                    let text = show_result(&v);
                    self.publish(
                        ExecuteResult::new(count, Media::new(vec![MediaType::Plain(text)])),
                        parent,
                    );
                }
                ExecuteReply {
                    status: ReplyStatus::Ok,
                    execution_count: count,
                    ..Default::default()
                }
            }
            Evaluated::Failed(f) => {
                let error = error_of(&f);
                self.publish(
                    ErrorOutput {
                        ename: error.ename.clone(),
                        evalue: error.evalue.clone(),
                        traceback: error.traceback.clone(),
                    },
                    parent,
                );
                ExecuteReply {
                    status: ReplyStatus::Error,
                    execution_count: count,
                    error: Some(Box::new(error)),
                    ..Default::default()
                }
            }
        }
    }

    /// Runs a cell: `:` commands line by line, or code; a panic that escapes becomes an error.
    fn run(&mut self, code: &str) -> Evaluated {
        let name = format!("In [{}]", self.count);
        let repl = &mut self.repl;
        let result = catch_unwind(AssertUnwindSafe(|| {
            if code.trim_start().starts_with(':') {
                for line in code.lines().map(str::trim).filter(|l| !l.is_empty()) {
                    if matches!(line, ":quit" | ":q" | ":exit") {
                        println!(
                            "a notebook's kernel stops from the notebook (Kernel > Shut Down)"
                        );
                    } else if line.starts_with(':') {
                        commands::command(repl, line);
                    } else if let Evaluated::Failed(f) = repl.evaluate(&name, line) {
                        return Evaluated::Failed(f);
                    }
                }
                Evaluated::Value(rhai::Dynamic::UNIT)
            } else {
                repl.evaluate(&name, code)
            }
        }));
        result.unwrap_or_else(|payload| {
            let what = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown".into());
            Evaluated::Failed(Failed {
                message: format!("{name}: internal error (the kernel lives on): {what}"),
                caret: String::new(),
                interrupted: false,
            })
        })
    }

    /// Tab: the REPL's completions for the line the cursor is on.
    fn complete(&self, code: &str, cursor: usize) -> CompleteReply {
        let at = byte_index(code, cursor);
        let line_start = code[..at].rfind('\n').map_or(0, |i| i + 1);
        let vars = self
            .repl
            .vars
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let (start, matches) =
            repl::completion::complete(&code[line_start..at], &self.repl.docs, &vars);
        CompleteReply {
            matches,
            cursor_start: code[..line_start + start].chars().count(),
            cursor_end: cursor,
            metadata: Default::default(),
            status: ReplyStatus::Ok,
            error: None,
        }
    }

    /// Shift-Tab: `:help` for the name under the cursor, or what a variable holds.
    fn inspect(&self, code: &str, cursor: usize) -> InspectReply {
        let word = name_for_help(code, byte_index(code, cursor));
        let text = self.repl.docs.help(word).or_else(|| {
            let v = self.repl.scope.get_value::<rhai::Dynamic>(word)?;
            let ty = self.repl.engine.map_type_name(v.type_name());
            Some(format!("{word}: {ty}\n{}", show(&v)))
        });
        InspectReply {
            found: text.is_some(),
            data: Media::new(text.map(MediaType::Plain).into_iter().collect()),
            metadata: Default::default(),
            status: ReplyStatus::Ok,
            error: None,
        }
    }
}

/// Whether a console should run `code` now, or ask for another line.
fn is_complete(repl: &Repl, code: &str) -> IsCompleteReply {
    if code.trim_start().starts_with(':') {
        return IsCompleteReply::new(IsCompleteReplyStatus::Complete, String::new());
    }
    if repl::is_open(code) {
        return IsCompleteReply::new(IsCompleteReplyStatus::Incomplete, "    ".into());
    }
    match repl.engine.compile_with_scope(&repl.scope, code) {
        Ok(_) => IsCompleteReply::new(IsCompleteReplyStatus::Complete, String::new()),
        Err(_) => IsCompleteReply::new(IsCompleteReplyStatus::Invalid, String::new()),
    }
}

/// The error a failed cell shows: where (`In [n]:line:column: ...`), the line with a caret.
fn error_of(f: &Failed) -> ReplyError {
    let ename = if f.interrupted {
        "KeyboardInterrupt"
    } else {
        "ScriptError"
    };
    let mut traceback: Vec<String> = f.message.lines().map(String::from).collect();
    traceback.extend(f.caret.lines().map(String::from));
    ReplyError {
        ename: ename.into(),
        evalue: f.message.lines().next().unwrap_or_default().to_string(),
        traceback,
    }
}

/// The byte offset of the `chars`-th character (Jupyter counts cursor positions in characters).
fn byte_index(code: &str, chars: usize) -> usize {
    code.char_indices()
        .nth(chars)
        .map_or(code.len(), |(i, _)| i)
}

/// The name Shift-Tab asks about: the identifier under the cursor, or inside a call's
/// parentheses (`randn([2, |`), the function being called.
fn name_for_help(code: &str, at: usize) -> &str {
    let word = word_at(code, at);
    if !word.is_empty() {
        return word;
    }
    let mut depth = 0;
    for (i, c) in code[..at].char_indices().rev() {
        match c {
            ')' | ']' | '}' => depth += 1,
            '(' | '[' | '{' if depth > 0 => depth -= 1,
            '(' => return word_at(code, i),
            ';' => break,
            _ => {}
        }
    }
    ""
}

/// The identifier around byte offset `at`.
fn word_at(code: &str, at: usize) -> &str {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let start = code[..at]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map_or(at, |(i, _)| i);
    let end = code[at..]
        .find(|c: char| !is_word(c))
        .map_or(code.len(), |i| at + i);
    &code[start..end]
}

#[cfg(test)]
mod tests {
    use super::{byte_index, name_for_help, word_at};

    #[test]
    fn finds_the_word_under_the_cursor() {
        let code = "let x = randn([2]);\nx.mat";
        assert_eq!(word_at(code, 10), "randn");
        assert_eq!(word_at(code, code.len()), "mat");
        assert_eq!(byte_index("é+b", 2), 3);
        let call = "let y = grid(randn([2, 3]), ";
        assert_eq!(name_for_help(call, call.len()), "grid");
        assert_eq!(name_for_help("f(x); ", 6), "");
        assert_eq!(name_for_help("randn([2, ", 10), "randn");
    }
}
