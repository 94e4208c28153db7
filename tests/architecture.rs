//! The picture in ARCHITECTURE.md, checked: the core crate never names rhai, and the imports
//! between rooms (a top-level module, or `nn/kernels`) form no loop and never point up a floor.
//! Read from the source text: `crate::x`, `super::x` and `ganbook_core::x` paths.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const CORE: &str = "crates/ganbook-core";

/// Each room's floor; a room may import rooms on its own floor or below, never above.
/// ganbook-core: 0-3; ganbook: 4-7.
const FLOORS: &[(&str, u32)] = &[
    // ground floor: errors, files, the process's settings
    ("error", 0),
    ("files", 0),
    ("tfevents", 0),
    ("heap", 0),
    ("threads", 0),
    ("memory_limit", 0),
    ("sandbox", 0),
    ("device", 0),
    ("rng", 0),
    ("tensor", 1),
    ("nn/kernels", 2),
    ("nn", 3),
    ("data", 3),
    ("checkpoint", 3),
    ("interop", 3),
    ("viz", 3),
    ("metrics", 3),
    // ganbook: what a run keeps, the bindings, the session, the front ends
    ("app:state", 4),
    ("app:crash_guard", 4),
    ("app:script", 5),
    ("app:session", 6),
    ("app:run", 7),
    ("app:notebook", 7),
    ("app:sweep", 7),
    ("app:repl", 7),
    ("app:kernel", 7),
    ("app:live", 7),
    ("app:bench", 7),
    ("app:main", 7),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a source file below `src/`: "nn/kernels/im2col.rs" -> [nn, kernels, im2col].
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

/// The room a module path belongs to ("nn/kernels" is a room of its own).
fn room(path: &[String], app: bool) -> String {
    // the core's macros live at its root
    match path.first().map(String::as_str) {
        Some("bail" | "err") => return "error".to_string(),
        Some("with_rank" | "map_rank") => return "tensor".to_string(),
        _ => {}
    }
    let name = match path {
        [] => "lib".to_string(),
        [a, b, ..] if a == "nn" && b == "kernels" => "nn/kernels".to_string(),
        [a, ..] => a.clone(),
    };
    if app { format!("app:{name}") } else { name }
}

/// The code of a file without its comments (a doc comment may name anything).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The identifiers that follow each occurrence of `prefix` in `code`: "crate::nn::Layer"
/// gives ["nn", "Layer"].
fn paths_after<'a>(code: &'a str, prefix: &str) -> Vec<Vec<&'a str>> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().last();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        let segs: Vec<&str> = rest[..end].split("::").filter(|s| !s.is_empty()).collect();
        out.push(segs);
    }
    out
}

/// Every room -> the rooms it imports, for the core (app = false) or ganbook (app = true).
fn imports(
    src: &Path,
    app: bool,
    core_modules: &BTreeSet<String>,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let rel = file.strip_prefix(src).unwrap();
        let me = module_path(rel);
        let from = room(&me, app);
        let text = code(&std::fs::read_to_string(&file).unwrap());
        let mut targets = Vec::new();
        // crate::x... (in ganbook, x may be a core module it re-exports)
        for segs in paths_after(&text, "crate::") {
            if let Some(first) = segs.first() {
                let core_target = app && core_modules.contains(*first);
                let path: Vec<String> = segs.iter().map(|s| s.to_string()).collect();
                targets.push(room(&path, app && !core_target));
            }
        }
        for segs in paths_after(&text, "ganbook_core::") {
            let path: Vec<String> = segs.iter().map(|s| s.to_string()).collect();
            if !path.is_empty() {
                targets.push(room(&path, false));
            }
        }
        // super::x: relative to the file's module (a glob `super::*` is the same file)
        for segs in paths_after(&text, "super::") {
            if segs.is_empty() || me.is_empty() {
                continue;
            }
            let mut path = me[..me.len() - 1].to_vec();
            path.extend(segs.iter().map(|s| s.to_string()));
            targets.push(room(&path, app));
        }
        let entry = graph.entry(from.clone()).or_default();
        for t in targets {
            if t != from && !t.ends_with("lib") && !t.starts_with("app:super") {
                entry.insert(t);
            }
        }
    }
    graph
}

fn floor(room: &str) -> u32 {
    FLOORS
        .iter()
        .find(|(r, _)| *r == room)
        .map(|(_, f)| *f)
        .unwrap_or_else(|| panic!("room {room} has no floor in tests/architecture.rs's FLOORS"))
}

fn core_modules() -> BTreeSet<String> {
    let lib = std::fs::read_to_string(format!("{CORE}/src/lib.rs")).unwrap();
    lib.lines()
        .filter_map(|l| l.strip_prefix("pub mod "))
        .map(|m| m.trim_end_matches(';').to_string())
        .collect()
}

fn whole_graph() -> BTreeMap<String, BTreeSet<String>> {
    let modules = core_modules();
    let mut graph = imports(Path::new(&format!("{CORE}/src")), false, &modules);
    graph.extend(imports(Path::new("src"), true, &modules));
    graph
}

#[test]
fn the_core_never_names_rhai() {
    let manifest = std::fs::read_to_string(format!("{CORE}/Cargo.toml")).unwrap();
    assert!(
        !manifest.lines().any(|l| l.trim_start().starts_with("rhai")),
        "{CORE}/Cargo.toml depends on rhai"
    );
    let mut files = Vec::new();
    rust_files(Path::new(&format!("{CORE}/src")), &mut files);
    assert!(files.len() > 50, "core sources not found");
    for f in files {
        let text = code(&std::fs::read_to_string(&f).unwrap());
        assert!(
            !text.contains("rhai") && !text.contains("Rhai"),
            "{} names rhai",
            f.display()
        );
    }
}

#[test]
fn no_room_imports_a_room_above_it() {
    let mut wrong = Vec::new();
    for (from, tos) in whole_graph() {
        for to in tos {
            if floor(&to) > floor(&from) {
                wrong.push(format!(
                    "{from} (floor {}) -> {to} (floor {})",
                    floor(&from),
                    floor(&to)
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports pointing up:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_rooms_import_each_other_without_loops() {
    let graph = whole_graph();
    // depth-first search; a grey node met again closes a loop
    fn visit<'a>(
        n: &'a str,
        g: &'a BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<&'a str, u8>,
        stack: &mut Vec<&'a str>,
        loops: &mut Vec<String>,
    ) {
        state.insert(n, 1);
        stack.push(n);
        for m in g.get(n).into_iter().flatten() {
            match state.get(m.as_str()) {
                Some(1) => {
                    let i = stack.iter().position(|s| s == m).unwrap();
                    loops.push(format!("{} -> {m}", stack[i..].join(" -> ")));
                }
                Some(_) => {}
                None => visit(m, g, state, stack, loops),
            }
        }
        stack.pop();
        state.insert(n, 2);
    }
    let (mut state, mut loops) = (BTreeMap::new(), Vec::new());
    for n in graph.keys() {
        if !state.contains_key(n.as_str()) {
            visit(n, &graph, &mut state, &mut Vec::new(), &mut loops);
        }
    }
    assert!(
        loops.is_empty(),
        "import loops between rooms:\n{}",
        loops.join("\n")
    );
}
