//! `ganbook run --live FILE`: a page in the browser that follows the run as it trains (loss
//! curves, the newest image of every series, the cells) and drives it (play, pause, single
//! steps of D or G, slow motion, the script's knobs, hand-drawn data, going back to a cell).
//! The run itself is a notebook run as `--watch` makes it (`notebook::watch`); this module
//! adds the server, the snapshot feed and the page. The script sees the controls through
//! `state::controls` (knob, gate, drawn, live_frame).

pub mod feed;
pub mod http;
pub mod server;

use crate::error::Result;
use crate::notebook::html::Page;
use crate::session::options::RunOptions;
use crate::state::RunState;
use feed::Feed;
use rand::Rng;
use serde_json::{Value, json};
use server::Shared;
use std::sync::Arc;

/// `ganbook run --live FILE`: the notebook run of `--watch` (cells, a re-run from the first
/// changed cell on save, until Ctrl-C), followed and driven by a page served on `bind`.
pub fn run(opts: RunOptions, bind: &str) -> i32 {
    let title = opts.script.display().to_string();
    crate::notebook::watch::watch_with(opts, |ctx, nb| {
        let live = Live::start(ctx, bind, &title)?;
        println!("live page: {}", live.url);
        if !bind.starts_with("127.") && !bind.starts_with("localhost") {
            println!(
                "  (listening on {bind}: anyone on this network with the URL can drive the run)"
            );
        }
        let feed = live.feed.clone();
        nb.observer = Some(Box::new(move |page| show(&feed, page)));
        Ok(Box::new(live))
    })
}

/// A live page being served; dropping it stops the server and the feed.
pub struct Live {
    pub url: String,
    server: Arc<http::Server>,
    feed: Arc<Feed>,
}

/// A fresh random token: 128 bits, hex.
fn token() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Live {
    /// Serves the page of the run `ctx` on `bind` ("127.0.0.1:0" picks a free port) and turns
    /// the run's controls on.
    pub fn start(ctx: &Arc<RunState>, bind: &str, title: &str) -> Result<Live> {
        let bind = if bind.contains(':') {
            bind.to_string()
        } else {
            format!("{bind}:0")
        };
        let server = http::Server::bind(&bind)
            .map_err(|e| crate::err!("the live page cannot listen on {bind}: {e}"))?;
        let addr = server.addr;
        let server = Arc::new(server);
        let feed = Arc::new(Feed::default());
        let token = token();
        let shown_host = if addr.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else {
            addr.ip().to_string()
        };
        let url = format!("http://{shown_host}:{}/?token={token}", addr.port());
        let shared = Arc::new(Shared::new(ctx.clone(), feed.clone(), token, title.into()));
        ctx.controls().enable();
        let (f, c) = (feed.clone(), ctx.clone());
        spawn("live-feed", move || f.run(c))?;
        let s = server.clone();
        spawn("live-server", move || server::serve(s, shared))?;
        Ok(Live { url, server, feed })
    }
}

/// Passes what the notebook view shows (cells, the run's state) on to the page.
fn show(feed: &Feed, page: &Page) {
    *feed.cells.lock().unwrap_or_else(|p| p.into_inner()) = view_json(page);
    feed.poke();
}

impl Drop for Live {
    fn drop(&mut self) {
        self.feed.stop();
        self.server.stop();
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<()> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .map(|_| ())
        .map_err(|e| crate::err!("cannot start the live page's {name} thread: {e}"))
}

/// The notebook view as the page shows it: the run's state and each cell.
fn view_json(page: &Page) -> Value {
    let cells: Vec<Value> = page
        .cells
        .iter()
        .map(|c| {
            let seconds = match (c.status, c.started) {
                (crate::notebook::Status::Running, Some(t)) => t.elapsed().as_secs_f64(),
                _ => c.seconds,
            };
            json!({"title": c.title, "status": c.status.word(), "output": c.output,
                   "error": c.error, "seconds": seconds,
                   "images": c.images.iter().map(|p| p.to_string_lossy().replace('\\', "/"))
                       .collect::<Vec<_>>()})
        })
        .collect();
    json!({"title": page.title, "header": page.header, "state": page.state.word(),
           "cells": cells})
}
