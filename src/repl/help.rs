//! What the REPL knows about script functions, from Rhai's metadata: signatures and doc
//! comments (`def`'s doc text) for `:help`, and names and receiver types for completion.

use rhai::Engine;
use std::collections::BTreeMap;

pub struct FnDoc {
    pub name: String,
    /// Parameter types as Rhai writes them, `&mut` and paths removed (`Model`, `Tensor`).
    pub params: Vec<String>,
    pub doc: Vec<String>,
}

pub struct Docs {
    pub fns: Vec<FnDoc>,
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
        Docs { fns }
    }

    /// Callable names (properties `get$x` as `x`), sorted, without operators.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .fns
            .iter()
            .map(|f| f.name.trim_start_matches("get$").to_string())
            .filter(|n| n.starts_with(|c: char| c.is_alphabetic() || c == '_') && !n.contains('$'))
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
            .map(|f| f.name.trim_start_matches("get$").to_string())
            .filter(|n| n.starts_with(|c: char| c.is_alphabetic() || c == '_') && !n.contains('$'))
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// `:help name`: every overload's signature and doc text.
    pub fn help(&self, name: &str) -> Option<String> {
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

    /// `:help` alone: function names by topic.
    pub fn topics(&self) -> String {
        let topics = crate::script::TOPICS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut by: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for n in self.names() {
            let key = topics.get(&n).copied().unwrap_or("other");
            by.entry(key).or_default().push(n);
        }
        let mut s = String::from(
            "commands: :help [name]  :vars  :load FILE  :reset  :time EXPR  :device  :quit\n",
        );
        for (t, names) in by {
            s += &format!("{t}: {}\n", names.join(" "));
        }
        s
    }
}
