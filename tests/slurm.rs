//! `ganbook sweep --slurm` on a real one-node Slurm cluster (tests/slurm/cluster.sh starts
//! munged, slurmctld and slurmd in a temporary folder and stops them by PID): a 2x2 array
//! runs, `scancel` of one task leaves the others finished and the table names it (as
//! interrupted: the run caught scancel's SIGTERM and wrote run.json), and
//! submitting again runs only that point. Skipped, with a message, where `sbatch` is not
//! installed (`.ci/run` installs Debian's slurm-wlm and munge); a cluster that is installed
//! but cannot start fails the test.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Two knobs; the point width=5,seed=2 trains (nearly) forever until the test edits the script.
const SCRIPT: &str = r#"
let width = param("width", 4);
seed(param("seed", 1));
let steps = if width == 5 && param("seed", 1) == 2 { 100000000 } else { 4 };
let G = sequential([linear(2, width), relu(), linear(width, 2)]);
let opt = adam(G, #{ lr: 0.01 });
let start = resume(#{G: G, opt: opt});
for step in start..steps {
    let loss = mse(G.forward(randn([16, 2])), randn([16, 2]));
    opt.step(loss);
    log(step, #{ loss: loss });
    save(#{G: G, opt: opt, step: step}, "last");
}
result("width_seen", width);
"#;

const CLUSTER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/slurm/cluster.sh");

/// The cluster's folder; stops its daemons when dropped.
struct Cluster(PathBuf);

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .args([CLUSTER, "stop"])
            .arg(&self.0)
            .status();
    }
}

fn say(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        common::text(&out.stdout),
        common::text(&out.stderr)
    )
}

/// Whether an `sbatch` is on the PATH (it cannot run before a cluster's slurm.conf exists).
fn has_sbatch() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("sbatch").is_file()))
}

/// Waits until Slurm has no task of `job` left (2 minutes at most).
fn wait_for(job: &str, conf: &Path) {
    let t = Instant::now();
    loop {
        let out = Command::new("squeue")
            .args(["-h", "-j", job])
            .env("SLURM_CONF", conf)
            .output()
            .unwrap();
        if out.status.success() && common::text(&out.stdout).trim().is_empty() {
            return;
        }
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "job {job} still queued: {}",
            say(&out)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn submit(d: &Path, conf: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ganbook"))
        .args([
            "sweep",
            "t.rhai",
            "--grid",
            "width=4,5",
            "--grid",
            "seed=1..2",
            "--jobs",
            "4",
            "--slurm",
            "--name",
            "s",
        ])
        .env("SLURM_CONF", conf)
        .current_dir(d)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", say(&out));
    let said = common::text(&out.stdout);
    said.lines()
        .find_map(|l| l.strip_prefix("submitted job array "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no job id: {said}"))
        .to_string()
}

fn collect(d: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ganbook"))
        .args(["sweep", "--collect", "outputs/sweeps/s"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", say(&out));
    common::text(&out.stdout)
}

#[test]
fn a_slurm_array_runs_the_points_and_a_cancelled_one_runs_again() {
    if !has_sbatch() {
        eprintln!("skipped: sbatch is not installed (Debian: apt-get install slurm-wlm munge)");
        return;
    }
    let d = common::temp_dir("slurm");
    let cluster = Cluster(d.join("cluster"));
    let out = Command::new("bash")
        .args([CLUSTER, "start"])
        .arg(&cluster.0)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "Slurm is installed but did not start: {}",
        say(&out)
    );
    let conf = PathBuf::from(common::text(&out.stdout).trim());
    std::fs::write(d.join("t.rhai"), SCRIPT).unwrap();

    let job = submit(&d, &conf);
    let sweep = d.join("outputs/sweeps/s");
    let slow = sweep.join("width=5,seed=2");
    let t = Instant::now();
    while !slow.join("checkpoints/last/checkpoint.json").exists() {
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "the slow point never saved a checkpoint"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = Command::new("scancel")
        .arg(format!("{job}_3"))
        .env("SLURM_CONF", &conf)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", say(&out));
    wait_for(&job, &conf);
    let table = collect(&d);
    assert!(table.contains("3 of 4 points ok"), "{table}");
    let line = table
        .lines()
        .find(|l| l.starts_with("width=5,seed=2"))
        .unwrap();
    // scancel sends SIGTERM: the run stops at its next step and records itself as interrupted
    assert_eq!(
        line.split_whitespace().nth(3),
        Some("interrupted"),
        "{table}"
    );
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(slow.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["status"], "interrupted", "{run}");
    assert!(table.contains("(failed: width=5,seed=2)"), "{table}");
    let kept = std::fs::read_to_string(sweep.join("width=4,seed=1/run.json")).unwrap();

    std::fs::write(d.join("t.rhai"), SCRIPT.replace("100000000", "4")).unwrap();
    let again = submit(&d, &conf);
    assert_ne!(again, job);
    wait_for(&again, &conf);
    let table = collect(&d);
    assert!(table.contains("4 of 4 points ok"), "{table}");
    assert_eq!(
        std::fs::read_to_string(sweep.join("width=4,seed=1/run.json")).unwrap(),
        kept
    );
    let skipped = std::fs::read_to_string(sweep.join(format!("slurm-{again}_0.out"))).unwrap();
    assert!(skipped.contains("finished before, skipped"), "{skipped}");
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(slow.join("run.json")).unwrap()).unwrap();
    assert!(
        run["resumed_from"].as_i64().is_some(),
        "the cancelled point resumed: {run}"
    );
}
