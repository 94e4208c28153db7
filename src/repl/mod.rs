//! `ganbook` with no command: a read-eval-print loop. Variables, functions and imports persist
//! across inputs; input continues on the next line while brackets or strings are open; Tab
//! completes; `:help` and the other `:` commands are in [`commands`]; history is kept in the
//! user's data folder.

pub mod commands;
pub mod completion;
pub mod help;

use crate::device;
use crate::script::{self, scope_vars, show::show};
use crate::state::RunState;
use completion::ReplHelper;
use rhai::{AST, Engine, Position, Scope};
use rustyline::error::ReadlineError;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// What running one input gave.
pub enum Evaluated {
    Value(rhai::Dynamic),
    Failed(Failed),
}

/// Why an input failed: the message (`name:line:column: ...`), the input's line with a caret
/// under the place (empty when unknown), and whether it was an interrupt rather than an error.
pub struct Failed {
    pub message: String,
    pub caret: String,
    pub interrupted: bool,
}

/// The REPL: what persists between inputs (on top of the run's [`RunState`]).
pub struct Repl {
    pub engine: Engine,
    pub ctx: Arc<RunState>,
    pub scope: Scope<'static>,
    pub functions: AST,
    /// `import` statements run so far, replayed before every later input.
    pub imports: Vec<String>,
    pub docs: Arc<help::Docs>,
    pub vars: Arc<Mutex<Vec<(String, String)>>>,
}

