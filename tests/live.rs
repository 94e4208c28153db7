//! `ganbook run --live`: the page's HTTP API as a hostile or careless client meets it (plain
//! requests over TCP), many watchers at once, and the page itself in headless Chromium driven
//! through WebDriver (tests/live/drive.py; skipped without selenium and chromedriver).

mod common;

use common::child::Ganbook;
use common::temp_dir;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `ganbook run --live tests/live/toy_live.rhai`, and the address and token it printed.
fn start(tag: &str) -> (Ganbook, String, String, PathBuf) {
    let out = temp_dir(tag).join("out");
    let script = Path::new("tests/live/toy_live.rhai");
    let mut g = Ganbook::start(&[
        "run".as_ref(),
        "--live".as_ref(),
        script.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--no-tensorboard".as_ref(),
    ]);
    let line = g.wait_for("live page: ");
    let url = line.trim_start_matches("live page: ");
    let rest = url.trim_start_matches("http://");
    let (addr, token) = rest.split_once("/?token=").unwrap();
    (g, addr.to_string(), token.to_string(), out)
}

/// One HTTP/1.1 request; the status code and the body (raw bytes after the head), code 0
/// when the connection ended with no reply.
fn http(addr: &str, request: &[u8]) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.write_all(request);
    let mut reply = Vec::new();
    if let Err(e) = s.read_to_end(&mut reply) {
        eprintln!("reading the live page's reply: {e}");
    }
    parse_reply(&reply)
}

/// (status code, body) of a raw HTTP reply; code 0 when there is none.
fn parse_reply(reply: &[u8]) -> (u16, Vec<u8>) {
    let text = String::from_utf8_lossy(reply);
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = match reply.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(i) => reply[i + 4..].to_vec(),
        None => Vec::new(),
    };
    (code, body)
}

/// A GET. (One in a few hundred once got no reply at all under load: tiny_http's worker
/// pool had left the connection queued behind the open event streams; src/live/http.rs.)
fn get(addr: &str, path: &str) -> (u16, Vec<u8>) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    http(addr, request.as_bytes())
}

