//! The variables a scope shows: one per name, the value of its latest `let`.
//!
//! Every `let x = ...` pushes a new entry onto a Rhai [`Scope`] and lookups find the newest,
//! so a session that lives across many inputs (the REPL, the notebook's snapshots) collects
//! shadowed entries. Copying or compacting such a scope must keep the newest entry of each
//! name, whatever order `Scope::iter_raw` walks in (rhai 1.27 walks it newest first).

use rhai::{Dynamic, Scope};

/// One variable: its name, whether it is a constant, and its (newest) value.
pub struct Var {
    pub name: String,
    pub constant: bool,
    pub value: Dynamic,
}

/// The visible variables of `scope`, in the order their names were first defined; each with
/// the value a lookup of its name finds (shared values stay shared, not copied).
pub fn visible(scope: &Scope) -> Vec<Var> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (name, _, _) in scope.iter() {
        if !seen.insert(name.to_string()) {
            continue;
        }
        // `get` and `is_constant` search from the newest entry, as the engine's lookup does.
        let (Some(value), Some(constant)) = (scope.get(name), scope.is_constant(name)) else {
            continue;
        };
        out.push(Var {
            name: name.to_string(),
            constant,
            value: value.clone(),
        });
    }
    out
}

/// Drops the entries that a later `let` of the same name hides, so a long session keeps only
/// the values it can still reach. Lookups find the same values before and after.
pub fn drop_shadowed(scope: &mut Scope<'static>) {
    let vars = visible(scope);
    if vars.len() == scope.len() {
        return;
    }
    scope.clear();
    for v in vars {
        if v.constant {
            scope.push_constant_dynamic(v.name, v.value);
        } else {
            scope.push_dynamic(v.name, v.value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_binding_of_each_name() {
        let mut s = Scope::new();
        s.push("a", 1_i64).push("b", 2_i64).push("a", 3_i64);
        s.push_constant("c", 4_i64).push("c", 5_i64);
        drop_shadowed(&mut s);
        assert_eq!(s.len(), 3);
        assert_eq!(s.get_value::<i64>("a"), Some(3));
        assert_eq!(s.get_value::<i64>("b"), Some(2));
        assert_eq!(s.get_value::<i64>("c"), Some(5));
        assert_eq!(s.is_constant("c"), Some(false));
        let names: Vec<_> = visible(&s).into_iter().map(|v| v.name).collect();
        assert_eq!(names, ["a", "b", "c"]);
    }
}
