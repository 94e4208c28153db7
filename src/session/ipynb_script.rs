//! A Jupyter notebook (`.ipynb`) read as a script, so that `ganbook run notebook.ipynb` runs a
//! notebook written in JupyterLab (or one a run left behind): its code cells, in order, become
//! `// %%` cells; markdown and raw cells are skipped, except that a markdown cell of one
//! heading line right above a code cell is that cell's title, and the markdown before the
//! first code cell is the script's header comment. Blank code cells are left out.
//!
//! Line numbers in the errors of a notebook's run are those of the script made here (a cell's
//! marker line, then its code), not positions in the .ipynb file.

use crate::err;
use crate::error::Result;
use nbformat::v4::{Cell, Notebook};
use std::path::Path;

/// The language notebooks for ganbook's kernel declare.
const LANGUAGE: &str = "rhai";

/// Whether `path` names a notebook (by its extension, `.ipynb`).
pub fn is_notebook(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("ipynb"))
}

/// The script of the notebook at `path`, or an error naming the file.
pub fn script_from_ipynb(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| err!("cannot read notebook {}: {e}", path.display()))?;
    script_from_text(&text).map_err(|e| err!("notebook {}: {e}", path.display()))
}

/// The script of a notebook's text (errors do not name the file: [`script_from_ipynb`] adds it).
pub fn script_from_text(text: &str) -> Result<String> {
    let nb = parse(text)?;
    check_language(&nb)?;
    Ok(script(&nb.cells))
}

/// Any notebook format nbformat reads (4.0 to 4.5, 3), as 4.5.
fn parse(text: &str) -> Result<Notebook> {
    let parsed =
        nbformat::parse_notebook(text).map_err(|e| err!("not a Jupyter notebook ({e})"))?;
    match parsed {
        nbformat::Notebook::V4(nb) => Ok(nb),
        nbformat::Notebook::V4QuirksMode(q) => Ok(q.repair()),
        nbformat::Notebook::Legacy(nb) => nbformat::upgrade_legacy_notebook(nb)
            .map_err(|e| err!("not a valid Jupyter notebook ({e})")),
        nbformat::Notebook::V3(nb) => nbformat::upgrade_v3_notebook(nb)
            .map_err(|e| err!("not a valid Jupyter notebook ({e})")),
        _ => Err(err!("a notebook format ganbook does not read")),
    }
}

/// Refuses a notebook written for another language (a Python notebook's code is not Rhai).
fn check_language(nb: &Notebook) -> Result<()> {
    let m = &nb.metadata;
    let language = m
        .language_info
        .as_ref()
        .map(|l| l.name.clone())
        .or_else(|| m.kernelspec.as_ref().and_then(|k| k.language.clone()));
    match language {
        Some(l) if !l.eq_ignore_ascii_case(LANGUAGE) => {
            let kernel = m.kernelspec.as_ref().map_or("?", |k| k.name.as_str());
            Err(err!(
                "it is a {l} notebook (kernel {kernel}); ganbook runs {LANGUAGE} notebooks"
            ))
        }
        _ => Ok(()),
    }
}

/// The title a markdown cell gives the code cell below it: the text of its one heading line.
fn heading(source: &[String]) -> Option<String> {
    let text = source.concat();
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let line = lines.next()?.trim();
    if lines.next().is_some() || !line.starts_with('#') {
        return None;
    }
    Some(line.trim_start_matches('#').trim().to_string())
}

/// `text` as comment lines (a line that would read as a cell marker is indented).
fn comment(text: &str) -> String {
    text.lines()
        .map(|l| match l.trim_end() {
            "" => "//\n".to_string(),
            l if l.starts_with("%%") => format!("//  {l}\n"),
            l => format!("// {l}\n"),
        })
        .collect()
}

