//! The notebook view rendered by headless Chromium (Debian's `chromium`): the screenshot
//! must show an ok cell's green stripe, a failed cell's red one, and the plot the cell wrote.
//! Skipped, with a note, where chromium is not installed.

use ganbook::notebook::Notebook;
use ganbook::script::context::Context;
use std::collections::BTreeMap;
use std::process::Command;

#[test]
fn index_html_renders_in_headless_chromium() {
    if Command::new("chromium").arg("--version").output().is_err() {
        eprintln!("chromium is not installed: screenshot test skipped");
        return;
    }
    let dir = std::env::temp_dir().join(format!("ganbook-html-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("out")).unwrap();
    let script = dir.join("view.rhai");
    std::fs::write(
        &script,
        "// %% log\nfor s in 0..50 { log(s, #{loss: 1.0 / (s + 1)}); }\nplot_log([\"loss\"], \"losses\");\n\
         // %% broken\nprint(\"about to fail\");\nlet x = nope();\n",
    )
    .unwrap();
    let ctx = Context::new(BTreeMap::new(), dir.join("out"));
    ctx.log.lock().unwrap().quiet = true;
    let mut nb = Notebook::new(&script, &ctx);
    nb.verbose = false;
    let o = nb.update().unwrap();
    assert_eq!((o.ran, o.failed), (vec![0], Some(1)));
    assert_eq!(nb.records[0].images.len(), 1, "{:?}", nb.records[0].images);
    let shot = dir.join("shot.png");
    let st = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--window-size=900,1300",
        ])
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", dir.join("out/index.html").display()))
        .output()
        .unwrap();
    assert!(shot.exists(), "{}", String::from_utf8_lossy(&st.stderr));
    let img = image::open(&shot).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (900, 1300));
    let count = |r: u8, g: u8, b: u8| img.pixels().filter(|p| p.0 == [r, g, b]).count();
    assert!(
        count(0x22, 0xaa, 0x22) > 500,
        "no green stripe of an ok cell"
    );
    assert!(
        count(0xdd, 0x33, 0x33) > 500,
        "no red stripe of a failed cell"
    );
    // The plot (plotters' first series colour is not the page's) made it into the page.
    let coloured = img
        .pixels()
        .filter(|p| {
            let [r, g, b] = p.0;
            r.abs_diff(g) > 60 || g.abs_diff(b) > 60
        })
        .count();
    assert!(coloured > count(0x22, 0xaa, 0x22) + count(0xdd, 0x33, 0x33) + 500);
}
