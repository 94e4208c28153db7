//! The live page's HTTP server (on `http`, a thread per connection): the page, its event stream, the run folder's
//! images and files, and the controls. Every request needs the run's token (`?token=`);
//! files are served only from inside the run folder; a malformed, oversized or hostile
//! request gets a 4xx and the run goes on. One thread per request; a stream's thread lives
//! as long as its page.

use super::feed::Feed;
use super::http::{Request, Server};
use crate::state::RunState;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The largest request body taken (a drawing of 5,000 points fits).
pub const MAX_BODY: usize = 256 * 1024;
/// Streams served at once; more get 503.
pub const MAX_WATCHERS: usize = 256;
/// A stream with nothing new still sends a comment this often (proxies, dead peers).
const KEEPALIVE: Duration = Duration::from_secs(10);

const PAGE: &str = include_str!("page.html");

pub struct Shared {
    pub ctx: Arc<RunState>,
    pub feed: Arc<Feed>,
    pub token: String,
    /// The run folder, canonical.
    pub root: PathBuf,
    pub title: String,
    streams: AtomicUsize,
}

impl Shared {
    pub fn new(ctx: Arc<RunState>, feed: Arc<Feed>, token: String, title: String) -> Shared {
        let root = ctx
            .out_dir()
            .canonicalize()
            .unwrap_or_else(|_| ctx.out_dir().to_path_buf());
        Shared {
            ctx,
            feed,
            token,
            root,
            title,
            streams: AtomicUsize::new(0),
        }
    }
}

/// Serves requests until the server is stopped.
pub fn serve(server: Arc<Server>, shared: Arc<Shared>) {
    server.serve(move |request| handle(request, &shared));
}

fn reply(request: Request, code: u16, kind: &str, body: Vec<u8>) {
    request.respond(code, kind, &body);
}

fn text(request: Request, code: u16, message: &str) {
    reply(
        request,
        code,
        "text/plain; charset=utf-8",
        format!("{message}\n").into_bytes(),
    );
}

/// Splits "/path?a=1&b=2" into the path and its query pairs (percent-decoded).
fn split_url(url: &str) -> (String, Vec<(String, String)>) {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let pairs = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    (decode(path), pairs)
}

/// Percent-decoding; a malformed escape stays as it is.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Compares without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

fn handle(request: Request, shared: &Shared) {
    let (path, query) = split_url(&request.url);
    let token = query
        .iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.as_str());
    if !token.is_some_and(|t| same(t, &shared.token)) {
        return text(
            request,
            403,
            "forbidden: this page needs the token in the URL ganbook printed",
        );
    }
    let method = request.method.clone();
    match (method.as_str(), path.as_str()) {
        ("GET", "/") => reply(
            request,
            200,
            "text/html; charset=utf-8",
            PAGE.replace("{{TITLE}}", &crate::notebook::html::escape(&shared.title))
                .into_bytes(),
        ),
        ("GET", "/events") => stream(request, shared),
        ("GET", "/state") => {
            let s = shared.feed.snapshot();
            let body = json!({"common": s.common, "keys": s.keys, "rows": s.rows});
            drop(s);
            reply(
                request,
                200,
                "application/json",
                body.to_string().into_bytes(),
            )
        }
        ("GET", p) if p.starts_with("/files/") => file(request, shared, &p["/files/".len()..]),
        ("POST", "/control" | "/knob" | "/draw" | "/reset") => control(request, shared, &path),
        (_, "/" | "/events" | "/state" | "/control" | "/knob" | "/draw" | "/reset") => {
            text(request, 405, "method not allowed")
        }
        _ => text(request, 404, "not found"),
    }
}

/// A file of the run folder, if `rel` names one inside it with a type the page shows.
fn file(request: Request, shared: &Shared, rel: &str) {
    let rel_path = Path::new(rel);
    let plain = rel_path
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    let kind = match rel_path.extension().and_then(|e| e.to_str()) {
        Some("png") => "image/png",
        Some("gif") => "image/gif",
        Some("json") => "application/json",
        Some("csv") => "text/csv",
        Some("jsonl" | "txt" | "rhai") => "text/plain; charset=utf-8",
        _ => return text(request, 404, "not found"),
    };
    if !plain || rel.contains('\\') || rel.contains('\0') {
        return text(request, 400, "bad path");
    }
    // a link inside the run folder must not lead out of it
    let inside = shared
        .root
        .join(rel_path)
        .canonicalize()
        .ok()
        .filter(|p| p.starts_with(&shared.root) && p.is_file());
    match inside.and_then(|p| std::fs::read(p).ok()) {
        Some(bytes) => reply(request, 200, kind, bytes),
        None => text(request, 404, "not found"),
    }
}