/// A code cell as script lines: a cell of `:` commands (the REPL's and the kernel's, such as
/// `:vars`) as comments, and a cell ending in a bare value (Jupyter shows it as the cell's
/// result) closed with `;`, so that the next cell's code does not run into it.
fn statements(code: &str) -> String {
    if code.trim_start().starts_with(':') {
        return comment(code);
    }
    let code = code.trim_end();
    let last = code
        .lines()
        .rev()
        .map(|l| l.split("//").next().unwrap_or_default().trim_end())
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    if last.is_empty() || last.ends_with(';') || last.ends_with('}') {
        format!("{code}\n")
    } else {
        format!("{code}\n;\n")
    }
}

/// The script of a notebook's cells.
fn script(cells: &[Cell]) -> String {
    let mut out = String::new();
    let mut seen_code = false;
    for (i, cell) in cells.iter().enumerate() {
        match cell {
            Cell::Code { source, .. } => {
                let code = source.concat();
                if code.trim().is_empty() {
                    continue;
                }
                let title = match i.checked_sub(1).map(|j| &cells[j]) {
                    Some(Cell::Markdown { source, .. }) => heading(source),
                    _ => None,
                };
                if !seen_code && !out.is_empty() {
                    out.push('\n');
                }
                seen_code = true;
                match title {
                    Some(t) if !t.is_empty() => out += &format!("// %% {t}\n"),
                    _ => out += "// %%\n",
                }
                out += &statements(&code);
            }
            Cell::Markdown { source, .. } if !seen_code => {
                let is_title = heading(source).is_some()
                    && matches!(cells.get(i + 1), Some(Cell::Code { .. }));
                if !is_title {
                    out += &comment(&source.concat());
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nb(cells: &str) -> String {
        format!(r#"{{"nbformat": 4, "nbformat_minor": 5, "metadata": {{}}, "cells": [{cells}]}}"#)
    }

    fn md(id: &str, text: &str) -> String {
        format!(
            r#"{{"cell_type": "markdown", "id": "{id}", "metadata": {{}}, "source": {text:?}}}"#
        )
    }

    fn code(id: &str, text: &str) -> String {
        format!(
            r#"{{"cell_type": "code", "id": "{id}", "metadata": {{}}, "execution_count": null, "outputs": [], "source": {text:?}}}"#
        )
    }

    #[test]
    fn a_cell_ending_in_a_value_or_a_command_still_runs_as_a_script() {
        assert_eq!(statements("let G = 1;\nG\n"), "let G = 1;\nG\n;\n");
        assert_eq!(statements("G // the model"), "G // the model\n;\n");
        assert_eq!(statements("G\n// the model"), "G\n// the model\n;\n");
        assert_eq!(
            statements("if a { 1 } else { 2 }"),
            "if a { 1 } else { 2 }\n"
        );
        assert_eq!(statements("let a = 1;  \n\n"), "let a = 1;\n");
        assert_eq!(statements(":vars\n:help grid"), "// :vars\n// :help grid\n");
    }

    #[test]
    fn code_cells_become_marked_cells_with_headings_as_titles() {
        let text = nb(&[
            md("a", "About this\nexperiment"),
            md("b", "## data"),
            code("c", "let a = 1;"),
            md("d", "some notes\nin two lines"),
            code("e", "print(a);\n"),
            code("f", "  \n"),
            md("g", "# end"),
        ]
        .join(","));
        let s = script_from_text(&text).unwrap();
        assert_eq!(
            s,
            "// About this\n// experiment\n\n// %% data\nlet a = 1;\n// %%\nprint(a);\n"
        );
    }

    #[test]
    fn refuses_what_is_not_a_rhai_notebook() {
        let e = script_from_text("{\"cells\": []}").unwrap_err().to_string();
        assert!(e.contains("not a Jupyter notebook"), "{e}");
        let e = script_from_text("not json").unwrap_err().to_string();
        assert!(e.contains("not a Jupyter notebook"), "{e}");
        let python = nb("").replace(
            "\"metadata\": {}",
            r#""metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}"#,
        );
        let e = script_from_text(&python).unwrap_err().to_string();
        assert!(e.contains("python notebook (kernel python3)"), "{e}");
    }
}
