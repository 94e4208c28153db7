//! The REPL's `:` commands: `:help [name]`, `:vars`, `:load FILE`, `:reset`, `:time EXPR`,
//! `:device`, `:quit`.

use super::Repl;
use crate::script::model_fns::Model;
use crate::tensor::DynTensor;
use std::time::Instant;

#[derive(Debug, PartialEq)]
pub enum Flow {
    Continue,
    Quit,
}

pub fn command(s: &mut Repl, line: &str) -> Flow {
    let (cmd, arg) = match line.split_once(char::is_whitespace) {
        Some((c, a)) => (c, a.trim()),
        None => (line, ""),
    };
    match cmd {
        ":help" | ":h" => {
            if arg.is_empty() {
                print!("{}", s.docs.topics());
            } else {
                match s.docs.help(arg) {
                    Some(text) => println!("{text}"),
                    None => eprintln!("no function '{arg}' (:help lists them)"),
                }
            }
        }
        ":vars" => print!("{}", vars(s)),
        ":load" => match crate::session::options::read_script(std::path::Path::new(arg)) {
            Ok(text) => {
                if s.eval(arg, &text, false) {
                    println!("loaded {arg}");
                }
            }
            Err(e) => eprintln!("error: {e}"),
        },
        ":reset" => {
            s.reset();
            println!("session reset: no variables, functions or imports");
        }
        ":time" => {
            let clock = Instant::now();
            s.eval("input", arg, true);
            println!("time: {:.1} ms", clock.elapsed().as_secs_f64() * 1e3);
        }
        ":device" => println!("{}", crate::device::current_name()),
        ":quit" | ":q" | ":exit" => return Flow::Quit,
        _ => eprintln!(
            "unknown command {cmd}; commands: {}",
            super::completion::COMMANDS.join(" ")
        ),
    }
    Flow::Continue
}

/// `:vars`: one line per variable: name, type, and a shape or size where it has one.
pub fn vars(s: &Repl) -> String {
    let mut out = String::new();
    for var in crate::script::scope_vars::visible(&s.scope) {
        let (name, v) = (var.name, &var.value);
        let ty = s.engine.map_type_name(v.type_name());
        let detail = if let Some(t) = v.read_lock::<DynTensor>() {
            format!("{:?}", t.shape())
        } else if let Some(m) = v.read_lock::<Model>() {
            format!("{} params", m.state().seq.trainable_params())
        } else if v.is_array() {
            format!("{} items", v.clone().cast::<rhai::Array>().len())
        } else if v.is_map() {
            format!("{} keys", v.clone().cast::<rhai::Map>().len())
        } else if v.is_string() || v.is_int() || v.is_float() || v.is_bool() {
            v.to_string()
        } else {
            String::new()
        };
        out += &format!("{name:<12} {ty:<10} {detail}\n");
    }
    if out.is_empty() {
        out = "no variables\n".into();
    }
    out
}
