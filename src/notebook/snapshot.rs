//! The state a notebook cell leaves behind, deep-copied so that later cells cannot change it:
//! the variables (models and optimizers copied together, each optimizer copy pointing at the
//! copies of its models), the script's functions and imports, the RNG, the step and the log.

use crate::rng;
use crate::script::model_fns::Model;
use crate::script::optim_fns::{Opt, OptState};
use crate::state::RunState;
use crate::state::logbook::Row;
use rhai::{AST, Array, Dynamic, Map, Scope};
use std::sync::{Arc, Mutex};

pub struct State {
    scope: Scope<'static>,
    pub functions: AST,
    /// `import "..." as ...;` statements run so far, replayed before every later cell.
    pub imports: Vec<String>,
    rng: rng::State,
    step: Option<i64>,
    rows: Vec<Row>,
    keys: Vec<String>,
}

/// A live session: what cells run in.
pub struct Live {
    pub scope: Scope<'static>,
    pub functions: AST,
    pub imports: Vec<String>,
}

impl State {
    /// The state before the first cell: nothing defined, the RNG as it is now.
    pub fn initial(ctx: &RunState) -> State {
        State::capture(&Scope::new(), &AST::empty(), &[], ctx)
    }

    /// A deep copy of `scope` and the session's RNG, step and log.
    pub fn capture(scope: &Scope, functions: &AST, imports: &[String], ctx: &RunState) -> State {
        let (step, rows, keys) = ctx.log_snapshot();
        State {
            scope: deep_copy_scope(scope),
            functions: functions.clone(),
            imports: imports.to_vec(),
            rng: rng::state(),
            step,
            rows,
            keys,
        }
    }

    /// Puts the RNG, step and log back and returns a fresh deep copy of the variables to run
    /// in (the snapshot itself stays as it was, ready for the next re-run).
    pub fn restore(&self, ctx: &RunState) -> crate::error::Result<Live> {
        rng::restore(&self.rng)?;
        ctx.restore_log(self.step, self.rows.clone(), self.keys.clone());
        Ok(Live {
            scope: deep_copy_scope(&self.scope),
            functions: self.functions.clone(),
            imports: self.imports.clone(),
        })
    }

    pub fn scope(&self) -> &Scope<'static> {
        &self.scope
    }
}

/// Copies every visible variable (the newest `let` of each name); models and optimizers reached twice stay shared in the copy as
/// they were in the original (`let H = G;`, an optimizer over G).
pub fn deep_copy_scope(scope: &Scope) -> Scope<'static> {
    let mut c = Copier::default();
    let mut out = Scope::new();
    for var in crate::script::scope_vars::visible(scope) {
        let v = c.value(&var.value);
        if var.constant {
            out.push_constant_dynamic(var.name, v);
        } else {
            out.push_dynamic(var.name, v);
        }
    }
    out
}

#[derive(Default)]
struct Copier {
    models: Vec<(Model, Model)>,
    opts: Vec<(Opt, Opt)>,
}

impl Copier {
    fn model(&mut self, m: &Model) -> Model {
        if let Some((_, copy)) = self.models.iter().find(|(o, _)| o.same(m)) {
            return copy.clone();
        }
        let copy = {
            let s = m.state();
            let copy = Model::new(s.seq.snapshot_copy());
            copy.state().training = s.training;
            copy.state().frozen = s.frozen;
            copy.state().ema_decay = s.ema_decay;
            copy
        };
        self.models.push((m.clone(), copy.clone()));
        copy
    }

    fn opt(&mut self, o: &Opt) -> Opt {
        if let Some((_, copy)) = self.opts.iter().find(|(x, _)| Arc::ptr_eq(&x.0, &o.0)) {
            return copy.clone();
        }
        let (optimizer, models) = {
            let st = o.0.lock().unwrap_or_else(|p| p.into_inner());
            (st.optimizer.duplicate(), st.models.clone())
        };
        let models = models.iter().map(|m| self.model(m)).collect();
        let copy = Opt(Arc::new(Mutex::new(OptState { optimizer, models })));
        self.opts.push((o.clone(), copy.clone()));
        copy
    }

    fn value(&mut self, v: &Dynamic) -> Dynamic {
        if let Some(m) = v.clone().try_cast::<Model>() {
            return Dynamic::from(self.model(&m));
        }
        if let Some(o) = v.clone().try_cast::<Opt>() {
            return Dynamic::from(self.opt(&o));
        }
        if v.is_array() {
            let a = v.clone().cast::<Array>();
            return Dynamic::from_array(a.iter().map(|x| self.value(x)).collect());
        }
        if v.is_map() {
            let m = v.clone().cast::<Map>();
            return Dynamic::from_map(m.iter().map(|(k, x)| (k.clone(), self.value(x))).collect());
        }
        v.clone()
    }
}
