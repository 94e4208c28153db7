//! The live page's HTTP/1.1 plumbing: a listener that gives every connection its own thread,
//! one request per connection (each reply says `Connection: close`), the request head parsed
//! by `httparse` (hyper's parser). An event stream holds only its own thread, so a new page
//! or request never waits behind the pages already watching.
//!
//! tiny_http served the page before: its worker pool can leave a new connection queued while
//! every worker holds an open connection (a lost wake-up in tiny_http 0.12's TaskPool: two
//! connections accepted while one worker waits both go to its queue, and one wake-up is
//! lost). With 50 event streams open, a /state request then got no reply at all; that is
//! what tests/live.rs's `fifty_watchers_for_a_minute` caught now and then.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The largest request head taken (request line and headers).
const MAX_HEAD: usize = 16 * 1024;
/// How long a client may take to send its request (and a body it sends on after a refusal).
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a write to an event stream may wait for the page to read.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// The most of a refused body read and dropped before closing, so the refusal reaches the
/// client (closing with unread bytes resets the connection, and the reply with it).
const DRAIN_LIMIT: u64 = 8 << 20;

/// One request: its method, URL (path and query, as sent) and declared body length.
pub struct Request {
    pub method: String,
    pub url: String,
    pub body_length: Option<usize>,
    stream: TcpStream,
    /// Bytes read past the head: the start of the body.
    read_ahead: Vec<u8>,
}

/// Listens on `bind` ("127.0.0.1:0" picks a free port) until dropped.
pub struct Server {
    pub addr: SocketAddr,
    listener: TcpListener,
    stopped: Arc<AtomicBool>,
}

impl Server {
    pub fn bind(bind: &str) -> std::io::Result<Server> {
        let listener = TcpListener::bind(bind)?;
        Ok(Server {
            addr: listener.local_addr()?,
            listener,
            stopped: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Calls `handle` on a thread of its own for every request, until [`Server::stop`].
    pub fn serve(&self, handle: impl Fn(Request) + Send + Sync + 'static) {
        let handle = Arc::new(handle);
        for conn in self.listener.incoming() {
            if self.stopped.load(Ordering::Relaxed) {
                break;
            }
            let Ok(stream) = conn else {
                // out of file descriptors, say: wait a moment rather than spin
                std::thread::sleep(Duration::from_millis(50));
                continue;
            };
            let handle = handle.clone();
            let spawned = std::thread::Builder::new()
                .name("live-request".into())
                .spawn(move || {
                    if let Some(request) = read_request(stream) {
                        handle(request);
                    }
                });
            if let Err(e) = spawned {
                eprintln!("live page: cannot start a thread for a request: {e}");
            }
        }
    }

    /// Ends [`Server::serve`]: sets the flag, then wakes the blocked accept with a connection.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
        let mut wake = self.addr;
        if wake.ip().is_unspecified() {
            wake.set_ip([127, 0, 0, 1].into());
        }
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
    }
}

/// Reads and parses a request head; a malformed or oversized one gets its 4xx here.
fn read_request(mut stream: TcpStream) -> Option<Request> {
    stream.set_read_timeout(Some(READ_TIMEOUT)).ok()?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None; // hung up before a whole head
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Request::new(&mut headers);
        match parsed.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
                let body_length = parsed
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                    .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse().ok());
                return Some(Request {
                    method: parsed.method.unwrap_or("").to_string(),
                    url: parsed.path.unwrap_or("/").to_string(),
                    body_length,
                    read_ahead: buf[len..].to_vec(),
                    stream,
                });
            }
            Ok(httparse::Status::Partial) if buf.len() <= MAX_HEAD => continue,
            Ok(httparse::Status::Partial) => {
                write_reply(&mut stream, 431, "text/plain", b"request head too large\n");
                return None;
            }
            Err(_) => {
                write_reply(&mut stream, 400, "text/plain", b"not an HTTP request\n");
                return None;
            }
        }
    }
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "",
    }
}

fn write_reply(stream: &mut TcpStream, code: u16, kind: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {code} {}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        reason(code),
        body.len()
    );
    // a page gone away is not the run's problem
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|_| stream.write_all(body))
        .and_then(|_| stream.flush());
}

impl Request {
    /// The body, at most `max + 1` bytes of it (more than `max` means: too large).
    pub fn read_body(&mut self, max: usize) -> std::io::Result<Vec<u8>> {
        let want = self.body_length.unwrap_or(0).min(max + 1);
        let mut body = std::mem::take(&mut self.read_ahead);
        body.truncate(want);
        if body.len() < want {
            (&mut self.stream)
                .take((want - body.len()) as u64)
                .read_to_end(&mut body)?;
        }
        if body.len() < want {
            return Err(std::io::Error::new(
                ErrorKind::UnexpectedEof,
                "body cut short",
            ));
        }
        Ok(body)
    }

    /// Sends the whole reply and closes the connection.
    pub fn respond(mut self, code: u16, kind: &str, body: &[u8]) {
        write_reply(&mut self.stream, code, kind, body);
        // let a body the client still sends arrive before closing (see DRAIN_LIMIT)
        let _ = self.stream.shutdown(std::net::Shutdown::Write);
        let _ = std::io::copy(
            &mut (&mut self.stream).take(DRAIN_LIMIT),
            &mut std::io::sink(),
        );
    }

    /// The connection, to write a reply of open length (an event stream) on; a write that
    /// waits longer than `WRITE_TIMEOUT` for the page to read fails (a dead peer).
    pub fn into_stream(self) -> TcpStream {
        let _ = self.stream.set_write_timeout(Some(WRITE_TIMEOUT));
        self.stream
    }
}
