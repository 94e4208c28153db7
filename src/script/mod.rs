//! The Rhai bindings: one file per concept, each a thin layer over the core.

pub mod checkpoint_fns;
pub mod context;
pub mod convert;
pub mod data_fns;
pub mod dataset_fns;
pub mod layer_fns;
pub mod loss_fns;
pub mod metrics_fns;
pub mod model_fns;
pub mod optim_fns;
pub mod output_fns;
pub mod run_fns;
pub mod show;
pub mod teach_fns;
pub mod tensor_fns;
pub mod toy_fns;

use context::Context;
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
    FuncRegistration::new(name)
        .with_comments(convert::doc_lines(doc))
        .register_into_engine(engine, func);
}

/// An engine with every ganbook function, reading `--set` values from `ctx` and stopping
/// when its interrupt flag is raised.
pub fn engine(ctx: &Arc<Context>) -> Engine {
    let mut e = Engine::new();
    e.set_max_expr_depths(256, 256);
    e.set_max_call_levels(256);
    e.set_max_string_size(64 << 20);
    e.set_max_array_size(16 << 20);
    e.set_max_map_size(1 << 20);
    let flag = ctx.interrupt.clone();
    e.on_progress(move |_| {
        flag.load(std::sync::atomic::Ordering::Relaxed)
            .then(|| Dynamic::from("interrupted by Ctrl-C"))
    });
    // Rhai reserves `eval`; scripts say `m.eval()` as in PyTorch, so the word is read as
    // `eval_mode` (which also keeps Rhai's own code-evaluating `eval` out of scripts).
    #[allow(deprecated)] // volatile, not deprecated: rhai marks it so
    e.on_parse_token(|token, _, _| match &token {
        rhai::Token::Reserved(word) if word.as_str() == "eval" => {
            rhai::Token::Identifier(Box::new("eval_mode".into()))
        }
        _ => token,
    });
    tensor_fns::register(&mut e);
    layer_fns::register(&mut e);
    model_fns::register(&mut e);
    optim_fns::register(&mut e);
    loss_fns::register(&mut e);
    toy_fns::register(&mut e);
    run_fns::register(&mut e, ctx);
    output_fns::register(&mut e, ctx);
    teach_fns::register(&mut e, ctx);
    checkpoint_fns::register(&mut e, ctx);
    data_fns::register(&mut e, ctx);
    metrics_fns::register(&mut e, ctx);
    e
}
