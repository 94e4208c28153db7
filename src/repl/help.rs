//! What the REPL knows about script functions, from Rhai's metadata: signatures and doc
//! comments (`def`'s doc text) for `:help`, and names and receiver types for completion.

use rhai::Engine;
use std::collections::{BTreeMap, BTreeSet};

pub struct FnDoc {
    pub name: String,
    /// Parameter types as Rhai writes them, `&mut` and paths removed (`Model`, `Tensor`).
    pub params: Vec<String>,
    pub doc: Vec<String>,
}

pub struct Docs {
    pub fns: Vec<FnDoc>,
}

/// Names a user never types: property setters and indexers (`o.lr = v` is documented with
/// the property) and the hooks Rhai calls for `print` and `debug`.
fn is_internal(name: &str) -> bool {
    (name.contains('$') && !name.starts_with("get$")) || matches!(name, "to_string" | "to_debug")
}

/// How `:help` and completion show a function: a property `get$lr` as `lr`; None for
/// operators and internals.
fn shown_name(name: &str) -> Option<&str> {
    let n = name.strip_prefix("get$").unwrap_or(name);
    (!is_internal(name) && n.starts_with(|c: char| c.is_alphabetic() || c == '_')).then_some(n)
}

fn short_type(t: &str) -> String {
    let t = t.trim().trim_start_matches("&mut ").trim_start_matches('&');
    t.rsplit("::").next().unwrap_or(t).to_string()
}

impl Docs {
    pub fn new(engine: &Engine) -> Docs {
        let json = engine.gen_fn_metadata_to_json(false).unwrap_or_default();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
        let mut fns = Vec::new();
        for f in v["functions"].as_array().into_iter().flatten() {
            let Some(name) = f["name"].as_str() else {
                continue;
            };
            let params = f["params"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| short_type(p["type"].as_str().unwrap_or("?")))
                .collect();
            let doc = f["docComments"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| d.as_str())
                .flat_map(|d| d.lines())
                .map(|l| l.trim_start_matches("///").trim().to_string())
                .collect();
            fns.push(FnDoc {
                name: name.to_string(),
                params,
                doc,
            });
        }
        // Rhai's metadata comes in hash order: sorted, `:help` lists overloads the same way
        // every time
        fns.sort_by(|a, b| (&a.name, &a.params).cmp(&(&b.name, &b.params)));
        Docs { fns }
    }

    /// Callable names (properties `get$x` as `x`), sorted, without operators and internals.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .fns
            .iter()
            .filter_map(|f| shown_name(&f.name).map(str::to_string))
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// Methods and properties callable on a value of type `ty` (`x.forward(...)`, `o.lr`).
    pub fn methods_for(&self, ty: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .fns
            .iter()
            .filter(|f| f.params.first().is_some_and(|p| p == ty))
            .filter_map(|f| shown_name(&f.name).map(str::to_string))
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// `:help name`: every overload's signature and doc text (`.lr` or `lr` for a property).
    pub fn help(&self, name: &str) -> Option<String> {
        let name = name.trim_start_matches('.');
        let mut out: Vec<String> = Vec::new();
        for f in &self.fns {
            let n = f.name.trim_start_matches("get$").trim_start_matches("set$");
            if n == name && !f.doc.is_empty() {
                let text = f.doc.join("\n  ");
                if !out.contains(&text) {
                    out.push(text);
                }
            }
        }
        (!out.is_empty()).then(|| out.join("\n"))
    }

    /// `:help` alone: function names by topic, properties as `.name`.
    pub fn topics(&self) -> String {
        let topics = crate::script::TOPICS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut by: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
        for f in &self.fns {
            let Some(n) = shown_name(&f.name) else {
                continue;
            };
            let shown = if f.name.starts_with("get$") {
                format!(".{n}")
            } else {
                n.to_string()
            };
            let key = topics.get(n).copied().unwrap_or("other");
            by.entry(key).or_default().insert(shown);
        }
        let mut s = String::from(
            "commands: :help [name]  :vars  :load FILE  :reset  :time EXPR  :device  :quit\n",
        );
        for (t, names) in by {
            let names: Vec<_> = names.into_iter().collect();
            s += &format!("{t}: {}\n", names.join(" "));
        }
        s
    }
}
