//! The `ganbook` command line: REPL, run, check, sweep, bench.

use clap::{Parser, Subcommand};
use ganbook::{bench, error, kernel, notebook, repl, run, sweep};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "ganbook",
    version,
    about = "A notebook-style experiment runner for GANs"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Device for the REPL: cpu, wgpu (alias gpu), vulkan, cuda or ndarray.
    #[arg(long, default_value = "cpu")]
    device: String,
}

#[derive(Subcommand)]
enum Command {
    /// Run a script; results go to outputs/<script-name>/ (or --out).
    Run {
        script: PathBuf,
        /// Override a param("name", default) in the script; repeatable. A name the script
        /// has no param for is refused before the run starts.
        #[arg(long = "set", value_name = "NAME=VALUE")]
        sets: Vec<String>,
        /// cpu (default), wgpu (alias gpu), vulkan, cuda or ndarray; all but cpu need their
        /// cargo feature (`--features wgpu`: docs/gpu.md).
        #[arg(long, default_value = "cpu")]
        device: String,
        /// Run folder instead of outputs/<script-name>. A new run moves what a previous run
        /// left there into previous/<its start time>/ inside it.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Seed every random number generator before the script starts.
        #[arg(long)]
        seed: Option<u64>,
        /// Keep running: on every save re-run from the first changed `// %%` cell.
        #[arg(long)]
        watch: bool,
        /// Serve a live page that follows and drives the run: prints
        /// http://127.0.0.1:PORT/?token=... (opens nothing). Runs as --watch does (cells, re-run
        /// on save, stays up until Ctrl-C). The page shows the loss curves, the newest image of
        /// every series and the cells, and has play/pause, single D/G steps, slow motion, the
        /// script's knobs, a canvas for drawn data, and a way back to any cell.
        #[arg(long)]
        live: bool,
        /// Where the live page listens (default 127.0.0.1, this machine only, on a free port).
        /// Give e.g. 0.0.0.0:8765 to share it on a classroom network: anyone there with the
        /// printed URL (it holds the token) can then watch AND drive the run.
        #[arg(
            long = "live-bind",
            value_name = "ADDR",
            default_value = "127.0.0.1",
            requires = "live"
        )]
        live_bind: String,
        /// Let the script read files under DIR too (by default: its own folder, the working
        /// folder and the run folder); repeatable.
        #[arg(long = "allow-read", value_name = "DIR")]
        allow_read: Vec<PathBuf>,
        /// Let the script write files under DIR too (by default: only the run folder);
        /// repeatable.
        #[arg(long = "allow-write", value_name = "DIR")]
        allow_write: Vec<PathBuf>,
        /// The largest tensor the script may make, e.g. 512M or 16G (default: half the RAM).
        #[arg(long = "max-memory", value_name = "SIZE")]
        max_memory: Option<String>,
        /// Stop the run (status "nan", exit code 3) at the first NaN/Inf loss or logged value.
        #[arg(long = "stop-on-nan")]
        stop_on_nan: bool,
        /// Continue from the run folder's checkpoint "last": the script's
        /// `resume(#{G: G, ...})` restores it and returns the step to start from.
        #[arg(long, conflicts_with_all = ["watch", "live"])]
        resume: bool,
        /// Write no TensorBoard events file (by default every `log` row and saved image also
        /// goes to events.out.tfevents.* in the run folder).
        #[arg(long = "no-tensorboard")]
        no_tensorboard: bool,
    },
    /// Parse a script and report syntax errors with line:column; runs nothing.
    Check { script: PathBuf },
    /// Run a script at every point of a grid of --set values, into
    /// outputs/sweeps/<name>/<point>/ (locally --jobs at a time, or as one Slurm job array);
    /// `--collect DIR` writes results.csv and plots from what has finished.
    Sweep {
        #[arg(required_unless_present = "collect")]
        script: Option<PathBuf>,
        /// NAME=A,B,C or NAME=1..4 (integers, both ends included); repeatable: the points are
        /// every combination. Each value is passed to its point as --set NAME=VALUE.
        #[arg(long = "grid", value_name = "NAME=VALUES")]
        grid: Vec<String>,
        /// --set NAME=VALUE for every point; repeatable.
        #[arg(long = "set", value_name = "NAME=VALUE")]
        sets: Vec<String>,
        /// Points run at once (default 1; their threads split the CPU between them); with
        /// --slurm, the array's limit of tasks at once (default: none).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        jobs: Option<u64>,
        /// The sweep's folder name under outputs/sweeps/ (default: SCRIPT's stem and a hash
        /// of the grid).
        #[arg(long)]
        name: Option<String>,
        /// The device every point runs on (as `run --device`).
        #[arg(long, default_value = "cpu")]
        device: String,
        /// Write one sbatch job array script (sweep.sbatch) and submit it; print the job id.
        #[arg(long)]
        slurm: bool,
        /// #SBATCH options for every task, e.g. "--gres=gpu:1 --time=2:00:00"; repeatable.
        #[arg(
            long = "slurm-opt",
            value_name = "OPTIONS",
            requires = "slurm",
            allow_hyphen_values = true
        )]
        slurm_opts: Vec<String>,
        /// With --slurm: write the script and print its path, submit nothing.
        #[arg(long = "dry-run", requires = "slurm")]
        dry_run: bool,
        /// A sweep folder: write results.csv and plots from the points that have finished.
        #[arg(long, value_name = "SWEEP_DIR", conflicts_with_all = ["script", "grid", "slurm"])]
        collect: Option<PathBuf>,
    },
    /// Run benchmarks (all, or those named): timings and ratios in `bench NAME ...` lines.
    Bench {
        names: Vec<String>,
        #[arg(long, default_value_t = 10)]
        steps: usize,
        #[arg(long, default_value_t = 2)]
        warmup: usize,
        /// Python with torch installed: time the same steps in PyTorch, alternating.
        #[arg(long, value_name = "PYTHON")]
        torch: Option<String>,
        /// `steps` only: the networks to time (dcgan32, dcgan64, cnn128, mlp2d; default all).
        #[arg(long, value_delimiter = ',', value_name = "NETWORKS")]
        only: Vec<String>,
        /// The device ganbook's side runs on (as `run --device`).
        #[arg(long, default_value = "cpu")]
        device: String,
        /// `steps` only: the batch size of every network (default: each network's own).
        #[arg(long)]
        batch: Option<usize>,
        /// `--torch` only: PyTorch's device (cpu or cuda) and `torch.compile` on or off.
        #[arg(long, default_value = "cpu")]
        torch_device: String,
        #[arg(long)]
        torch_compile: bool,
    },
    /// The interactive prompt (also what `ganbook` alone starts).
    Repl,
    /// ganbook as a Jupyter kernel: `kernel install` writes the kernelspec; Jupyter then
    /// starts `kernel -f CONNECTION_FILE` itself.
    Kernel {
        #[command(subcommand)]
        action: Option<KernelAction>,
        /// The connection file Jupyter wrote (ports, signing key).
        #[arg(short = 'f', long = "connection-file", value_name = "FILE")]
        connection_file: Option<PathBuf>,
        /// Device the kernel's cells run on (as `run --device`).
        #[arg(long, default_value = "cpu")]
        device: String,
    },
}

