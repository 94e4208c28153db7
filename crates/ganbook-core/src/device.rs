//! The one compute device a session runs on, chosen by `--device`.

use crate::error::{Result, guard};
use crate::{bail, err};
use burn::tensor::Device;
use std::cell::Cell;
use std::sync::RwLock;
use std::sync::atomic::{AtomicPtr, Ordering};

static CURRENT: RwLock<Option<(String, Device)>> = RwLock::new(None);

thread_local! {
    /// Set while this thread runs [`on_cpu`]: its tensors live on the CPU whatever `--device`.
    static CPU_HERE: Cell<bool> = const { Cell::new(false) };
}

/// The names `--device` accepts, with the cargo feature each one needs.
pub const DEVICES: &[(&str, &str)] = &[
    ("cpu", "(always built: burn's flex backend)"),
    ("wgpu", "wgpu"),
    ("gpu", "wgpu"),
    ("vulkan", "vulkan"),
    ("cuda", "cuda"),
    ("ndarray", "ndarray"),
];

/// Makes the named device current. All tensors and models made afterwards live there.
/// A GPU device is started here (a tiny kernel runs on it), so that a missing driver is
/// an error now, naming the device, rather than a panic in the middle of a run.
pub fn select(name: &str) -> Result<()> {
    let device = open(name)?;
    if is_gpu(name) {
        configure_gpu_caches();
        start(name, &device)?;
    }
    *CURRENT.write().unwrap() = Some((name.to_string(), device));
    Ok(())
}

/// The current device, with autodiff enabled (script tensors can always be differentiated).
pub fn current() -> Device {
    if CPU_HERE.get() {
        return Device::flex().autodiff();
    }
    if let Some((_, d)) = CURRENT.read().unwrap().as_ref() {
        return d.clone();
    }
    let d = Device::flex().autodiff();
    *CURRENT.write().unwrap() = Some(("cpu".into(), d.clone()));
    d
}

/// The name of the current device, as given to `--device`.
pub fn current_name() -> String {
    current();
    CURRENT.read().unwrap().as_ref().unwrap().0.clone()
}

/// Runs `f` with this thread's tensors and models on the CPU, whatever the session's device:
/// for work whose result must not depend on the device (the built-in probe's training).
pub fn on_cpu<T>(f: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            CPU_HERE.set(self.0);
        }
    }
    let _restore = Restore(CPU_HERE.replace(true));
    f()
}

/// Whether `name` is a device whose kernels run on a GPU (or a GPU driver such as lavapipe).
pub fn is_gpu(name: &str) -> bool {
    matches!(name, "wgpu" | "gpu" | "vulkan" | "cuda")
}

/// Seeds burn's random number generators: the CPU's, which draws every initial weight
/// (nn::init), and the current device's.
pub fn seed(seed: u64) {
    Device::flex().seed(seed);
    current().seed(seed);
}

fn open(name: &str) -> Result<Device> {
    let device = match name {
        "cpu" | "flex" => Device::flex(),
        // burn marks ndarray deprecated in favour of flex; it stays as a reference backend.
        #[cfg(feature = "ndarray")]
        #[allow(deprecated)]
        "ndarray" => Device::ndarray(),
        #[cfg(feature = "wgpu")]
        "wgpu" | "gpu" => Device::wgpu(burn::tensor::DeviceKind::default()),
        #[cfg(feature = "vulkan")]
        "vulkan" => Device::vulkan(burn::tensor::DeviceKind::default()),
        #[cfg(feature = "cuda")]
        "cuda" => Device::cuda(0usize),
        other => return Err(not_built(other)),
    };
    Ok(device.autodiff())
}

/// Checks that `name` is a device this ganbook was built with, without starting it (for a
/// kernelspec that will start it later).
pub fn check_built(name: &str) -> Result<()> {
    let built = match name {
        "cpu" | "flex" => true,
        "ndarray" => cfg!(feature = "ndarray"),
        "wgpu" | "gpu" => cfg!(feature = "wgpu"),
        "vulkan" => cfg!(feature = "vulkan"),
        "cuda" => cfg!(feature = "cuda"),
        _ => false,
    };
    if built { Ok(()) } else { Err(not_built(name)) }
}