fn post(addr: &str, path: &str, body: &str) -> (u16, String) {
    let (code, body) = http(
        addr,
        format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    (code, String::from_utf8_lossy(&body).into_owned())
}

fn state(addr: &str, token: &str) -> Value {
    let (code, body) = get(addr, &format!("/state?token={token}"));
    assert_eq!(code, 200);
    serde_json::from_slice(&body).unwrap()
}

fn d_updates(addr: &str, token: &str) -> u64 {
    // (0 until the first snapshot)
    state(addr, token)["common"]["controls"]["d_updates"]
        .as_u64()
        .unwrap_or(0)
}

/// Waits until `f` holds (up to `secs`).
fn eventually(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < Duration::from_secs(secs), "timed out: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn bad_requests_get_4xx_and_the_run_goes_on() {
    let (mut g, addr, token, out) = start("live-api");
    let t = format!("token={token}");
    eventually(60, "training starts", || d_updates(&addr, &token) > 10);
    // the token
    assert_eq!(get(&addr, "/").0, 403);
    assert_eq!(get(&addr, "/?token=").0, 403);
    assert_eq!(get(&addr, &format!("/?token={}x", token)).0, 403);
    assert_eq!(get(&addr, &format!("/?token={}", &token[1..])).0, 403);
    assert_eq!(get(&addr, "/files/run.json").0, 403);
    let (code, page) = get(&addr, &format!("/?{t}"));
    assert_eq!(code, 200);
    let page = String::from_utf8(page).unwrap();
    assert!(page.contains("EventSource") && page.contains("toy_live.rhai"));
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "nothing leaves the machine"
    );
    // files: only the run folder's, only what the page shows
    std::fs::write(out.join("note.txt"), "a note").unwrap();
    assert_eq!(
        get(&addr, &format!("/files/note.txt?{t}")),
        (200, b"a note".to_vec())
    );
    for path in [
        "/files/../toy_live.rhai",
        "/files/%2e%2e/%2e%2e/%2e%2e/etc/hostname.txt",
        "/files//etc/hostname.txt",
        "/files/a/../../x.png",
        "/files/..%5c..%5cx.png",
    ] {
        let code = get(&addr, &format!("{path}?{t}")).0;
        assert!(code == 400 || code == 404, "{path}: {code}");
    }
    assert_eq!(get(&addr, &format!("/files/nothing.png?{t}")).0, 404);
    assert_eq!(get(&addr, &format!("/files/metrics.exe?{t}")).0, 404);
    // a link inside the run folder that leads out of it
    let secret = out.parent().unwrap().join("secret.txt");
    std::fs::write(&secret, "secret").unwrap();
    std::os::unix::fs::symlink(&secret, out.join("link.txt")).unwrap();
    assert_eq!(get(&addr, &format!("/files/link.txt?{t}")).0, 404);
    // bodies
    let huge = "x".repeat(2 << 20);
    assert_eq!(post(&addr, &format!("/draw?{t}"), &huge).0, 413);
    assert_eq!(post(&addr, &format!("/knob?{t}"), "{not json").0, 400);
    assert_eq!(
        post(&addr, &format!("/control?{t}"), r#"{"button":"explode"}"#).0,
        400
    );
    assert_eq!(
        post(&addr, &format!("/knob?{t}"), r#"{"name":"lr","value":5.0}"#).0,
        400
    );
    assert_eq!(
        post(
            &addr,
            &format!("/knob?{t}"),
            r#"{"name":"lr","value":"fast"}"#
        )
        .0,
        400
    );
    assert_eq!(
        post(&addr, &format!("/knob?{t}"), r#"{"name":"nope","value":1}"#).0,
        400
    );
    assert_eq!(
        post(
            &addr,
            &format!("/knob?{t}"),
            r#"{"name":"loss","value":"mse"}"#
        )
        .0,
        400
    );
    assert_eq!(
        post(&addr, &format!("/draw?{t}"), r#"{"points":[[1,"a"]]}"#).0,
        400
    );
    assert_eq!(post(&addr, &format!("/reset?{t}"), r#"{"cell":-1}"#).0, 400);
    assert_eq!(get(&addr, &format!("/control?{t}")).0, 405);
    assert_eq!(post(&addr, "/control", r#"{"button":"pause"}"#).0, 403);
    // not HTTP at all, and a client that hangs up at once
    let _ = http(&addr, b"\x16\x03\x01\x00garbage\r\n\r\n");
    drop(TcpStream::connect(&addr).unwrap());
    // the run went on and still answers
    let before = d_updates(&addr, &token);
    eventually(30, "more updates", || d_updates(&addr, &token) > before + 5);
    // a knob in range is taken, and reaches the script
    assert_eq!(
        post(
            &addr,
            &format!("/knob?{t}"),
            r#"{"name":"lr_d","value":0.002}"#
        )
        .0,
        200
    );
    eventually(10, "the script reads lr_d", || {
        state(&addr, &token)["common"]["controls"]["latency_ms"]["count"]
            .as_u64()
            .unwrap()
            > 0
    });
    assert_eq!(g.interrupt(), Some(130));
    let run: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["status"], "stopped");
    assert_eq!(
        run["live"]["knobs"]["lr_d"]["value"], 0.002,
        "{}",
        run["live"]
    );
    assert_eq!(run["live"]["knobs"]["lr_d"]["default"], 0.001);
}

#[test]
fn pause_and_single_steps_count_exact_updates() {
    let (mut g, addr, token, _) = start("live-steps");
    let t = format!("token={token}");
    eventually(60, "training starts", || d_updates(&addr, &token) > 10);
    let counts = || {
        let c = state(&addr, &token)["common"]["controls"].clone();
        (
            c["d_updates"].as_u64().unwrap(),
            c["g_updates"].as_u64().unwrap(),
        )
    };
    assert_eq!(
        post(&addr, &format!("/control?{t}"), r#"{"button":"pause"}"#).0,
        200
    );
    std::thread::sleep(Duration::from_millis(500));
    let paused = counts();
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(counts(), paused, "paused: nothing moves");
    // presses `button`, then waits for the counts to move by (d, g) from the paused ones
    let press = |button: &str, (d, g): (u64, u64), what: &str| {
        let body = format!(r#"{{"button":"{button}"}}"#);
        assert_eq!(post(&addr, &format!("/control?{t}"), &body).0, 200);
        eventually(5, what, || counts() == (paused.0 + d, paused.1 + g));
    };
    press("step_d", (1, 0), "one D update");
    press("step_g", (1, 1), "one G update");
    press("step_round", (2, 2), "one round");
    // 3 D steps per round: a round is then 3 D updates and 1 G update. The script reads the
    // knob when its round begins: the round it may already have begun has 1 D (or 3, when it
    // had not reached its gate yet), every round after it 3.
    let knob = r#"{"name":"d_steps","value":3}"#;
    assert_eq!(post(&addr, &format!("/knob?{t}"), knob).0, 200);
    let body = r#"{"button":"step_round"}"#;
    assert_eq!(post(&addr, &format!("/control?{t}"), body).0, 200);
    eventually(5, "the round begun", || counts().1 == paused.1 + 3);
    std::thread::sleep(Duration::from_millis(300));
    let now = counts();
    assert!(
        now.0 == paused.0 + 3 || now.0 == paused.0 + 5,
        "{paused:?} -> {now:?}"
    );
    let (d0, g0) = (now.0 - paused.0, now.1 - paused.1);
    press("step_round", (d0 + 3, g0 + 1), "a round of 3 D");
    // a G step while the run waits at a D update skips the D updates to reach it
    press("step_g", (d0 + 3, g0 + 2), "G alone");
    std::thread::sleep(Duration::from_millis(500));
    let want = (paused.0 + d0 + 3, paused.1 + g0 + 2);
    assert_eq!(counts(), want, "exactly one step");
    post(&addr, &format!("/control?{t}"), r#"{"button":"play"}"#);
    eventually(10, "playing again", || counts().1 > paused.1 + 10);
    assert_eq!(g.interrupt(), Some(130));
}

#[test]
fn fifty_watchers_for_a_minute() {
    let (mut g, addr, token, _) = start("live-watchers");
    eventually(60, "training starts", || d_updates(&addr, &token) > 10);
    let secs = std::env::var("GANBOOK_LIVE_WATCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60u64);
    let start_updates = d_updates(&addr, &token);
    let watchers: Vec<_> = (0..50)
        .map(|_| {
            let (addr, token) = (addr.clone(), token.clone());
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(&addr).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                write!(
                    s,
                    "GET /events?token={token} HTTP/1.1\r\nHost: {addr}\r\n\r\n"
                )
                .unwrap();
                let (mut events, mut buf, t) = (0usize, [0u8; 65536], Instant::now());
                while t.elapsed() < Duration::from_secs(secs) {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => events += buf[..n].windows(6).filter(|w| w == b"data: ").count(),
                    }
                }
                events
            })
        })
        .collect();
    eventually(20, "50 watchers", || {
        state(&addr, &token)["common"]["controls"]["watchers"] == 50
    });
    let events: Vec<usize> = watchers.into_iter().map(|w| w.join().unwrap()).collect();
    // a snapshot every quarter second: each watcher got most of them
    let least = *events.iter().min().unwrap();
    assert!(
        least as u64 >= secs * 2,
        "a watcher got only {least} events in {secs} s"
    );
    let rate = (d_updates(&addr, &token) - start_updates) as f64 / secs as f64;
    eprintln!("50 watchers for {secs} s: {rate:.0} D updates/s; events per watcher {least}..");
    eventually(10, "the watchers are gone", || {
        state(&addr, &token)["common"]["controls"]["watchers"] == 0
    });
    assert_eq!(g.interrupt(), Some(130));
}

#[test]
fn the_page_drives_the_run_in_chromium() {
    let Some(python) = common::browser_python() else {
        return;
    };
    let (mut g, addr, token, out) = start("live-browser");
    let shots = out.parent().unwrap().join("shots");
    let o = std::process::Command::new(python)
        .arg("tests/live/drive.py")
        .arg(format!("http://{addr}/?token={token}"))
        .arg(&shots)
        .output()
        .unwrap();
    let said = format!("{}{}", common::text(&o.stdout), common::text(&o.stderr));
    assert!(o.status.success(), "{said}");
    assert!(said.contains("all checks passed"), "{said}");
    assert_eq!(g.interrupt(), Some(130));
}
