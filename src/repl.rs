//! `ganbook` with no command: a read-eval-print loop. Variables and functions persist
//! across inputs; input continues on the next line while brackets or strings are open.

use crate::script::{self, context::Context, show::show};
use crate::{device, run};
use rhai::{AST, Dynamic, Scope};
use rustyline::error::ReadlineError;
use std::collections::BTreeMap;
use std::path::PathBuf;

pub fn repl(device_name: &str) -> i32 {
    if let Err(e) = device::select(device_name) {
        eprintln!("error: {e}");
        return 2;
    }
    let ctx = Context::new(BTreeMap::new(), PathBuf::from("outputs/repl"));
    let flag = ctx.interrupt.clone();
    let _ = ctrlc::set_handler(move || flag.store(true, std::sync::atomic::Ordering::Relaxed));
    let engine = script::engine(&ctx);
    let mut scope = Scope::new();
    let mut functions = AST::empty();
    let mut editor = match rustyline::DefaultEditor::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: cannot start the line editor: {e}");
            return 2;
        }
    };
    println!(
        "ganbook {} on {} — Ctrl-C interrupts, Ctrl-D quits",
        env!("CARGO_PKG_VERSION"),
        device::current_name()
    );
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() { ">> " } else { ".. " };
        match editor.readline(prompt) {
            Ok(line) => {
                buffer.push_str(&line);
                buffer.push('\n');
                if is_open(&buffer) {
                    continue;
                }
                let input = std::mem::take(&mut buffer);
                let _ = editor.add_history_entry(input.trim_end());
                ctx.clear_interrupt();
                match engine.compile_with_scope(&scope, &input) {
                    Err(e) => eprintln!("{}", run::format_parse_error("input", &e).0),
                    Ok(ast) => {
                        functions = functions.merge(&ast.clone_functions_only());
                        let program = functions.merge(&ast);
                        match engine.eval_ast_with_scope::<Dynamic>(&mut scope, &program) {
                            Ok(v) if v.is_unit() => {}
                            Ok(v) => println!("{}", show(&v)),
                            Err(e) => eprintln!("{}", run::format_eval_error("input", &e).0),
                        }
                    }
                }
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