impl Repl {
    pub fn new(ctx: &Arc<RunState>) -> Repl {
        let mut engine = script::engine(ctx);
        engine.set_module_resolver(crate::script::modules::Resolver::new(std::path::Path::new(
            ".",
        )));
        Repl {
            docs: Arc::new(help::Docs::new(&engine)),
            engine,
            ctx: ctx.clone(),
            scope: Scope::new(),
            functions: AST::empty(),
            imports: Vec::new(),
            vars: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Runs `input` in the session and prints its value or its error (with a caret under
    /// the place); `name` is what errors call the input. Returns whether it succeeded.
    pub fn eval(&mut self, name: &str, input: &str, show_value: bool) -> bool {
        match self.evaluate(name, input) {
            Evaluated::Value(v) => {
                if show_value && !v.is_unit() {
                    println!("{}", show(&v));
                }
                true
            }
            Evaluated::Failed(f) => {
                eprintln!("{}", f.message);
                eprint!("{}", f.caret);
                false
            }
        }
    }

    /// Runs `input` in the session: its value, or what went wrong. Prints nothing itself
    /// (what the input prints goes to stdout). A Jupyter cell runs through here too.
    pub fn evaluate(&mut self, name: &str, input: &str) -> Evaluated {
        self.ctx.clear_interrupt();
        let out = match self.engine.compile_with_scope(&self.scope, input) {
            Err(e) => Evaluated::Failed(Failed {
                message: script::errors::format_parse_error(name, input, &e).0,
                caret: caret(input, e.position()),
                interrupted: false,
            }),
            Ok(ast) => {
                let imports = self
                    .engine
                    .compile(self.imports.join("\n"))
                    .unwrap_or_default();
                let functions = self.functions.merge(&ast.clone_functions_only());
                let program = imports.merge(&functions.merge(&ast));
                match self
                    .engine
                    .eval_ast_with_scope::<rhai::Dynamic>(&mut self.scope, &program)
                {
                    Ok(v) => {
                        scope_vars::drop_shadowed(&mut self.scope);
                        self.functions = functions;
                        for line in input.lines() {
                            if let Some((_, stmt)) = crate::notebook::cells::parse_import(line)
                                && !self.imports.contains(&stmt)
                            {
                                self.imports.push(stmt);
                            }
                        }
                        Evaluated::Value(v)
                    }
                    Err(e) => {
                        let (message, interrupted) = script::errors::format_eval_error(name, &e);
                        let caret = if interrupted {
                            String::new()
                        } else {
                            caret(input, script::errors::error_position(&e))
                        };
                        Evaluated::Failed(Failed {
                            message,
                            caret,
                            interrupted,
                        })
                    }
                }
            }
        };
        self.refresh_vars();
        out
    }

    pub fn refresh_vars(&self) {
        let list = scope_vars::visible(&self.scope)
            .into_iter()
            .map(|v| {
                let ty = self.engine.map_type_name(v.value.type_name()).to_string();
                (v.name, ty)
            })
            .collect();
        *self.vars.lock().unwrap_or_else(|p| p.into_inner()) = list;
    }

    pub fn reset(&mut self) {
        self.scope = Scope::new();
        self.functions = AST::empty();
        self.imports.clear();
        self.refresh_vars();
    }
}

/// The input line at `pos` with a caret under its column (empty when unknown).
pub fn caret(input: &str, pos: Position) -> String {
    let (Some(line), Some(col)) = (pos.line(), pos.position()) else {
        return String::new();
    };
    let Some(text) = input.lines().nth(line - 1) else {
        return String::new();
    };
    format!("  {text}\n  {}^\n", " ".repeat(col.saturating_sub(1)))
}

/// `$XDG_DATA_HOME/ganbook/history.txt`, or `~/.local/share/ganbook/history.txt`.
pub fn history_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(base.join("ganbook").join("history.txt"))
}

pub fn repl(device_name: &str) -> i32 {
    let run = match crate::session::Session::open_repl(device_name) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let mut session = Repl::new(run.state());
    // Tab completes the common part; a second Tab lists every candidate (as bash does).
    let config = rustyline::Config::builder()
        .completion_type(rustyline::CompletionType::List)
        .build();
    let mut editor = match rustyline::Editor::<ReplHelper, _>::with_config(config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot start the line editor: {e}");
            return 2;
        }
    };
    // After the editor: rustyline installs its own SIGINT handler, which would swallow
    // Ctrl-C while a command runs (while it reads a line, Ctrl-C is a key, not a signal).
    run.catch_ctrl_c();
    ends_on_termination();
    editor.set_helper(Some(ReplHelper {
        docs: session.docs.clone(),
        vars: session.vars.clone(),
    }));
    let history = history_path();
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    println!(
        "ganbook {} on {} — :help lists functions, Tab completes, Ctrl-C interrupts, Ctrl-D quits",
        env!("CARGO_PKG_VERSION"),
        device::current_name()
    );
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() { ">> " } else { ".. " };
        match editor.readline(prompt) {
            Ok(line) => {
                if buffer.is_empty() && line.trim_start().starts_with(':') {
                    let _ = editor.add_history_entry(line.trim());
                    save_history(&mut editor, &history);
                    if commands::command(&mut session, line.trim()) == commands::Flow::Quit {
                        return 0;
                    }
                    continue;
                }
                buffer.push_str(&line);
                buffer.push('\n');
                if is_open(&buffer) {
                    continue;
                }
                let input = std::mem::take(&mut buffer);
                if input.trim().is_empty() {
                    continue;
                }
                let _ = editor.add_history_entry(input.trim_end());
                save_history(&mut editor, &history);
                session.eval("input", &input, true);
            }
            Err(ReadlineError::Interrupted) => buffer.clear(),
            Err(ReadlineError::Eof) => return 0,
            Err(e) => {
                eprintln!("error: {e}");
                return 1;
            }
        }
    }
}

/// Gives SIGTERM and SIGHUP back their default action: the process ends. ctrlc catches them
/// too, so that a script run stopped by `kill` or scancel still writes its run.json; the REPL
/// has no run to record (its history is saved line by line), and with them caught it would
/// wait on at its prompt.
fn ends_on_termination() {
    for signal in [libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: setting a signal's default action touches no Rust state.
        unsafe { libc::signal(signal, libc::SIG_DFL) };
    }
}

fn save_history<H: rustyline::Helper>(
    editor: &mut rustyline::Editor<H, rustyline::history::DefaultHistory>,
    path: &Option<PathBuf>,
) {
    if let Some(p) = path {
        if let Some(dir) = p.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = editor.save_history(p);
    }
}

/// True while `text` has an unclosed bracket or string (so the input goes on).
pub fn is_open(text: &str) -> bool {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(_), '\\') => {
                chars.next();
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '`' | '\'') => quote = Some(c),
            (None, '/') if chars.peek() == Some(&'/') => {
                while chars.next().is_some_and(|c| c != '\n') {}
            }
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth -= 1,
            _ => {}
        }
    }
    depth > 0 || quote.is_some()
}
