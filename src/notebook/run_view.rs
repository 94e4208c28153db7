//! The notebook view (index.html) of a plain `ganbook run`. The script still runs as one
//! program; each `// %%` marker after the first cell is replaced, on its own line (so that
//! errors keep their line numbers), by a call telling the view that the next cell began. What
//! the script prints and the images it writes go to the cell that runs. A script whose
//! markers are not all top-level statements (a marker inside a block) is shown as one cell.
//! When the run ends, the same cells go to notebook.ipynb.

use super::cells::{self, Cell};
use super::html::{self, Page, RunState};
use super::ipynb;
use super::{Record, Status};
use rhai::{AST, Stmt};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// The function the markers become: `__ganbook_cell(index);`.
pub const ENTER: &str = "__ganbook_cell";

/// How often the page is rewritten while a cell runs (besides at every cell's start and at
/// the end), so that what a long cell prints and draws shows up.
const REFRESH: Duration = Duration::from_secs(2);

pub struct RunView {
    out_dir: PathBuf,
    /// The script's file name.
    title: String,
    header: Option<String>,
    /// Each cell's first line in the file.
    lines: Vec<usize>,
    pub records: Vec<Record>,
    current: usize,
    /// The images in the run folder when the current cell began.
    before: BTreeMap<PathBuf, SystemTime>,
    written: Instant,
}

/// `text` with the marker of every cell after the first replaced by a call of [`ENTER`].
pub fn instrument(text: &str, cells: &[Cell]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for (i, c) in cells.iter().enumerate().skip(1) {
        lines[c.line - 1] = format!("{ENTER}({i});");
    }
    lines.join("\n") + "\n"
}

/// Whether each of the `cells` markers became a top-level call in `ast`.
pub fn markers_at_top_level(ast: &AST, cells: &[Cell]) -> bool {
    let calls = ast
        .statements()
        .iter()
        .filter(|s| matches!(s, Stmt::FnCall(c, _) if c.name == ENTER))
        .count();
    calls + 1 == cells.len()
}

impl RunView {
    /// The view of the script `title` (its file name) with source `text`, shown as `cells`
    /// (those of [`cells::split`], or one cell of the whole text when the run cannot follow
    /// the markers).
    pub fn new(title: &str, text: &str, cells: &[Cell], out_dir: PathBuf) -> RunView {
        RunView {
            title: title.to_string(),
            header: cells::header(text),
            lines: cells.iter().map(|c| c.line).collect(),
            records: cells.iter().map(Record::pending).collect(),
            current: 0,
            before: BTreeMap::new(),
            written: Instant::now(),
            out_dir,
        }
    }

    /// One cell holding all of `text`.
    pub fn whole(text: &str) -> Vec<Cell> {
        vec![Cell {
            source: text.to_string(),
            ..Cell::default()
        }]
    }

    /// Cell `i` begins (the one before it ended well).
    pub fn enter(&mut self, i: usize) {
        if i >= self.records.len() {
            return;
        }
        if self.records[self.current].status == Status::Running {
            self.close(Status::Ok, None);
        }
        self.current = i;
        self.before = html::images(&self.out_dir);
        let r = &mut self.records[i];
        r.status = Status::Running;
        r.started = Some(Instant::now());
        self.write(RunState::Running);
    }

    /// A line the script printed, for the cell running.
    pub fn print(&mut self, line: &str) {
        let r = &mut self.records[self.current];
        r.output.push_str(line);
        r.output.push('\n');
    }

    /// Rewrites the page if a cell runs and [`REFRESH`] has passed since the last write.
    fn tick(&mut self) {
        if self.written.elapsed() >= REFRESH
            && self.records.get(self.current).map(|r| r.status) == Some(Status::Running)
        {
            self.write(RunState::Running);
        }
    }

    /// The run ended: the cell running ends with `status` and `error`; a syntax error
    /// (`line` given, nothing ran) goes to the cell holding that line. Writes index.html and
    /// notebook.ipynb.
    pub fn end(&mut self, status: Status, error: Option<String>, line: Option<usize>) {
        if self.records[self.current].status != Status::Running
            && let Some(line) = line
        {
            self.current = self.lines.iter().rposition(|&l| l <= line).unwrap_or(0);
        }
        self.close(status, error);
        let state = match status {
            Status::Ok => RunState::Finished,
            Status::Interrupted => RunState::Stopped,
            _ => RunState::Failed,
        };
        self.write(state);
        ipynb::write(&self.page(state));
    }

    fn close(&mut self, status: Status, error: Option<String>) {
        let after = html::images(&self.out_dir);
        let before = &self.before;
        let r = &mut self.records[self.current];
        r.status = status;
        r.error = error;
        r.seconds = r.started.map_or(0.0, |t| t.elapsed().as_secs_f64());
        r.images = after
            .into_iter()
            .filter(|(p, t)| before.get(p) != Some(t))
            .map(|(p, _)| p)
            .collect();
    }

    fn write(&mut self, state: RunState) {
        if let Some(r) = self
            .records
            .get_mut(self.current)
            .filter(|r| r.status == Status::Running)
        {
            r.seconds = r.started.map_or(0.0, |t| t.elapsed().as_secs_f64());
            r.images = html::images(&self.out_dir)
                .into_iter()
                .filter(|(p, t)| self.before.get(p) != Some(t))
                .map(|(p, _)| p)
                .collect();
        }
        html::write(&self.page(state));
        self.written = Instant::now();
    }

    /// What the views show now.
    fn page(&self, state: RunState) -> Page<'_> {
        Page {
            title: &self.title,
            header: self.header.as_deref(),
            state,
            cells: &self.records,
            out_dir: &self.out_dir,
            now: SystemTime::now(),
        }
    }
}

/// A thread that keeps the page of a running view fresh; it stops when dropped.
pub struct Refresher {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Refresher {
    pub fn start(view: &Arc<Mutex<RunView>>) -> Refresher {
        let stop = Arc::new(AtomicBool::new(false));
        let (s, v) = (stop.clone(), view.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                v.lock().unwrap_or_else(|p| p.into_inner()).tick();
            }
        });
        Refresher {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Refresher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
