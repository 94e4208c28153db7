//! The REPL in a pseudo-terminal (tmux): completion, multi-line input, errors with a caret,
//! `:` commands, and Ctrl-C interrupting a command while the session and its variables live.
//! Skipped, with a note, where tmux is not installed.

use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    name: String,
}

impl Tmux {
    fn start(tag: &str) -> Option<Tmux> {
        let ok = Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            eprintln!("tmux is not installed: REPL pty test skipped");
            return None;
        }
        let name = format!("ganbook-test-{tag}-{}", std::process::id());
        let data = std::env::temp_dir().join(format!("{name}-data"));
        let cmd = format!(
            "XDG_DATA_HOME={} {}",
            data.display(),
            env!("CARGO_BIN_EXE_ganbook")
        );
        let st = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &name,
                "-x",
                "160",
                "-y",
                "60",
                &cmd,
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(st.success());
        let t = Tmux { name };
        t.wait_for(">>");
        Some(t)
    }

    /// Types text literally (tmux reads a trailing `;` as a command separator: escape it).
    fn text(&self, s: &str) {
        let s = if let Some(head) = s.strip_suffix(';') {
            format!("{head}\\;")
        } else {
            s.to_string()
        };
        Command::new("tmux")
            .args(["send-keys", "-t", &self.name, "-l", &s])
            .status()
            .unwrap();
    }

    fn key(&self, k: &str) {
        Command::new("tmux")
            .args(["send-keys", "-t", &self.name, k])
            .status()
            .unwrap();
    }

    fn screen(&self) -> String {
        let o = Command::new("tmux")
            .args(["capture-pane", "-p", "-S", "-200", "-t", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).to_string()
    }

    /// Waits (up to 30 s) until the screen contains `needle`; returns the screen.
    fn wait_for(&self, needle: &str) -> String {
        let t = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(needle) {
                return s;
            }
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "no {needle:?} on screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn line(&self, s: &str) {
        self.text(s);
        self.key("Enter");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}

#[test]
fn repl_in_a_terminal() {
    let Some(t) = Tmux::start("main") else { return };
    // Multi-line: the input continues while a bracket is open.
    t.line("let G = sequential([linear(2, 4),");
    t.wait_for("..");
    t.line("relu()]);");
    // Completion of a method on the variable's type.
    t.text("G.forw");
    t.key("Tab");
    t.wait_for("G.forward");
    t.line("(randn([3, 2])).shape()");
    t.wait_for("[3, 4]");
    // Completion of a file name inside a string literal.
    t.text("let f = \"Cargo.t");
    t.key("Tab");
    t.wait_for("\"Cargo.toml");
    t.line("\";");
    // Errors show a caret under the place.
    t.line("let z = 1 +* 2;");
    let s = t.wait_for("syntax error");
    assert!(s.contains("  let z = 1 +* 2;\n             ^"), "{s}");
    t.line(":help forward");
    t.wait_for("Runs the model on a batch");
    t.line(":vars");
    t.wait_for("12 params");
    // Ctrl-C interrupts a running command; the session and its variables stay.
    t.line("let n = 0;");
    t.line("loop { n += 1; }");
    std::thread::sleep(Duration::from_millis(500));
    t.key("C-c");
    t.wait_for("interrupted at input");
    t.line("n > 0 && G.params() == 12");
    t.wait_for("true");
    t.key("C-d");
}

/// A name defined again holds the new value (issue 17: `a` printed the first value), also
/// after an interrupted line; Tab twice lists every method of a variable's type.
#[test]
fn redefinition_and_listed_completion() {
    let Some(t) = Tmux::start("redef") else {
        return;
    };
    t.line("let a = 1;");
    t.line("let a = 2;");
    t.line("a * 100 + 7");
    t.wait_for("207");
    t.line("let G = sequential([linear(2, 4)]);");
    t.line("let G = sequential([linear(2, 8)]);");
    t.line("G.forward(randn([1, 2])).shape()");
    t.wait_for("[1, 8]");
    t.line("let a = 3; loop { a += 0; }");
    std::thread::sleep(Duration::from_millis(500));
    t.key("C-c");
    t.wait_for("interrupted at input");
    t.line("a * 100 + 9");
    t.wait_for("309");
    // Tab completes nothing more after `G.`; a second Tab lists the candidates.
    t.text("G.");
    t.key("Tab");
    t.key("Tab");
    let s = t.wait_for("summary");
    assert!(s.contains("forward") && s.contains("params"), "{s}");
    assert!(!s.contains("to_string"), "{s}");
    t.key("C-c");
    t.key("C-d");
}