/// Why `name` cannot be opened: unknown, or a feature this build lacks.
fn not_built(name: &str) -> crate::error::Error {
    match DEVICES.iter().find(|(n, _)| *n == name) {
        Some((_, feature)) => err!(
            "device '{name}' is not compiled into this ganbook: rebuild with `cargo build --release --features {feature}`"
        ),
        None => {
            let names: Vec<_> = DEVICES.iter().map(|(n, _)| *n).collect();
            err!(
                "unknown device '{name}': choose one of {}",
                names.join(", ")
            )
        }
    }
}

/// Runs one small kernel on a GPU device and reads its result back: wgpu and cubecl start the
/// adapter lazily, and panic when there is none.
fn start(name: &str, device: &Device) -> Result<()> {
    set_doing(&"starting the device (a first small kernel)");
    let got = guard("", || {
        let t = burn::tensor::Tensor::<1>::from_floats([1.0f32, 2.0, 3.0], device);
        Ok(t.sum().into_scalar::<f32>())
    })
    .map_err(|e| {
        err!(
            "device '{name}' could not start: {e}. Is a GPU driver installed? (On Linux: a Vulkan driver and loader, e.g. Debian's mesa-vulkan-drivers and libvulkan1; see docs/gpu.md)"
        )
    })?;
    if got != 6.0 {
        bail!("device '{name}' started but computed 1+2+3 = {got}: its driver is not usable");
    }
    Ok(())
}

/// Points cubecl's persistent caches (autotune results, compiled kernels) at ganbook's folder
/// in the user's cache directory, unless a `cubecl.toml` or `CUBECL_*` variable says otherwise.
/// cubecl's own default is `target/environment` under the outermost Cargo.toml above the
/// working directory, which would put them inside whatever project a run starts from.
#[cfg(feature = "gpu-speed")]
fn configure_gpu_caches() {
    use burn::cubecl::config::{CubeClRuntimeConfig, RuntimeConfig, cache::CacheConfig};
    let mut config = CubeClRuntimeConfig::from_current_dir().override_from_env();
    if matches!(config.environment.path, CacheConfig::Target) {
        config.environment.path = CacheConfig::Directory(crate::files::cache_root().join("cubecl"));
    }
    // false when already set: the first device a process starts decides
    let _ = CubeClRuntimeConfig::try_set(config);
}

#[cfg(not(feature = "gpu-speed"))]
fn configure_gpu_caches() {}

/// What ganbook last started on the device, for the message of a crash (see crash_guard):
/// "linear forward", "backward", "optimizer update".
static DOING: AtomicPtr<&'static str> = AtomicPtr::new(std::ptr::null_mut());

/// Notes that ganbook is starting `what` on the device (one atomic store; called per layer).
pub fn set_doing(what: &'static &'static str) {
    DOING.store(std::ptr::from_ref(what).cast_mut(), Ordering::Relaxed);
}

/// What ganbook last started on the device ("an operation before the first layer" at first).
pub fn doing() -> &'static str {
    let p = DOING.load(Ordering::Relaxed);
    // SAFETY: DOING holds null or a pointer made from a `&'static &'static str`.
    unsafe { p.as_ref() }
        .copied()
        .unwrap_or("an operation before the first layer")
}

/// For the crash tests (see ganbook's crash_guard): with `GANBOOK_CRASH_AT=<stage>` in the
/// environment, a second thread (as a GPU driver's would) dies of SIGSEGV at `stage`
/// ("optimizer_update"); with `GANBOOK_PANIC_AT=<stage>`, the operation panics there, as
/// burn does on what it cannot do.
pub fn failpoint(stage: &str) {
    if std::env::var("GANBOOK_PANIC_AT").is_ok_and(|s| s == stage) {
        panic!("injected panic at {stage} (GANBOOK_PANIC_AT)");
    }
    if std::env::var("GANBOOK_CRASH_AT").is_ok_and(|s| s == stage) {
        let _ = std::thread::spawn(|| {
            // SAFETY: raising a signal; the handler ends the process.
            unsafe { libc::raise(libc::SIGSEGV) };
        })
        .join();
    }
}
