//! A script split into cells at lines starting with `// %%` (Jupyter's "percent" format);
//! the text after the marker is the cell's title.

#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub title: String,
    /// 1-based line of the cell's first line in the file.
    pub line: usize,
    pub source: String,
    /// `(module, statement)` for each `import "module" as name;` line in the cell.
    pub imports: Vec<(String, String)>,
}

impl Cell {
    /// The source padded with empty lines, so that positions in errors are the file's.
    pub fn padded(&self) -> String {
        format!("{}{}", "\n".repeat(self.line - 1), self.source)
    }

    /// The title, or `cell N` (1-based) when it has none.
    pub fn label(&self, index: usize) -> String {
        if self.title.is_empty() {
            format!("cell {}", index + 1)
        } else {
            format!("cell {} \"{}\"", index + 1, self.title)
        }
    }
}

/// Whether a line starts a cell.
pub fn is_marker(line: &str) -> bool {
    line.trim_start().starts_with("// %%")
}

/// How many lines the script's header takes: the comment lines (and blank lines) it starts
/// with, before its first code or marker line.
fn header_lines(text: &str) -> usize {
    text.lines()
        .take_while(|l| {
            let t = l.trim();
            !is_marker(l) && (t.is_empty() || t.starts_with("//"))
        })
        .count()
}

/// The comment block a script starts with (before its first code or `// %%` line), without
/// the `//`: the notebook's description. None when the script starts with code.
pub fn header(text: &str) -> Option<String> {
    let lines: Vec<&str> = text
        .lines()
        .take(header_lines(text))
        .map(|l| {
            let t = l.trim();
            let t = t.strip_prefix("//").unwrap_or(t);
            t.strip_prefix(' ').unwrap_or(t)
        })
        .collect();
    let joined = lines.join("\n");
    let trimmed = joined.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// The cells of `text`. The comment block the script starts with is its [`header`], not a
/// cell; the lines after it and before the first marker form a cell of their own unless they
/// are blank; a script without markers is one cell.
pub fn split(text: &str) -> Vec<Cell> {
    let mut cells: Vec<Cell> = Vec::new();
    let skip = header_lines(text);
    let mut current = Cell {
        title: String::new(),
        line: skip + 1,
        source: String::new(),
        imports: Vec::new(),
    };
    // whether `current` began at a marker (kept even when empty) or is the text before one
    let mut marked = false;
    for (i, line) in text.lines().enumerate().skip(skip) {
        if is_marker(line) {
            if marked || !current.source.trim().is_empty() {
                cells.push(std::mem::take(&mut current));
            }
            marked = true;
            let title = line.trim_start()["// %%".len()..].trim().to_string();
            current = Cell {
                title,
                line: i + 1,
                source: String::new(),
                imports: Vec::new(),
            };
        }
        if let Some(import) = parse_import(line) {
            current.imports.push(import);
        }
        current.source.push_str(line);
        current.source.push('\n');
    }
    cells.push(current);
    cells
}

/// `("gan", "import \"gan\" as gan;")` for a line holding an import statement.
pub fn parse_import(line: &str) -> Option<(String, String)> {
    let t = line.trim();
    let rest = t.strip_prefix("import")?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let end = rest.find('"')?;
    let module = rest[..end].to_string();
    let stmt_end = t.find(';').map_or(t.len(), |i| i + 1);
    let mut stmt = t[..stmt_end].to_string();
    if !stmt.ends_with(';') {
        stmt.push(';');
    }
    Some((module, stmt))
}

impl Default for Cell {
    fn default() -> Cell {
        Cell {
            title: String::new(),
            line: 1,
            source: String::new(),
            imports: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_markers_with_titles_and_lines() {
        let text = "// %% data\nlet a = 1;\n// %%train\nlet b = a + 1;\n\n//%% not a marker\n// %% report\nprint(b);\n";
        let cells = split(text);
        assert_eq!(cells.len(), 3);
        assert_eq!(cells[0].title, "data");
        assert_eq!(cells[1].title, "train");
        assert_eq!(cells[1].line, 3);
        assert!(cells[1].source.contains("//%% not a marker"));
        assert_eq!(cells[2].line, 7);
        assert_eq!(cells[2].padded().lines().nth(7), Some("print(b);"));
    }

    #[test]
    fn text_before_the_first_marker_is_a_cell_unless_blank() {
        assert_eq!(split("\n\n// %% a\nx\n").len(), 1);
        let c = split("let x = 1;\n// %% a\nx\n");
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].title, "");
        assert_eq!(split("let x = 1;\n").len(), 1);
    }

    #[test]
    fn the_leading_comment_block_is_the_header_not_a_cell() {
        let text = "// ring8: a demo\n//\n// of two runs\n\nlet a = 1;\n// %% train\nlet b = 2;\n";
        assert_eq!(
            header(text).as_deref(),
            Some("ring8: a demo\n\nof two runs")
        );
        let c = split(text);
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].line, c[0].source.as_str()), (5, "let a = 1;\n"));
        assert_eq!(c[0].padded().lines().nth(4), Some("let a = 1;"));
        let only_comments = split("// about\n// %% a\nx\n// %% b\ny\n");
        assert_eq!(only_comments.len(), 2);
        assert_eq!(only_comments[0].title, "a");
        assert_eq!(header("let x = 1; // not a header\n"), None);
        assert_eq!(header("// %% a\nx\n"), None);
    }

    #[test]
    fn finds_imports() {
        let c = split("// %% a\nimport \"gan\" as gan;\nlet x = 1;\n");
        assert_eq!(
            c[0].imports,
            vec![("gan".to_string(), "import \"gan\" as gan;".to_string())]
        );
        assert_eq!(parse_import("let important = 1;"), None);
    }
}
