//! The kernel's stdout and stderr, sent to the notebook: file descriptors 1 and 2 become pipes
//! whose text goes out as `stream` messages under the cell that is running. Everything a cell
//! prints reaches its output this way: `print`, the training status line, warnings, and what
//! burn or a C library writes. The kernel's own diagnostics go to the original stderr
//! ([`Log`]), which Jupyter shows in its server log.

use jupyter_protocol::{JupyterMessage, Stdio, StreamContent};
use std::fs::File;
use std::io::Write;
use std::os::fd::{FromRawFd, RawFd};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::mpsc::UnboundedSender;

/// The kernel's log: the stderr Jupyter gave it, kept before fd 2 became a pipe.
#[derive(Clone)]
pub struct Log(Arc<Mutex<File>>);

impl Log {
    pub fn say(&self, line: &str) {
        let mut f = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let _ = writeln!(f, "ganbook kernel: {line}");
    }
}

struct Pipe {
    read_fd: RawFd,
    name: Stdio,
    /// Bytes read but not yet sent: the start of a UTF-8 character cut by a read.
    pending: Vec<u8>,
}

struct Shared {
    pipes: [Pipe; 2],
    /// The request whose output this is (the running cell); None between cells.
    parent: Option<JupyterMessage>,
    iopub: UnboundedSender<JupyterMessage>,
    log: Log,
}

/// The captured stdout and stderr (see the module doc).
#[derive(Clone)]
pub struct Capture(Arc<Mutex<Shared>>);

impl Capture {
    /// Makes fds 1 and 2 pipes read by a thread of their own. Returns the capture and the
    /// log (the original stderr).
    pub fn start(iopub: UnboundedSender<JupyterMessage>) -> std::io::Result<(Capture, Log)> {
        // SAFETY: dup of a valid fd; the File takes ownership of the new one.
        let log_fd = check(unsafe { libc::dup(2) })?;
        let log = Log(Arc::new(Mutex::new(unsafe { File::from_raw_fd(log_fd) })));
        let stdout = redirect(1)?;
        let stderr = redirect(2)?;
        let capture = Capture(Arc::new(Mutex::new(Shared {
            pipes: [
                Pipe {
                    read_fd: stdout,
                    name: Stdio::Stdout,
                    pending: Vec::new(),
                },
                Pipe {
                    read_fd: stderr,
                    name: Stdio::Stderr,
                    pending: Vec::new(),
                },
            ],
            parent: None,
            iopub,
            log: log.clone(),
        })));
        let reader = capture.clone();
        std::thread::Builder::new()
            .name("kernel-output".into())
            .spawn(move || reader.forward_forever(stdout, stderr))?;
        Ok((capture, log))
    }

    fn shared(&self) -> MutexGuard<'_, Shared> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Output from now on belongs to `parent` (the execute request running).
    pub fn set_parent(&self, parent: Option<&JupyterMessage>) {
        self.flush();
        self.shared().parent = parent.cloned();
    }

    /// Sends everything printed so far: Rust's buffers are flushed into the pipes and the
    /// pipes emptied, so that the output comes before whatever the caller sends next.
    pub fn flush(&self) {
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
        self.shared().drain();
    }

    fn forward_forever(&self, stdout: RawFd, stderr: RawFd) {
        let mut fds = [stdout, stderr].map(|fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        });
        loop {
            // SAFETY: `fds` is a valid array of two pollfd for the call's duration.
            unsafe { libc::poll(fds.as_mut_ptr(), 2, 50) };
            self.shared().drain();
        }
    }
}

impl Shared {
    /// Reads what the pipes hold (they never block: O_NONBLOCK) and sends it as text.
    fn drain(&mut self) {
        for i in 0..2 {
            let mut buf = [0u8; 8192];
            loop {
                // SAFETY: reading into a live buffer of the length given.
                let n = unsafe {
                    libc::read(self.pipes[i].read_fd, buf.as_mut_ptr().cast(), buf.len())
                };
                if n <= 0 {
                    break;
                }
                self.pipes[i].pending.extend_from_slice(&buf[..n as usize]);
            }
            let text = take_utf8(&mut self.pipes[i].pending);
            if text.is_empty() {
                continue;
            }
            match &self.parent {
                Some(parent) => {
                    let msg = StreamContent {
                        name: self.pipes[i].name.clone(),
                        text,
                    }
                    .as_child_of(parent);
                    let _ = self.iopub.send(msg);
                }
                None => self
                    .log
                    .say(&format!("output outside a cell: {}", text.trim_end())),
            }
        }
    }
}

/// The longest prefix of `bytes` that is whole UTF-8 (invalid bytes replaced), removed from
/// it; a character cut at the end stays for the next read.
fn take_utf8(bytes: &mut Vec<u8>) -> String {
    let cut = match std::str::from_utf8(bytes) {
        Ok(_) => bytes.len(),
        Err(e) if e.error_len().is_none() => e.valid_up_to(),
        Err(_) => bytes.len(),
    };
    let rest = bytes.split_off(cut);
    let text = String::from_utf8_lossy(bytes).into_owned();
    *bytes = rest;
    text
}

/// Points `fd` at the write end of a new pipe; returns the read end (non-blocking).
fn redirect(fd: RawFd) -> std::io::Result<RawFd> {
    let mut ends = [0 as RawFd; 2];
    // SAFETY: `ends` has room for the two fds pipe writes.
    check(unsafe { libc::pipe(ends.as_mut_ptr()) })?;
    let [read, write] = ends;
    // SAFETY: plain fd calls on fds this function owns (and on `fd`, which dup2 replaces).
    unsafe {
        check(libc::dup2(write, fd))?;
        libc::close(write);
        let flags = check(libc::fcntl(read, libc::F_GETFL))?;
        check(libc::fcntl(read, libc::F_SETFL, flags | libc::O_NONBLOCK))?;
        libc::fcntl(read, libc::F_SETFD, libc::FD_CLOEXEC);
    }
    Ok(read)
}

fn check(ret: libc::c_int) -> std::io::Result<libc::c_int> {
    if ret < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

#[cfg(test)]
mod tests {
    use super::take_utf8;

    #[test]
    fn a_character_cut_by_a_read_waits_for_its_end() {
        let mut b = "ab€".as_bytes().to_vec();
        b.pop();
        assert_eq!(take_utf8(&mut b), "ab");
        assert_eq!(b.len(), 2);
        b.push(0xac);
        assert_eq!(take_utf8(&mut b), "€");
        assert!(b.is_empty());
    }
}
