//! Where `import "name" as x;` finds its module: `name.rhai` beside the script, then in
//! `./stdlib/`, then the modules compiled into the binary. Nothing is cached, so an edited
//! module is read again by the next import.

use rhai::{Engine, EvalAltResult, Module, ModuleResolver, Position, Scope};

type SharedModule = std::sync::Arc<Module>;
use std::path::{Path, PathBuf};

/// The modules of `stdlib/` compiled into the binary: (name, source).
pub const BUILTIN: &[(&str, &str)] = &[
    ("dtn", include_str!("../../stdlib/dtn.rhai")),
    ("gan", include_str!("../../stdlib/gan.rhai")),
    ("models", include_str!("../../stdlib/models.rhai")),
    ("toy", include_str!("../../stdlib/toy.rhai")),
];

pub struct Resolver {
    script_dir: PathBuf,
    sandbox: crate::sandbox::Sandbox,
}

impl Resolver {
    /// A resolver that may read any module file (REPL, notebook).
    pub fn new(script_dir: &Path) -> Resolver {
        Resolver::sandboxed(script_dir, crate::sandbox::Sandbox::permissive())
    }

    /// A resolver that refuses module files the sandbox does not let the script read.
    pub fn sandboxed(script_dir: &Path, sandbox: crate::sandbox::Sandbox) -> Resolver {
        Resolver {
            script_dir: script_dir.to_path_buf(),
            sandbox,
        }
    }

    /// The file an import of `name` reads, if one exists (None: built in, or missing).
    pub fn locate(&self, name: &str) -> Option<PathBuf> {
        let file = if name.ends_with(".rhai") {
            name.to_string()
        } else {
            format!("{name}.rhai")
        };
        [self.script_dir.join(&file), Path::new("stdlib").join(&file)]
            .into_iter()
            .find(|p| p.is_file())
    }

    /// The module's text as an import would read it now.
    pub fn text(&self, name: &str) -> Option<String> {
        match self.locate(name) {
            Some(p) => std::fs::read_to_string(p).ok(),
            None => BUILTIN
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, s)| s.to_string()),
        }
    }

    /// As [`Resolver::text`], None for a file the sandbox does not let the script read.
    pub fn readable_text(&self, name: &str) -> Option<String> {
        if let Some(file) = self.locate(name) {
            self.sandbox.read(&file).ok()?;
        }
        self.text(name)
    }
}

impl ModuleResolver for Resolver {
    fn resolve(
        &self,
        engine: &Engine,
        _source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<SharedModule, Box<EvalAltResult>> {
        if let Some(file) = self.locate(path) {
            self.sandbox.read(&file).map_err(|e| {
                Box::new(EvalAltResult::ErrorRuntime(
                    format!("import \"{path}\": {e}").into(),
                    pos,
                ))
            })?;
        }
        let text = self
            .text(path)
            .ok_or_else(|| Box::new(EvalAltResult::ErrorModuleNotFound(path.into(), pos)))?;
        let in_module =
            |e: Box<EvalAltResult>| Box::new(EvalAltResult::ErrorInModule(path.into(), e, pos));
        let mut ast = engine.compile(&text).map_err(|e| in_module(e.into()))?;
        ast.set_source(path);
        Module::eval_ast_as_new(Scope::new(), &ast, engine)
            .map(Into::into)
            .map_err(in_module)
    }
}