/// The request's body as JSON, refusing bodies over [`MAX_BODY`].
fn body_json(request: &mut Request) -> Result<Value, (u16, String)> {
    if request.body_length.is_some_and(|n| n > MAX_BODY) {
        return Err((413, format!("body over {MAX_BODY} bytes")));
    }
    let Ok(body) = request.read_body(MAX_BODY) else {
        return Err((400, "cannot read the body".into()));
    };
    if body.len() > MAX_BODY {
        return Err((413, format!("body over {MAX_BODY} bytes")));
    }
    serde_json::from_slice(&body).map_err(|e| (400, format!("the body is not JSON: {e}")))
}

fn control(mut request: Request, shared: &Shared, path: &str) {
    let body = match body_json(&mut request) {
        Ok(b) => b,
        Err((code, msg)) => return text(request, code, &msg),
    };
    let controls = shared.ctx.controls();
    let done = match path {
        "/control" => match body["button"].as_str() {
            Some(b) => controls.press(b),
            None => Err(crate::err!("expected {{\"button\": \"pause\"}}")),
        },
        "/knob" => match body["name"].as_str() {
            Some(name) => controls.turn(name, &body["value"]),
            None => Err(crate::err!("expected {{\"name\": ..., \"value\": ...}}")),
        },
        "/draw" => parse_points(&body["points"])
            .and_then(|p| controls.draw(body["name"].as_str().unwrap_or("target"), p)),
        _ => match body["cell"].as_u64() {
            Some(cell) => {
                controls.request_reset(cell as usize);
                // stop what runs; the front end then goes back to the cell
                shared.ctx.interrupt_flag().store(true, Ordering::Relaxed);
                Ok(())
            }
            None => Err(crate::err!(
                "expected {{\"cell\": n}} (0 is the first cell)"
            )),
        },
    };
    shared.feed.poke();
    match done {
        Ok(()) => reply(request, 200, "application/json", b"{\"ok\":true}".to_vec()),
        Err(e) => text(request, 400, &e.to_string()),
    }
}

fn parse_points(v: &Value) -> crate::error::Result<Vec<[f64; 2]>> {
    let bad = || crate::err!("points must be [[x, y], ...]");
    v.as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|p| match p.as_array().map(|a| a.as_slice()) {
            Some([x, y]) => Ok([x.as_f64().ok_or_else(bad)?, y.as_f64().ok_or_else(bad)?]),
            _ => Err(bad()),
        })
        .collect()
}

/// An event stream: each snapshot as one `data:` line, with the log rows this page has not
/// seen. Ends when the page goes away.
fn stream(request: Request, shared: &Shared) {
    if shared.streams.fetch_add(1, Ordering::Relaxed) >= MAX_WATCHERS {
        shared.streams.fetch_sub(1, Ordering::Relaxed);
        return text(request, 503, "too many pages watch this run");
    }
    shared.ctx.controls().watcher(true);
    let mut out = request.into_stream();
    let _ = serve_stream(&mut out, shared);
    shared.ctx.controls().watcher(false);
    shared.streams.fetch_sub(1, Ordering::Relaxed);
}

fn serve_stream(out: &mut dyn Write, shared: &Shared) -> std::io::Result<()> {
    out.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
    )?;
    out.flush()?;
    let (mut seq, mut generation, mut rows_sent) = (0u64, u64::MAX, 0usize);
    loop {
        let newest = shared.feed.wait_newer(seq, KEEPALIVE);
        if newest == seq {
            out.write_all(b": still here\n\n")?;
            out.flush()?;
            continue;
        }
        let message = {
            let s = shared.feed.snapshot();
            if s.generation != generation {
                (generation, rows_sent) = (s.generation, 0);
            }
            let rows = &s.rows[rows_sent.min(s.rows.len())..];
            let m = json!({"seq": s.seq, "common": s.common, "keys": s.keys,
                           "generation": s.generation, "from": rows_sent, "rows": rows});
            rows_sent = s.rows.len();
            seq = s.seq;
            m
        };
        write!(out, "data: {message}\n\n")?;
        out.flush()?;
    }
}

#[cfg(test)]
mod tests {
    use super::{decode, split_url};

    #[test]
    fn urls_are_split_and_decoded() {
        let (p, q) = split_url("/files/a%20b.png?token=x%2Fy&v=3");
        assert_eq!(p, "/files/a b.png");
        assert_eq!(
            q,
            vec![("token".into(), "x/y".into()), ("v".into(), "3".into())]
        );
        assert_eq!(decode("%"), "%");
        assert_eq!(decode("%4"), "%4");
        assert_eq!(decode("%zz"), "%zz");
        assert_eq!(decode("..%2F..%2Fetc"), "../../etc");
    }
}
