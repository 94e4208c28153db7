//! A training step written as a bench script (benches/*.rhai): the part before the line
//! `// %% step` builds models and optimizers once; the part after it is one step.

use crate::err;
use crate::error::Result;
use crate::state::RunState;
use rhai::{AST, Dynamic, Engine, Scope};
use std::collections::BTreeMap;

pub struct ScriptStep {
    engine: Engine,
    scope: Scope<'static>,
    step: AST,
}

impl ScriptStep {
    /// Compiles the script and runs its setup part.
    pub fn new(name: &str, source: &str) -> Result<ScriptStep> {
        Self::with_params(name, source, BTreeMap::new())
    }

    /// As [`ScriptStep::new`], with `param(...)` values (`--set`'s) for the script.
    pub fn with_params(
        name: &str,
        source: &str,
        params: BTreeMap<String, String>,
    ) -> Result<ScriptStep> {
        let ctx = RunState::new(params, std::path::PathBuf::from("outputs"));
        let mut engine = crate::script::engine(&ctx);
        // `import "models"`: the stdlib, as a script in the current folder would see it
        engine.set_module_resolver(crate::script::modules::Resolver::new(std::path::Path::new(
            ".",
        )));
        let (setup_src, step_src) = source
            .split_once("\n// %% step\n")
            .ok_or_else(|| err!("bench script {name} lacks its '// %% step' line"))?;
        let fail = |e: &dyn std::fmt::Display| err!("bench script {name}: {e}");
        let setup = engine.compile(setup_src).map_err(|e| fail(&e))?;
        let step = engine.compile(step_src).map_err(|e| fail(&e))?;
        let mut scope = Scope::new();
        engine
            .run_ast_with_scope(&mut scope, &setup)
            .map_err(|e| fail(&e))?;
        Ok(ScriptStep {
            engine,
            scope,
            step,
        })
    }

    /// Runs one step; returns the step script's last value (the generator loss).
    /// The step's own `let` variables are dropped after it, as a loop body's would be (kept,
    /// they piled up in the scope: a megabyte of tensors per DCGAN step).
    pub fn step(&mut self) -> Result<f64> {
        let setup_len = self.scope.len();
        let v = self
            .engine
            .eval_ast_with_scope::<Dynamic>(&mut self.scope, &self.step);
        self.scope.rewind(setup_len);
        let v = v.map_err(|e| err!("bench step: {e}"))?;
        Ok(v.as_float().unwrap_or(f64::NAN))
    }
}
