//! A `ganbook` child process whose stdout lines the test reads as they come (`run --watch`,
//! `run --live`); killed when dropped.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

pub struct Ganbook {
    pub child: Child,
    lines: Receiver<String>,
    /// Every line read so far.
    pub seen: Vec<String>,
}

impl Ganbook {
    /// Starts `ganbook ARGS` with its stdout piped (stderr dropped).
    pub fn start(args: &[&std::ffi::OsStr]) -> Ganbook {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ganbook"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let (tx, rx) = channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Ganbook {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// `ganbook run --watch SCRIPT --out OUT`.
    pub fn watch(script: &std::path::Path, out: &std::path::Path) -> Ganbook {
        Ganbook::start(&[
            "run".as_ref(),
            "--watch".as_ref(),
            script.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ])
    }

    /// The next line starting with `prefix` (fails after a minute without one).
    pub fn wait_for(&mut self, prefix: &str) -> String {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(60)) {
                Ok(l) => {
                    self.seen.push(l.clone());
                    if l.starts_with(prefix) {
                        return l;
                    }
                }
                Err(_) => panic!(
                    "no line starting {prefix:?}; saw:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Sends Ctrl-C (SIGINT) and waits for the exit code.
    pub fn interrupt(&mut self) -> Option<i32> {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        self.child.wait().unwrap().code()
    }
}

impl Drop for Ganbook {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
