//! `ganbook sweep`: a local grid of runs (`--jobs 2`), a failed point that stops nothing, a
//! re-run that skips finished points and resumes an interrupted one, `--collect`'s table and
//! plots, and the Slurm array script (written with `--dry-run`, its tasks run by bash).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A 2-D GAN for a few steps: two knobs (`lr`, `width`), a width over `max_width` fails, a
/// checkpoint "last" every step, a logged curve and two results.
const SCRIPT: &str = r#"
let steps = param("steps", 4);
let lr = param("lr", 0.001);
let width = param("width", 8);
if width > param("max_width", 100) { throw `width ${width} is too wide`; }
seed(param("seed", 1));
let G = sequential([linear(2, width), relu(), linear(width, 2)]);
let D = sequential([linear(2, width), leaky_relu(0.2), linear(width, 1)]);
let og = adam(G, #{ lr: lr });
let od = adam(D, #{ lr: lr });
let start = resume(#{G: G, D: D, og: og, od: od});
let g_loss = 0.0;
for step in start..steps {
    let real = toy2d("ring8", 32);
    let fake = G.forward(randn([32, 2]));
    let d = bce_logits(D.forward(real), 1.0) + bce_logits(D.forward(fake.detach()), 0.0);
    od.step(d);
    let g = bce_logits(D.forward(fake), 1.0);
    og.step(g);
    g_loss = g.item();
    log(step, #{ d_loss: d.item(), g_loss: g_loss });
    save(#{G: G, D: D, og: og, od: od, step: step}, "last");
}
result("g_loss", g_loss);
result("width_seen", width);
result("start", start);
"#;

/// `ganbook ARGS` run from `dir`.
fn ganbook_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ganbook"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("ganbook runs")
}

fn setup(tag: &str) -> PathBuf {
    let d = common::temp_dir(&format!("sweep-{tag}"));
    std::fs::write(d.join("tiny.rhai"), SCRIPT).unwrap();
    d
}

fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn say(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        common::text(&out.stdout),
        common::text(&out.stderr)
    )
}

const GRID: [&str; 6] = [
    "--grid",
    "lr=0.001,0.01",
    "--grid",
    "width=4..5",
    "--name",
    "s",
];

#[test]
fn a_local_sweep_runs_every_point_and_collects_them() {
    let d = setup("local");
    let mut args = vec!["sweep", "tiny.rhai", "--jobs", "2"];
    args.extend(GRID);
    let out = ganbook_in(&d, &args);
    assert!(out.status.success(), "{}", say(&out));
    let sweep = d.join("outputs/sweeps/s");
    let names = [
        "lr=0.001,width=4",
        "lr=0.001,width=5",
        "lr=0.01,width=4",
        "lr=0.01,width=5",
    ];
    for n in names {
        let run = json(&sweep.join(n).join("run.json"));
        assert_eq!(run["status"], "ok", "{n}");
        let width = n.rsplit('=').next().unwrap();
        assert_eq!(run["results"]["width_seen"].to_string(), width, "{n}");
    }
    let rec = json(&sweep.join("sweep.json"));
    let rows = rec["points"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    for (row, n) in rows.iter().zip(names) {
        assert_eq!(row["name"], n);
        assert_eq!(row["status"], "ok");
    }
    assert_eq!(rec["script_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(rec["grid"][1]["values"], serde_json::json!(["4", "5"]));

    std::fs::remove_file(sweep.join("results.csv")).unwrap();
    let out = ganbook_in(&d, &["sweep", "--collect", "outputs/sweeps/s"]);
    assert!(out.status.success(), "{}", say(&out));
    let csv = std::fs::read_to_string(sweep.join("results.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "point,lr,width,status,wall_time_s,g_loss,start,width_seen"
    );
    assert_eq!(lines.len(), 5, "{csv}");
    for (line, n) in lines[1..].iter().zip(names) {
        assert!(line.starts_with(&format!("\"{n}\",")), "{line}");
        let fields: Vec<&str> = line.rsplit(',').collect();
        // from the end: width_seen, start, g_loss
        assert_eq!(fields[0], n.rsplit('=').next().unwrap(), "{line}");
        assert_eq!(fields[1], "0", "{line}");
        assert!(fields[2].parse::<f64>().unwrap().is_finite(), "{line}");
        assert!(line.contains(",ok,"), "{line}");
    }
    assert!(
        common::text(&out.stdout).contains("4 of 4 points ok"),
        "{}",
        say(&out)
    );
    for plot in [
        "result_g_loss",
        "result_width_seen",
        "curve_g_loss",
        "curve_d_loss",
    ] {
        let bytes = std::fs::read(sweep.join("plots").join(format!("{plot}.png"))).unwrap();
        assert!(
            bytes.len() > 1000 && bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{plot}"
        );
    }
}

#[test]
fn a_failed_point_stops_nothing_and_a_rerun_skips_finished_points() {
    let d = setup("failed");
    let args = [
        "sweep",
        "tiny.rhai",
        "--grid",
        "width=4,200",
        "--grid",
        "seed=1..2",
        "--jobs",
        "2",
    ];
    let out = ganbook_in(&d, &args);
    assert_eq!(out.status.code(), Some(1), "{}", say(&out));
    let sweeps: Vec<_> = std::fs::read_dir(d.join("outputs/sweeps"))
        .unwrap()
        .collect();
    assert_eq!(sweeps.len(), 1);
    let sweep = sweeps[0].as_ref().unwrap().path();
    assert!(
        sweep
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("tiny-")
    );
    let rec = json(&sweep.join("sweep.json"));
    let status: Vec<&str> = rec["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(status, ["ok", "ok", "error", "error"], "{}", say(&out));
    assert!(
        rec["points"][2]["error"]
            .as_str()
            .unwrap()
            .contains("too wide")
    );
    let csv = std::fs::read_to_string(sweep.join("results.csv")).unwrap();
    assert!(csv.contains("\"width=200,seed=1\",200,1,error,"), "{csv}");

    // a point cut short after its checkpoint resumes from it
    let cut = sweep.join("width=4,seed=2/run.json");
    let mut run = json(&cut);
    run["status"] = "interrupted".into();
    std::fs::write(&cut, run.to_string()).unwrap();
    let kept = std::fs::read_to_string(sweep.join("width=4,seed=1/run.json")).unwrap();
    let failed_before = json(&sweep.join("width=200,seed=1/run.json"))["started"].clone();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let out = ganbook_in(&d, &args);
    assert_eq!(out.status.code(), Some(1), "{}", say(&out));
    let said = common::text(&out.stdout);
    assert!(
        said.contains("width=4,seed=1: finished before, skipped"),
        "{said}"
    );
    assert!(said.contains("3 of 4 points to run"), "{said}");
    assert_eq!(
        std::fs::read_to_string(sweep.join("width=4,seed=1/run.json")).unwrap(),
        kept
    );
    let resumed = json(&cut);
    assert_eq!(resumed["status"], "ok");
    assert_eq!(resumed["resumed_from"], 3);
    assert_eq!(resumed["results"]["start"], 4);
    let failed = json(&sweep.join("width=200,seed=1/run.json"));
    assert_eq!(failed["status"], "error");
    assert_ne!(
        failed["started"], failed_before,
        "the failed point ran again"
    );

    // the script fixed: the failed points run and pass, the finished ones stay
    std::fs::write(d.join("tiny.rhai"), SCRIPT.replace("100", "1000")).unwrap();
    let out = ganbook_in(&d, &args);
    assert!(out.status.success(), "{}", say(&out));
    assert!(
        common::text(&out.stdout).contains("2 of 4 points to run"),
        "{}",
        say(&out)
    );
    assert_eq!(
        json(&sweep.join("width=200,seed=2/run.json"))["results"]["width_seen"],
        200
    );
}

#[test]
fn slurm_dry_run_writes_one_array_whose_tasks_run_their_points() {
    let d = setup("slurm");
    let mut args = vec![
        "sweep",
        "tiny.rhai",
        "--jobs",
        "2",
        "--slurm",
        "--dry-run",
        "--slurm-opt",
        "--time=0:10:00 --mem=1G",
    ];
    args.extend(GRID);
    let out = ganbook_in(&d, &args);
    assert!(out.status.success(), "{}", say(&out));
    let sweep = d.join("outputs/sweeps/s");
    let path = sweep.join("sweep.sbatch");
    assert_eq!(common::text(&out.stdout).trim(), path.display().to_string());
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\n#SBATCH --array=0-3%2\n"), "{text}");
    assert!(
        text.contains("\n#SBATCH --time=0:10:00\n#SBATCH --mem=1G\n"),
        "{text}"
    );
    assert!(text.contains(&format!(
        "#SBATCH --output={}/slurm-%A_%a.out",
        sweep.display()
    )));
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_ganbook")).unwrap();
    for (i, n) in [
        "lr=0.001,width=4",
        "lr=0.001,width=5",
        "lr=0.01,width=4",
        "lr=0.01,width=5",
    ]
    .iter()
    .enumerate()
    {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{i})")))
            .unwrap();
        assert!(
            line.contains(&format!("'--out' '{}/{n}'", sweep.display())),
            "{line}"
        );
        assert!(
            line.contains(&exe.display().to_string())
                || line.contains(env!("CARGO_BIN_EXE_ganbook")),
            "{line}"
        );
    }
    assert!(
        !sweep.join("lr=0.001,width=4").exists(),
        "a dry run runs nothing"
    );

    // task 1 as Slurm would run it: its point runs; run again, it skips itself
    let task = |id: &str| {
        let out = Command::new("bash")
            .arg(&path)
            .env("SLURM_ARRAY_TASK_ID", id)
            .current_dir(&d)
            .output()
            .unwrap();
        assert!(out.status.success(), "task {id}: {}", say(&out));
        common::text(&out.stdout)
    };
    task("1");
    let run = sweep.join("lr=0.001,width=5/run.json");
    assert_eq!(json(&run)["status"], "ok");
    let before = std::fs::read_to_string(&run).unwrap();
    assert!(task("1").contains("finished before, skipped"));
    assert_eq!(std::fs::read_to_string(&run).unwrap(), before);
    let out = ganbook_in(&d, &["sweep", "--collect", "outputs/sweeps/s"]);
    assert!(out.status.success(), "{}", say(&out));
    let said = common::text(&out.stdout);
    assert!(said.contains("1 of 4 points ok"), "{said}");
    assert_eq!(said.matches("  pending").count(), 3, "{said}");

    // without --jobs the array has no limit of tasks at once
    let mut args = vec!["sweep", "tiny.rhai", "--slurm", "--dry-run"];
    args.extend(GRID);
    let out = ganbook_in(&d, &args);
    assert!(out.status.success(), "{}", say(&out));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\n#SBATCH --array=0-3\n"), "{text}");
}

#[test]
fn bad_grids_are_refused_before_anything_runs() {
    let d = setup("bad");
    for (grid, says) in [
        ("width=5..4", "empty"),
        ("width", "NAME=VALUES"),
        ("wi dth=1", "param name"),
    ] {
        let out = ganbook_in(&d, &["sweep", "tiny.rhai", "--grid", grid]);
        assert_eq!(out.status.code(), Some(2), "{grid}");
        assert!(
            common::text(&out.stderr).contains(says),
            "{grid}: {}",
            say(&out)
        );
    }
    assert!(!d.join("outputs").exists());
    let out = ganbook_in(&d, &["sweep", "--collect", "nowhere"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::text(&out.stderr).contains("nowhere/sweep.json"),
        "{}",
        say(&out)
    );
}
