//! The notebook view rendered by headless Chromium (Debian's `chromium`): the screenshot
//! must show an ok cell's green stripe, a failed cell's red one, and the plot the cell wrote.
//! Skipped, with a note, where chromium is not installed. The view a plain `ganbook run`
//! writes: its cells, their output and errors, the run's state and links.

mod common;

use ganbook::notebook::Notebook;
use ganbook::state::RunState;
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
    let ctx = RunState::new(BTreeMap::new(), dir.join("out"));
    ctx.set_quiet();
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

/// The `<section>`s of the cells in a view.
fn sections(html: &str) -> Vec<&str> {
    html.split("<section").skip(1).collect()
}

fn run_view(tag: &str, src: &str) -> (std::process::Output, String) {
    let (o, _, out) = common::run_script(tag, src, &[]);
    let html = std::fs::read_to_string(out.join("index.html")).unwrap_or_default();
    (o, html)
}

#[test]
fn a_plain_run_writes_the_view_of_its_cells() {
    let src = "// demo: three cells\n//\n// of a plain run\n\nlet n = param(\"n\", 2);\nprint(`n is ${n}`);\n\
               // %% train\nfor s in 0..5 { log(s, #{loss: 1.0 / (s + 1)}); }\nprint(\"trained\");\n\
               // %% plot\nplot_log([\"loss\"], \"losses\");\nprint(\"plotted\");\n";
    let (o, html) = run_view("view-plain", src);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        html.contains("<div class=\"about\">demo: three cells\n\nof a plain run</div>"),
        "the leading comment is the description: {html}"
    );
    let cells = sections(&html);
    assert_eq!(cells.len(), 3, "{html}");
    assert!(cells[0].contains("[1] </span>") && cells[0].contains("n is 2"));
    assert!(!cells[0].contains("demo"), "the comment is no cell");
    assert!(cells[1].contains("[2] train") && cells[1].contains("trained"));
    assert!(!cells[1].contains("plotted") && !cells[1].contains("<img"));
    assert!(cells[2].contains("plotted") && cells[2].contains("<img src=\"plots/losses.png\""));
    assert!(cells.iter().all(|c| c.starts_with(" class=\"cell ok\"")));
    assert!(html.contains("<span class=\"state finished\">finished</span>"));
    assert!(html.contains("<a href=\"metrics.csv\">") && html.contains("<a href=\"run.json\">"));
    assert!(
        !html.contains("location.reload()"),
        "a finished run's page stays still"
    );
}

#[test]
fn a_failed_plain_run_shows_its_error_in_the_failing_cell() {
    let src = "// %% a\nprint(\"one\");\n// %% b\nprint(\"two\");\nlet x = nope();\n// %% c\nprint(\"three\");\n";
    let (o, html) = run_view("view-failed", src);
    assert_eq!(o.status.code(), Some(1));
    let cells = sections(&html);
    assert_eq!(cells.len(), 3, "{html}");
    assert!(cells[0].starts_with(" class=\"cell ok\""));
    assert!(cells[1].starts_with(" class=\"cell failed\"") && cells[1].contains("two"));
    assert!(
        cells[1].contains("<pre class=\"error failed\">error: view-failed.rhai:5:"),
        "{}",
        cells[1]
    );
    assert!(cells[2].starts_with(" class=\"cell pending\""));
    assert!(html.contains("<span class=\"state error\">error</span>"));
    assert!(!html.contains("location.reload()"));

    // a syntax error: nothing runs; the error is in the cell holding its line
    let (o, html) = run_view("view-syntax", &src.replace("print(\"three\")", "let = 3"));
    assert_eq!(o.status.code(), Some(1));
    let cells = sections(&html);
    assert!(cells[0].starts_with(" class=\"cell pending\""), "{html}");
    assert!(cells[2].contains("error: view-syntax.rhai:7:"), "{html}");
}

#[test]
fn a_marker_inside_a_block_shows_the_script_as_one_cell() {
    let src = "fn f() {\n// %% inside\n  40 + 2\n}\nprint(f());\n";
    let (o, html) = run_view("view-block", src);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "42\n");
    let cells = sections(&html);
    assert_eq!(cells.len(), 1, "{html}");
    assert!(cells[0].contains("// %% inside") && cells[0].contains("42"));
}
