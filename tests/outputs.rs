//! What a run leaves in its folder: PNG grids with step names, metrics.jsonl/csv, plots that
//! are not blank, GIFs with one frame per saved grid, latent-walk strips.

use ganbook::script;
use ganbook::state::RunState;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ganbook-out-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn run(out: &Path, src: &str) -> Result<(), String> {
    let ctx = RunState::new(BTreeMap::new(), out.to_path_buf());
    ctx.set_quiet();
    let engine = script::engine(&ctx);
    engine
        .run(src)
        .map_err(|e| ganbook::script::errors::format_eval_error("test.rhai", &e).0)
}

/// How many distinct colours an image has: a blank plot has one.
fn colours(path: &Path) -> usize {
    let img = image::open(path).unwrap().to_rgb8();
    let mut seen = std::collections::HashSet::new();
    for p in img.pixels() {
        seen.insert(p.0);
    }
    seen.len()
}

#[test]
fn grids_are_named_by_step_and_make_a_gif() {
    let out = tmp("grid");
    run(
        &out,
        r#"
        for step in 0..3 {
            log(step * 100, #{ loss: 1.0 / (step + 1) });
            grid(rand([6, 3, 8, 8]) * 2 - 1, "samples/step", #{ nrow: 3 });
        }
        grid(rand([4, 1, 32, 32]), "gray", #{ range: [0, 1], padding: 0 });
        gif("samples/step", "progress", #{ fps: 4 });
        gif("samples/step", "labelled", #{ label: true });
        "#,
    )
    .unwrap();
    for s in ["000000", "000100", "000200"] {
        let img = image::open(out.join(format!("samples/step_{s}.png"))).unwrap();
        // 8x8 images are scaled 8x to 64x64; 3 per row, 2 rows, 2 px padding.
        assert_eq!((img.width(), img.height()), (3 * 66 + 2, 2 * 66 + 2));
    }
    let gray = image::open(out.join("samples/gray.png")).unwrap();
    assert_eq!((gray.width(), gray.height()), (2 * 64, 2 * 64));
    let file = std::fs::File::open(out.join("plots/progress.gif")).unwrap();
    let dec = image::codecs::gif::GifDecoder::new(std::io::BufReader::new(file)).unwrap();
    use image::AnimationDecoder;
    let frames = dec.into_frames().collect_frames().unwrap();
    assert_eq!(frames.len(), 3);
    assert_eq!(frames[0].buffer().dimensions(), (200, 134));
    let file = std::fs::File::open(out.join("plots/labelled.gif")).unwrap();
    let dec = image::codecs::gif::GifDecoder::new(std::io::BufReader::new(file)).unwrap();
    let frames = dec.into_frames().collect_frames().unwrap();
    assert_eq!(
        frames[2].buffer().dimensions(),
        (200, 134 + ganbook::viz::gif::LABEL_BAND)
    );
}

#[test]
fn log_writes_jsonl_and_csv_and_plots_are_not_blank() {
    let out = tmp("log");
    run(
        &out,
        r#"
        for step in 0..50 {
            log(step, #{ d_loss: tensor([0.5 + 0.01 * step]), g_loss: 2.0 - 0.02 * step });
        }
        log(50, #{ fid: 30.0 });
        plot_log(["d_loss", "g_loss"], "losses");
        plot(#{ lr: [1.0, 0.5, 0.25, 0.125], fid: [[0, 40.0], [10, 30.0]] }, "misc", #{ xlabel: "epoch", ylabel: "value", logy: true });
        hist(randn([500]), "weights");
        "#,
    )
    .unwrap();
    let jsonl = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
    let lines: Vec<&str> = jsonl.lines().collect();
    assert_eq!(lines.len(), 51);
    let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(first["step"], 0);
    assert!((first["d_loss"].as_f64().unwrap() - 0.5).abs() < 1e-6);
    let csv = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "step,d_loss,g_loss,fid");
    assert_eq!(rows[51], "50,,,30");
    for p in ["plots/losses.png", "plots/misc.png", "plots/weights.png"] {
        let n = colours(&out.join(p));
        assert!(n > 20, "{p} looks blank ({n} colours)");
    }
}

#[test]
fn output_errors_name_the_problem() {
    let out = tmp("errors");
    let e = run(&out, r#"plot_log(["nope"], "x");"#).unwrap_err();
    assert!(e.contains("no values logged under 'nope'"), "{e}");
    let e = run(&out, r#"grid(rand([2, 3, 4, 4]), "../escape");"#).unwrap_err();
    assert!(e.contains("inside"), "{e}");
    let e = run(&out, r#"gif("samples/none", "g");"#).unwrap_err();
    assert!(e.contains("no frames"), "{e}");
}

#[test]
fn interpolate_makes_one_strip() {
    let out = tmp("walk");
    run(
        &out,
        r#"
        let G = sequential([linear(2, 48), tanh(), reshape([3, 4, 4])]);
        interpolate(G, randn([1, 2]), randn([1, 2]), 5, "walk");
        "#,
    )
    .unwrap();
    let img = image::open(out.join("samples/walk.png")).unwrap();
    assert_eq!((img.width(), img.height()), (5 * 66 + 2, 66 + 2));
}

#[test]
fn scatter2d_draws_points_heatmap_and_arrows() {
    let dir = std::env::temp_dir().join(format!("ganbook-scatter-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let ctx = ganbook::state::RunState::new(Default::default(), dir.clone());
    let engine = ganbook::script::engine(&ctx);
    let plain: String = engine
        .eval(r#"scatter2d(toy2d("ring8", 200), randn([200, 2]), "plain")"#)
        .unwrap();
    let with_critic: String = engine
        .eval(
            r#"let D = sequential([linear(2, 16), tanh(), linear(16, 1)]);
               scatter2d(toy2d("ring8", 200), randn([200, 2]), "critic", #{critic: D})"#,
        )
        .unwrap();
    for p in [&plain, &with_critic] {
        assert_eq!(
            image::open(p).expect("a PNG").to_rgb8().dimensions(),
            (ganbook::viz::scatter::WIDTH, ganbook::viz::scatter::HEIGHT)
        );
    }
    let (a, b) = (colours(Path::new(&plain)), colours(Path::new(&with_critic)));
    assert!(a > 5, "plain picture nearly blank: {a} colours");
    assert!(b > a + 20, "the heatmap adds colours: {b} vs {a}");
    let err = engine
        .eval::<String>(r#"scatter2d(randn([5, 3]), randn([5, 2]), "bad")"#)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("real must be points [n, 2], got [5, 3]"),
        "{err}"
    );
    let err = engine
        .eval::<String>(
            r#"scatter2d(randn([5, 2]), randn([5, 2]), "bad", #{generator_arrows: true})"#,
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("generator_arrows needs a critic"), "{err}");
}

#[test]
fn gif_lays_several_series_side_by_side() {
    let out = tmp("side");
    run(
        &out,
        r#"
        for step in 0..3 {
            log(step, #{ x: 1 });
            grid(rand([6, 3, 8, 8]) * 2 - 1, "left/step", #{ nrow: 3 });
            if step < 2 { grid(rand([4, 1, 8, 8]), "right/step", #{ nrow: 2 }); }
        }
        gif(["left/step", "right/step"], "both", #{ fps: 4 });
        "#,
    )
    .unwrap();
    let file = std::fs::File::open(out.join("plots/both.gif")).unwrap();
    let dec = image::codecs::gif::GifDecoder::new(std::io::BufReader::new(file)).unwrap();
    use image::AnimationDecoder;
    let frames = dec.into_frames().collect_frames().unwrap();
    assert_eq!(frames.len(), 3, "the longer series sets the count");
    // left frames are 3 * 66 + 2 wide, 2 * 66 + 2 tall; right ones 2 * 66 + 2 square
    assert_eq!(
        frames[0].buffer().dimensions(),
        (3 * 66 + 2 + 2 * 66 + 2, 2 * 66 + 2)
    );
    let e = run(&out, r#"gif(["left/step", 3], "bad");"#).unwrap_err();
    assert!(e.contains("expected strings"), "{e}");
}

/// The pixels drawn in the real points' colour.
fn real_pixels(path: &str) -> Vec<(u32, u32)> {
    let img = image::open(path).unwrap().to_rgb8();
    img.enumerate_pixels()
        .filter(|(_, _, p)| p.0 == [0, 120, 50])
        .map(|(x, y, _)| (x, y))
        .collect()
}

#[test]
fn scatter_frames_of_a_series_keep_their_axes() {
    let out = tmp("frames");
    let ctx = RunState::new(BTreeMap::new(), out.clone());
    let engine = script::engine(&ctx);
    // the same real points at two steps, generated points near the centre, then near a corner
    let paths: rhai::Array = engine
        .eval(
            r#"let r = toy2d("ring8", 200);
               log(0, #{ x: 1 });
               let a = scatter2d(r, randn([100, 2]) * 0.05, "s/step");
               log(100, #{ x: 1 });
               let b = scatter2d(r, randn([100, 2]) * 0.05 + 3.2, "s/step");
               let c = scatter2d(r, randn([100, 2]) * 0.05 + 3.2, "final");
               [a, b, c]"#,
        )
        .unwrap();
    let paths: Vec<String> = paths
        .into_iter()
        .map(|p| p.into_string().unwrap())
        .collect();
    assert!(paths[1].ends_with("s/step_000100.png"), "{}", paths[1]);
    let (a, b, c) = (
        real_pixels(&paths[0]),
        real_pixels(&paths[1]),
        real_pixels(&paths[2]),
    );
    assert!(a.len() > 200, "real points drawn: {} pixels", a.len());
    assert_eq!(
        a, b,
        "the real points sit on the same pixels in both frames"
    );
    // another series is fitted on its own first frame: the same real points, the same view
    assert_eq!(a, c);
}

#[test]
fn scatter2d_shows_a_packed_critic() {
    let out = tmp("packed");
    let ctx = RunState::new(BTreeMap::new(), out.clone());
    let engine = script::engine(&ctx);
    let plain: String = engine
        .eval(r#"scatter2d(toy2d("ring8", 200), randn([200, 2]), "plain")"#)
        .unwrap();
    let packed: String = engine
        .eval(
            r#"let D = sequential([linear(4, 16), tanh(), linear(16, 1)]);
               scatter2d(toy2d("ring8", 200), randn([200, 2]), "packed", #{ critic: D, pack: 2 })"#,
        )
        .unwrap();
    let (a, b) = (colours(Path::new(&plain)), colours(Path::new(&packed)));
    assert!(
        b > a + 20,
        "the packed critic's heatmap adds colours: {b} vs {a}"
    );
    let err = engine
        .eval::<String>(
            r#"let D = sequential([linear(4, 16), tanh(), linear(16, 1)]);
               scatter2d(toy2d("ring8", 20), randn([20, 2]), "bad", #{ critic: D })"#,
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("#{pack: k}"), "{err}");
    let err = engine
        .eval::<String>(
            r#"let D = sequential([linear(2, 4), linear(4, 1)]);
               scatter2d(toy2d("ring8", 20), randn([20, 2]), "bad", #{ critic: D, critic_output: "prob" })"#,
        )
        .unwrap_err()
        .to_string();
    assert!(err.contains("critic_output must be"), "{err}");
}
