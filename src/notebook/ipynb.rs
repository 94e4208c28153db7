//! `notebook.ipynb` in the run folder: the run as a Jupyter notebook (nbformat 4.5), so that
//! opening it in JupyterLab shows what ran and re-running it uses the ganbook kernel. The
//! script's header comment is a first markdown cell; each `// %%` cell is a code cell (its
//! title a `## title` markdown cell above it) holding what it printed, the images it wrote
//! (base64, read from the run folder), its error, and an execution count if it ran.
//! `session::ipynb_script` reads a notebook back as a script.

use super::html::Page;
use super::{Record, Status, cells};
use crate::error::Result;
use base64::Engine as _;
use jupyter_protocol::media::{Media, MediaType};
use nbformat::v4::{
    Cell, CellId, CellMetadata, CodemirrorMode, DisplayData, ErrorOutput, KernelSpec, LanguageInfo,
    Metadata, MultilineString, Output,
};
use std::collections::HashMap;
use std::path::Path;

/// The kernelspec's name, the name notebooks record (`ganbook kernel install` installs it).
pub const KERNEL_NAME: &str = "ganbook";
/// How Jupyter lists the kernel.
pub const KERNEL_DISPLAY_NAME: &str = "ganbook (Rhai)";
/// The language the kernel speaks.
pub const LANGUAGE: &str = "rhai";
/// The extension of a script file in that language.
pub const FILE_EXTENSION: &str = ".rhai";
/// The notebook's file name in the run folder.
pub const FILE: &str = "notebook.ipynb";

/// At most this many images are embedded per cell (the last ones a cell wrote: a training
/// cell may write hundreds of frames); a line of text counts the rest.
const MAX_IMAGES: usize = 12;

/// `text` as a notebook stores multi-line text: lines, each but the last ending in `\n`.
fn lines(text: &str) -> Vec<String> {
    text.split_inclusive('\n').map(str::to_string).collect()
}

/// A cell id (letters, digits, `-` and `_`: those built here always are).
fn id(s: String) -> Result<CellId> {
    CellId::new(&s).map_err(|e| crate::err!("cell id {s:?}: {e}"))
}

/// A cell's code as the notebook shows it: without its `// %%` marker line and the blank
/// lines around it.
pub fn code(source: &str) -> String {
    let body = match source.split_once('\n') {
        Some((first, rest)) if cells::is_marker(first) => rest,
        None if cells::is_marker(source) => "",
        _ => source,
    };
    let mut kept: Vec<&str> = body.lines().skip_while(|l| l.trim().is_empty()).collect();
    while kept.last().is_some_and(|l| l.trim().is_empty()) {
        kept.pop();
    }
    kept.join("\n")
}

/// A PNG, GIF or JPEG as notebook media, with `shown_as` (its path in the run folder) as the
/// text form; None for another kind of file or one that cannot be read.
pub fn image_media(path: &Path, shown_as: &Path) -> Option<Media> {
    let kind = path.extension()?.to_str()?.to_ascii_lowercase();
    let bytes = std::fs::read(path).ok()?;
    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
    let image = match kind.as_str() {
        "png" => MediaType::Png(data),
        "gif" => MediaType::Gif(data),
        "jpg" | "jpeg" => MediaType::Jpeg(data),
        _ => return None,
    };
    Some(Media::new(vec![
        image,
        MediaType::Plain(shown_as.display().to_string()),
    ]))
}

/// What the cell of `record` shows: its printed text, images, then its error.
fn outputs(record: &Record, out_dir: &Path) -> Vec<Output> {
    let mut out = Vec::new();
    let skipped = record.images.len().saturating_sub(MAX_IMAGES);
    let mut text = record.output.clone();
    if skipped > 0 {
        text += &format!(
            "({skipped} earlier images of this cell are in the run folder, from {})\n",
            record.images[0].display()
        );
    }
    if !text.is_empty() {
        out.push(Output::Stream {
            name: "stdout".into(),
            text: MultilineString(text),
        });
    }
    for img in &record.images[skipped..] {
        if let Some(data) = image_media(&out_dir.join(img), img) {
            out.push(Output::DisplayData(DisplayData {
                data,
                metadata: Default::default(),
            }));
        }
    }
    if let Some(e) = &record.error {
        let ename = match record.status {
            Status::Interrupted => "KeyboardInterrupt",
            _ => "ScriptError",
        };
        out.push(Output::Error(ErrorOutput {
            ename: ename.into(),
            evalue: e.lines().next().unwrap_or_default().to_string(),
            traceback: e.lines().map(str::to_string).collect(),
        }));
    }
    out
}

/// ganbook's own note on a cell: its status and time (Jupyter keeps unknown metadata).
fn cell_metadata(record: &Record) -> CellMetadata {
    let mut m = CellMetadata::default();
    m.additional.insert(
        "ganbook".into(),
        serde_json::json!({"status": record.status.word(), "seconds": record.seconds}),
    );
    m
}

/// The notebook metadata: the ganbook kernel and Rhai, and the script's name.
fn metadata(script: &str) -> Metadata {
    let mut language = HashMap::new();
    language.insert("file_extension".into(), FILE_EXTENSION.into());
    language.insert("mimetype".into(), "text/x-rhai".into());
    language.insert("pygments_lexer".into(), "rust".into());
    let mut additional = HashMap::new();
    additional.insert("ganbook".into(), serde_json::json!({ "script": script }));
    Metadata {
        kernelspec: Some(KernelSpec {
            display_name: KERNEL_DISPLAY_NAME.into(),
            name: KERNEL_NAME.into(),
            language: Some(LANGUAGE.into()),
            additional: HashMap::new(),
        }),
        language_info: Some(LanguageInfo {
            name: LANGUAGE.into(),
            version: None,
            codemirror_mode: Some(CodemirrorMode::String("rust".into())),
            additional: language,
        }),
        authors: None,
        additional,
    }
}

