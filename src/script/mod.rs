//! The Rhai bindings: one file per concept, each a thin layer over the core.

pub mod augment_fns;
pub mod block_fns;
pub mod checkpoint_fns;
pub mod convert;
pub mod critic_map;
pub mod data_fns;
pub mod dataset_fns;
pub mod ema_fns;
pub mod errors;
pub mod inception_fns;
pub mod index_fns;
pub mod layer_fns;
pub mod live_fns;
pub mod loss_fns;
pub mod metrics_fns;
pub mod model_fns;
pub mod modules;
pub mod optim_fns;
pub mod output_fns;
pub mod parse_hints;
pub mod positional_options;
pub mod probe_fns;
pub mod pytorch_fns;
pub mod run_fns;
pub mod scope_vars;
pub mod set_check;
pub mod show;
pub mod teach_fns;
pub mod tensor_fns;
pub mod toy_fns;

use crate::state::RunState;
use rhai::{Dynamic, Engine, FuncRegistration, RhaiNativeFunc, Variant};
use std::sync::Arc;

/// Registers a script function with its doc text (first line: the signature), which the
/// REPL's `:help` shows.
pub fn def<A: 'static, const N: usize, const X: bool, R: Variant + Clone, const F: bool>(
    engine: &mut Engine,
    name: &str,
    doc: &str,
    func: impl RhaiNativeFunc<A, N, X, R, F> + Send + Sync + 'static,
) {
    TOPICS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(name.trim_start_matches("get$").to_string(), current_topic());
    FuncRegistration::new(name)
        .with_comments(convert::doc_lines(doc))
        .register_into_engine(engine, func);
}

/// Script function name -> the topic it was registered under (for `:help`).
pub static TOPICS: std::sync::Mutex<std::collections::BTreeMap<String, &'static str>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

std::thread_local! {
    static TOPIC: std::cell::Cell<&'static str> = const { std::cell::Cell::new("other") };
}

fn current_topic() -> &'static str {
    TOPIC.with(|t| t.get())
}

fn topic(name: &'static str, e: &mut Engine, register: impl FnOnce(&mut Engine)) {
    TOPIC.with(|t| t.set(name));
    register(e);
    TOPIC.with(|t| t.set("other"));
}

/// An engine with every ganbook function, reading `--set` values from `ctx` and stopping
/// when its interrupt flag is raised.
pub fn engine(ctx: &Arc<RunState>) -> Engine {
    let mut e = Engine::new();
    e.set_max_expr_depths(256, 256);
    e.set_max_call_levels(256);
    e.set_max_string_size(64 << 20);
    e.set_max_array_size(16 << 20);
    e.set_max_map_size(1 << 20);
    let c = ctx.clone();
    e.on_print(move |s| c.print_line(s));
    let flag = ctx.interrupt_flag();
    e.on_progress(move |_| {
        flag.load(std::sync::atomic::Ordering::Relaxed)
            .then(|| Dynamic::from("interrupted by Ctrl-C"))
    });
    // Rhai reserves `eval`; scripts say `m.eval()` as in PyTorch, so the word is read as
    // `eval_mode` (which also keeps Rhai's own code-evaluating `eval` out of scripts).
    #[allow(deprecated)] // volatile, not deprecated: rhai marks it so
    // Rhai also reserves `var` (unused); `x.var()` is PyTorch's variance, so it is a name.
    e.on_parse_token(|token, _, _| match &token {
        rhai::Token::Reserved(word) if word.as_str() == "eval" => {
            rhai::Token::Identifier(Box::new("eval_mode".into()))
        }
        rhai::Token::Reserved(word) if word.as_str() == "var" => {
            rhai::Token::Identifier(Box::new("var".into()))
        }
        _ => token,
    });
    topic("tensors", &mut e, tensor_fns::register);
    topic("tensors", &mut e, pytorch_fns::register);
    topic("tensors", &mut e, index_fns::register);
    topic("layers", &mut e, layer_fns::register);
    topic("layers", &mut e, block_fns::register);
    topic("layers", &mut e, positional_options::register);
    topic("models", &mut e, model_fns::register);
    topic("models", &mut e, ema_fns::register);
    topic("optimizers", &mut e, |e| optim_fns::register(e, ctx));
    topic("losses", &mut e, loss_fns::register);
    topic("data", &mut e, toy_fns::register);
    topic("data", &mut e, augment_fns::register);
    topic("runs", &mut e, |e| run_fns::register(e, ctx));
    topic("outputs", &mut e, |e| output_fns::register(e, ctx));
    topic("teaching", &mut e, |e| teach_fns::register(e, ctx));
    topic("teaching", &mut e, |e| live_fns::register(e, ctx));
    topic("checkpoints", &mut e, |e| checkpoint_fns::register(e, ctx));
    topic("data", &mut e, |e| data_fns::register(e, ctx));
    topic("metrics", &mut e, |e| metrics_fns::register(e, ctx));
    topic("metrics", &mut e, |e| probe_fns::register(e, ctx));
    topic("metrics", &mut e, |e| inception_fns::register(e, ctx));
    e
}

/// An engine for tests and benchmarks with an empty context.
pub fn bare_engine() -> (Engine, Arc<RunState>) {
    let ctx = RunState::new(Default::default(), std::path::PathBuf::from("outputs"));
    (engine(&ctx), ctx)
}
