//! `--set` names checked before a run starts: the names of the `param("name", ...)` calls in
//! the script and in the modules it imports, found in their syntax trees. A `--set` name no
//! call has is refused with the closest one suggested. Where a call's name (or an import's
//! path) is computed, the names cannot be known beforehand; the run then warns about a
//! `--set` it never read.

use crate::error::Result;
use crate::sandbox::Sandbox;
use crate::script::modules::Resolver;
use crate::state::RunState;
use crate::{bail, err};
use rhai::{AST, ASTNode, Engine, Expr, FnCallExpr, Stmt};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The `param` names a script can read.
#[derive(Debug, Default, PartialEq)]
pub struct ParamNames {
    pub names: BTreeSet<String>,
    /// Whether some name (or the path of an imported module) is not a literal string.
    pub dynamic: bool,
}

/// The `param` names of `ast` and of the modules it imports, found by `resolver` and parsed
/// by `engine` (a module that cannot be read or parsed makes the names `dynamic`).
pub fn param_names(engine: &Engine, ast: &AST, resolver: &Resolver) -> ParamNames {
    let mut found = ParamNames::default();
    let mut imports = Vec::new();
    scan(ast, &mut found, &mut imports);
    let mut seen = BTreeSet::new();
    while let Some(module) = imports.pop() {
        if !seen.insert(module.clone()) {
            continue;
        }
        match resolver
            .readable_text(&module)
            .and_then(|text| engine.compile(text).ok())
        {
            Some(ast) => scan(&ast, &mut found, &mut imports),
            None => found.dynamic = true,
        }
    }
    found
}

/// Adds the `param` names of `ast` (its functions included) to `found` and its imports'
/// paths to `imports`.
fn scan(ast: &AST, found: &mut ParamNames, imports: &mut Vec<String>) {
    ast.walk(&mut |path: &[ASTNode]| {
        match path.last() {
            Some(ASTNode::Stmt(Stmt::FnCall(call, _)))
            | Some(ASTNode::Expr(Expr::FnCall(call, _))) => note_call(call, found),
            // `"steps".param(10)`: rare, and not worth following
            Some(ASTNode::Expr(Expr::MethodCall(call, _))) if call.name == "param" => {
                found.dynamic = true
            }
            Some(ASTNode::Stmt(Stmt::Import(import, _))) => match &import.0 {
                Expr::StringConstant(s, _) => imports.push(s.to_string()),
                _ => found.dynamic = true,
            },
            _ => {}
        }
        true
    });
}

fn note_call(call: &FnCallExpr, found: &mut ParamNames) {
    if call.name != "param" || !call.namespace.is_empty() {
        return;
    }
    match call.args.first() {
        Some(Expr::StringConstant(s, _)) => {
            found.names.insert(s.to_string());
        }
        _ => found.dynamic = true,
    }
}

/// Refuses a `--set` name of `sets` that no `param` call of the script `source` (in
/// `script_dir`, importing what `sandbox` lets it read) or its modules has. A script that
/// does not parse passes: the run reports its syntax error with the line.
pub fn check_script(
    source: &str,
    sets: &BTreeMap<String, String>,
    script_dir: &Path,
    sandbox: Sandbox,
) -> Result<()> {
    if sets.is_empty() {
        return Ok(());
    }
    let ctx = RunState::new(BTreeMap::new(), PathBuf::from("outputs"));
    let engine = crate::script::engine(&ctx);
    let Ok(ast) = engine.compile(source) else {
        return Ok(());
    };
    let resolver = Resolver::sandboxed(script_dir, sandbox);
    check(sets, &param_names(&engine, &ast, &resolver))
}

/// Refuses a `--set` name that no `param` call of the script has.
pub fn check(sets: &BTreeMap<String, String>, params: &ParamNames) -> Result<()> {
    if params.dynamic {
        return Ok(());
    }
    let Some(name) = sets.keys().find(|k| !params.names.contains(*k)) else {
        return Ok(());
    };
    if params.names.is_empty() {
        bail!("--set {name}: the script has no param(\"{name}\", ...); it reads no params at all");
    }
    let list = params.names.iter().cloned().collect::<Vec<_>>().join(", ");
    let hint = closest(name, &params.names)
        .map(|c| format!("; did you mean {c}?"))
        .unwrap_or_default();
    Err(err!(
        "--set {name}: the script has no param(\"{name}\", ...){hint} (its params: {list})"
    ))
}

/// The name nearest to `name` by edit distance, if it is near enough to be a typo.
fn closest<'a>(name: &str, names: &'a BTreeSet<String>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    names
        .iter()
        .map(|n| (edit_distance(&lower, &n.to_lowercase()), n))
        .filter(|(d, n)| *d <= 2.max(n.chars().count() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n.as_str())
}

/// Levenshtein distance: the fewest insertions, deletions and substitutions from `a` to `b`.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_of(src: &str) -> ParamNames {
        let (engine, _ctx) = crate::script::bare_engine();
        let ast = engine.compile(src).unwrap();
        param_names(&engine, &ast, &Resolver::new(std::path::Path::new(".")))
    }

    #[test]
    fn finds_literal_names_in_statements_expressions_and_functions() {
        let p = names_of(
            "let a = param(\"steps\", 10);\nparam(\"seed\", 1);\nfn f() { param(\"lr\", 0.1) }\nlet g = |x| x + param(\"batch\", 2);",
        );
        assert!(!p.dynamic);
        assert_eq!(
            p.names.into_iter().collect::<Vec<_>>(),
            ["batch", "lr", "seed", "steps"]
        );
    }

    #[test]
    fn a_computed_name_or_module_path_makes_the_names_dynamic() {
        assert!(names_of("let n = \"steps\"; param(n, 1);").dynamic);
        assert!(names_of("param(`s${1}`, 1);").dynamic);
        assert!(names_of("let m = \"toy\"; import m as t;").dynamic);
        assert!(names_of("import \"no_such_module_here\" as t;").dynamic);
        // another module's function of that name is not ganbook's param
        assert!(!names_of("import \"toy\" as t; let x = 1;").dynamic);
    }

    #[test]
    fn a_typo_is_refused_with_the_closest_name() {
        let p = names_of("param(\"steps\", 1); param(\"every\", 2);");
        let sets = |k: &str| BTreeMap::from([(k.to_string(), "5".to_string())]);
        let e = check(&sets("stepz"), &p).unwrap_err().to_string();
        assert!(
            e.contains("no param(\"stepz\", ...); did you mean steps?"),
            "{e}"
        );
        assert!(e.contains("(its params: every, steps)"), "{e}");
        let e = check(&sets("zzzzzzzz"), &p).unwrap_err().to_string();
        assert!(!e.contains("did you mean"), "{e}");
        assert!(check(&sets("every"), &p).is_ok());
        let dynamic = ParamNames {
            dynamic: true,
            ..Default::default()
        };
        assert!(check(&sets("anything"), &dynamic).is_ok());
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("stepz", "steps"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("lr_d", "lr"), 2);
    }
}