fn markdown(id_text: String, text: &str) -> Result<Cell> {
    Ok(Cell::Markdown {
        id: id(id_text)?,
        metadata: CellMetadata::default(),
        source: lines(text),
        attachments: None,
    })
}

/// The notebook of `page`'s cells: execution counts 1, 2, ... for the cells that ran (or
/// were reused), none for those that did not.
pub fn notebook(page: &Page) -> Result<nbformat::v4::Notebook> {
    let mut cells = Vec::new();
    if let Some(h) = page.header {
        cells.push(markdown("header".into(), h)?);
    }
    let mut count = 0;
    for (i, r) in page.cells.iter().enumerate() {
        let n = i + 1;
        if !r.title.is_empty() {
            cells.push(markdown(format!("title-{n}"), &format!("## {}", r.title))?);
        }
        let execution_count = (r.status != Status::Pending).then(|| {
            count += 1;
            count
        });
        cells.push(Cell::Code {
            id: id(format!("cell-{n}"))?,
            metadata: cell_metadata(r),
            execution_count,
            source: lines(&code(&r.source)),
            outputs: outputs(r, page.out_dir),
        });
    }
    Ok(nbformat::v4::Notebook {
        metadata: metadata(page.title),
        nbformat: 4,
        nbformat_minor: 5,
        cells,
    })
}

/// The notebook's text, as Python's nbformat writes it (sorted keys, one-space indent).
pub fn render(page: &Page) -> Result<String> {
    nbformat::serialize_notebook(&nbformat::Notebook::V4(notebook(page)?))
        .map_err(|e| crate::err!("cannot write {FILE}: {e}"))
}

/// Writes `page` as the run folder's notebook.ipynb (a failure is reported, not fatal, as
/// for index.html).
pub fn write(page: &Page) {
    let path = page.out_dir.join(FILE);
    let result = render(page).and_then(|text| crate::files::write_atomic(&path, text.as_bytes()));
    if let Err(e) = result {
        eprintln!("error: {}: {e}", path.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_drops_the_marker_and_surrounding_blank_lines() {
        assert_eq!(
            code("// %% train\n\nlet a = 1;\n  a += 1;\n\n"),
            "let a = 1;\n  a += 1;"
        );
        assert_eq!(code("let a = 1;\n"), "let a = 1;");
        assert_eq!(code("// %% empty"), "");
        assert_eq!(lines("a\nb"), vec!["a\n", "b"]);
    }

    fn record(status: Status, error: Option<&str>, images: usize) -> Record {
        Record {
            title: String::new(),
            source: "x();\n".into(),
            status,
            output: String::new(),
            error: error.map(str::to_string),
            images: (0..images)
                .map(|i| std::path::PathBuf::from(format!("f/{i:03}.png")))
                .collect(),
            seconds: 0.5,
            started: None,
        }
    }

    #[test]
    fn counts_ran_cells_names_interruptions_and_embeds_the_last_images() {
        let dir = std::env::temp_dir().join(format!("ganbook-ipynb-unit-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("f")).unwrap();
        for i in 0..MAX_IMAGES + 3 {
            std::fs::write(dir.join(format!("f/{i:03}.png")), b"\x89PNG").unwrap();
        }
        let cells = [
            record(Status::Reused, None, 0),
            record(
                Status::Interrupted,
                Some("stopped at line 1\nx();"),
                MAX_IMAGES + 3,
            ),
            record(Status::Pending, None, 0),
        ];
        let page = Page {
            title: "t.rhai",
            header: None,
            state: super::super::html::RunState::Stopped,
            cells: &cells,
            out_dir: &dir,
            now: std::time::SystemTime::now(),
        };
        let nb = notebook(&page).unwrap();
        let counts: Vec<Option<i32>> = nb
            .cells
            .iter()
            .map(|c| match c {
                Cell::Code {
                    execution_count, ..
                } => *execution_count,
                _ => Some(-1),
            })
            .collect();
        assert_eq!(counts, [Some(1), Some(2), None]);
        let Cell::Code { outputs, .. } = &nb.cells[1] else {
            panic!("a code cell")
        };
        assert_eq!(outputs.len(), 1 + MAX_IMAGES + 1);
        let Output::Stream { text, .. } = &outputs[0] else {
            panic!("a note on the images left out first")
        };
        assert!(text.0.starts_with("(3 earlier images"), "{}", text.0);
        let Output::DisplayData(last) = &outputs[MAX_IMAGES] else {
            panic!("the last image")
        };
        let shown = last.data.content.iter().find_map(|m| match m {
            MediaType::Plain(p) => Some(p.clone()),
            _ => None,
        });
        assert_eq!(
            shown.as_deref(),
            Some(format!("f/{:03}.png", MAX_IMAGES + 2).as_str())
        );
        let Output::Error(e) = &outputs[MAX_IMAGES + 1] else {
            panic!("the error last")
        };
        assert_eq!(
            (e.ename.as_str(), e.evalue.as_str()),
            ("KeyboardInterrupt", "stopped at line 1")
        );
        assert_eq!(e.traceback.len(), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
