//! `index.html` in the run folder: the script's header comment, the run's state, links to
//! metrics.csv and run.json, and each cell's source, output, error, images, time and status.
//! It needs no server (file:// works); while the run goes on (or a watcher waits for saves)
//! it reloads itself every second and a half, keeping the scroll position.

use super::{Record, Status};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Every image under the run folder `dir` (relative path -> modification time), earlier
/// runs moved aside left out.
pub fn images(dir: &Path) -> BTreeMap<PathBuf, SystemTime> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    let previous = dir.join(crate::session::run_folder::PREVIOUS);
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                if p != previous {
                    stack.push(p);
                }
            } else if matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("png" | "gif" | "jpg" | "jpeg" | "webp")
            ) && let (Ok(rel), Ok(t)) =
                (p.strip_prefix(dir), e.metadata().and_then(|m| m.modified()))
            {
                out.insert(rel.to_path_buf(), t);
            }
        }
    }
    out
}

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// What the run is doing, shown at the top of the page. Only a page of a running or
/// watching run reloads itself.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RunState {
    Running,
    /// `run --watch` between updates: waiting for the next save.
    Watching,
    Finished,
    Failed,
    /// Interrupted (Ctrl-C, a NaN with `--stop-on-nan`) or the watcher ended.
    Stopped,
}

impl RunState {
    pub fn word(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Watching => "watching for saves",
            RunState::Finished => "finished",
            RunState::Failed => "error",
            RunState::Stopped => "stopped",
        }
    }

    /// Whether the page reloads itself to follow the run.
    pub fn live(self) -> bool {
        matches!(self, RunState::Running | RunState::Watching)
    }
}

/// Everything the page shows.
pub struct Page<'a> {
    /// The script's file name.
    pub title: &'a str,
    /// The comment block the script starts with.
    pub header: Option<&'a str>,
    pub state: RunState,
    pub cells: &'a [Record],
    /// The run folder: metrics.csv and run.json are linked where they exist.
    pub out_dir: &'a Path,
    pub now: SystemTime,
}

const STYLE: &str = "body{font-family:sans-serif;max-width:60em;margin:1em auto;padding:0 1em;background:#fafafa;color:#222}\
h1{font-size:1.3em;margin-bottom:.2em}.about{white-space:pre-wrap;color:#444;font-size:.9em;margin:.5em 0}\
.state{font-weight:bold;padding:.1em .5em;border-radius:3px;color:#fff;background:#999}.state.running,.state.watching{background:#e90}\
.state.finished{background:#2a2}.state.error{background:#d33}.state.stopped{background:#777}\
.cell{background:#fff;border:1px solid #ddd;border-left:6px solid #999;margin:1em 0;border-radius:4px}\
.cell header{display:flex;justify-content:space-between;padding:.4em .8em;background:#f0f0f0;font-weight:bold}\
pre{margin:0;padding:.5em .8em;overflow-x:auto;font-size:.85em}pre.src{background:#f7f7fb}pre.out{border-top:1px solid #eee}\
pre.error{background:#fdecec;color:#a00;border:1px solid #d33;margin:.5em .8em;border-radius:3px;white-space:pre-wrap}\
pre.error.interrupted{background:#fff4e0;color:#850;border-color:#e90}\
.ok{border-left-color:#2a2}.reused{border-left-color:#58c}.failed{border-left-color:#d33}.running{border-left-color:#e90}\
.interrupted{border-left-color:#e90}.pending{opacity:.6}.status{font-weight:normal}\
.imgs{padding:.5em .8em}.imgs img{max-width:100%;image-rendering:pixelated;margin:.2em;border:1px solid #ccc}\
.imgs.many img{max-width:23%}";

const RELOAD: &str = "<script>\nconst y = sessionStorage.getItem('ganbook-y');\
if (y !== null) window.scrollTo(0, +y);\nsetTimeout(() => { sessionStorage.setItem('ganbook-y', window.scrollY); location.reload(); }, 1500);\n</script>";

pub fn render(page: &Page) -> String {
    let state = page.state;
    let mut h = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{t}</title><style>{STYLE}</style></head>\n<body>\n<h1>{t}</h1>\n",
        t = escape(page.title)
    );
    if let Some(about) = page.header {
        h += &format!("<div class=\"about\">{}</div>\n", escape(about));
    }
    let links: Vec<String> = ["metrics.csv", "run.json"]
        .iter()
        .filter(|f| page.out_dir.join(f).is_file())
        .map(|f| format!(" · <a href=\"{f}\">{f}</a>"))
        .collect();
    h += &format!(
        "<p><span class=\"state {}\">{}</span> updated {}{}</p>\n",
        state.word().split(' ').next().unwrap_or(""),
        state.word(),
        humantime::format_rfc3339_seconds(page.now),
        links.concat()
    );
    for (i, c) in page.cells.iter().enumerate() {
        let status = c.status.word();
        let time = match c.status {
            Status::Pending | Status::Running => String::new(),
            _ => format!(" · {:.2} s", c.seconds),
        };
        h += &format!(
            "<section class=\"cell {status}\" id=\"cell{n}\"><header><span>[{n}] {}</span><span class=\"status\">{status}{time}</span></header>\n<pre class=\"src\">{}</pre>\n",
            escape(&c.title),
            escape(c.source.trim_end()),
            n = i + 1
        );
        if !c.output.is_empty() {
            h += &format!("<pre class=\"out\">{}</pre>\n", escape(c.output.trim_end()));
        }
        if let Some(e) = &c.error {
            h += &format!(
                "<pre class=\"error {status}\">{}</pre>\n",
                escape(e.trim_end())
            );
        }
        if !c.images.is_empty() {
            // many frames (a training run's snapshots) as thumbnails, each a link to itself
            let many = if c.images.len() > 4 { " many" } else { "" };
            h += &format!("<div class=\"imgs{many}\">");
            for img in &c.images {
                let src = img.to_string_lossy().replace('\\', "/");
                h += &format!(
                    "<a href=\"{0}\"><img src=\"{0}\" title=\"{0}\"></a>",
                    escape(&src)
                );
            }
            h += "</div>\n";
        }
        h += "</section>\n";
    }
    if state.live() {
        h += RELOAD;
    }
    h += "</body></html>\n";
    h
}

/// Writes `page` as the run folder's index.html (a failure is reported, not fatal: the view
/// is a convenience, the run goes on).
pub fn write(page: &Page) {
    let text = render(page);
    if let Err(e) = crate::files::write_atomic(&page.out_dir.join("index.html"), text.as_bytes()) {
        eprintln!("error: {e}");
    }
}