#[derive(Subcommand)]
enum KernelAction {
    /// Write the kernelspec ("ganbook (Rhai)") for the current user, the active Python
    /// environment (--sys-prefix) or a prefix (--prefix DIR).
    Install {
        #[arg(long, conflicts_with = "prefix")]
        sys_prefix: bool,
        #[arg(long, value_name = "DIR")]
        prefix: Option<PathBuf>,
        /// Device the kernel runs on; another device than cpu installs a second kernel,
        /// "ganbook (Rhai, DEVICE)".
        #[arg(long, default_value = "cpu")]
        device: String,
    },
}

fn main() {
    ganbook::heap::keep_freed_memory();
    ganbook::threads::join_pool_from_main();
    error::install_quiet_panic_hook();
    let cli = Cli::parse();
    let code = match cli.command {
        None | Some(Command::Repl) => repl::repl(&cli.device),
        Some(Command::Kernel {
            action,
            connection_file,
            device,
        }) => kernel_command(action, connection_file, &device),
        Some(Command::Run {
            script,
            sets,
            device,
            out,
            seed,
            watch,
            live,
            live_bind,
            allow_read,
            allow_write,
            max_memory,
            stop_on_nan,
            resume,
            no_tensorboard,
        }) => {
            let max_memory = match max_memory.map(|m| ganbook::memory_limit::parse(&m)) {
                None => None,
                Some(Ok(m)) => Some(m),
                Some(Err(e)) => {
                    eprintln!("error: {e}");
                    std::process::exit(2);
                }
            };
            let opts = ganbook::session::options::RunOptions {
                script,
                sets,
                device,
                out,
                seed,
                allow_read,
                allow_write,
                max_memory,
                stop_on_nan,
                resume,
                tensorboard: !no_tensorboard,
            };
            if live {
                ganbook::live::run(opts, &live_bind)
            } else if watch {
                notebook::watch::watch(opts)
            } else {
                run::run(opts)
            }
        }
        Some(Command::Check { script }) => run::check(&script),
        Some(Command::Sweep {
            script,
            grid,
            sets,
            jobs,
            name,
            device,
            slurm,
            slurm_opts,
            dry_run,
            collect,
        }) => match (collect, script) {
            (Some(dir), _) => sweep::collect_command(&dir),
            (None, Some(script)) => sweep::sweep(&sweep::SweepOptions {
                script,
                grid,
                sets,
                device,
                jobs: jobs.map(|j| j as usize),
                name,
                slurm,
                slurm_opts,
                dry_run,
            }),
            (None, None) => {
                eprintln!("error: `ganbook sweep` needs a SCRIPT (or --collect DIR)");
                2
            }
        },
        Some(Command::Bench {
            names,
            steps,
            warmup,
            torch,
            only,
            device,
            batch,
            torch_device,
            torch_compile,
        }) => match ganbook::session::start_device(&device).and_then(|()| {
            bench::run(
                &names,
                &bench::Settings {
                    steps,
                    warmup,
                    torch,
                    only,
                    batch,
                    torch_device,
                    torch_compile,
                },
            )
        }) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("error: {e}");
                1
            }
        },
    };
    std::process::exit(code);
}

fn kernel_command(action: Option<KernelAction>, file: Option<PathBuf>, device: &str) -> i32 {
    match (action, file) {
        (
            Some(KernelAction::Install {
                sys_prefix,
                prefix,
                device,
            }),
            _,
        ) => {
            let place = match (sys_prefix, prefix) {
                (true, _) => kernel::install::Place::SysPrefix,
                (false, Some(dir)) => kernel::install::Place::Prefix(dir),
                (false, None) => kernel::install::Place::User,
            };
            match kernel::install::install(&place, &device) {
                Ok(dir) => {
                    let (_, display) = kernel::install::names(&device);
                    println!("installed kernelspec \"{display}\" in {}", dir.display());
                    0
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    1
                }
            }
        }
        (None, Some(file)) => kernel::serve(&file, device),
        (None, None) => {
            eprintln!(
                "error: `ganbook kernel` needs -f CONNECTION_FILE (Jupyter passes it); \
                 `ganbook kernel install` writes the kernelspec"
            );
            2
        }
    }
}
