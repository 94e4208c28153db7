//! `index.html` in the run folder: each cell's source, output, images, time and status. It
//! needs no server (file:// works); while watching it reloads itself every second and a half,
//! keeping the scroll position.

use super::{Record, Status};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Every image under `dir` (relative path -> modification time).
pub fn images(dir: &Path) -> BTreeMap<PathBuf, SystemTime> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
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

const STYLE: &str = "body{font-family:sans-serif;max-width:60em;margin:1em auto;padding:0 1em;background:#fafafa;color:#222}\
h1{font-size:1.3em}.cell{background:#fff;border:1px solid #ddd;border-left:6px solid #999;margin:1em 0;border-radius:4px}\
.cell header{display:flex;justify-content:space-between;padding:.4em .8em;background:#f0f0f0;font-weight:bold}\
pre{margin:0;padding:.5em .8em;overflow-x:auto;font-size:.85em}pre.src{background:#f7f7fb}pre.out{border-top:1px solid #eee}\
.ok{border-left-color:#2a2}.reused{border-left-color:#58c}.failed{border-left-color:#d33}.running{border-left-color:#e90}\
.interrupted{border-left-color:#e90}.pending{opacity:.6}.status{font-weight:normal}\
.imgs{padding:.5em .8em}.imgs img{max-width:100%;image-rendering:pixelated;margin:.2em;border:1px solid #ccc}";

const RELOAD: &str = "<script>\nconst y = sessionStorage.getItem('ganbook-y');\
if (y !== null) window.scrollTo(0, +y);\nsetTimeout(() => { sessionStorage.setItem('ganbook-y', window.scrollY); location.reload(); }, 1500);\n</script>";

pub fn render(title: &str, cells: &[Record], live: bool, now: SystemTime) -> String {
    let mut h = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{t}</title><style>{STYLE}</style></head>\n<body>\n<h1>{t}</h1>\n<p>updated {}</p>\n",
        humantime::format_rfc3339_seconds(now),
        t = escape(title)
    );
    for (i, c) in cells.iter().enumerate() {
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
        if !c.images.is_empty() {
            h += "<div class=\"imgs\">";
            for img in &c.images {
                let src = img.to_string_lossy().replace('\\', "/");
                h += &format!("<img src=\"{}\" title=\"{0}\">", escape(&src));
            }
            h += "</div>\n";
        }
        h += "</section>\n";
    }
    if live {
        h += RELOAD;
    }
    h += "</body></html>\n";
    h
}
