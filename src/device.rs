//! The one compute device a session runs on, chosen by `--device`.

use crate::error::Result;
use crate::{bail, err};
use burn::tensor::Device;
use std::sync::RwLock;

static CURRENT: RwLock<Option<(String, Device)>> = RwLock::new(None);

/// The names `--device` accepts, with the cargo feature each one needs.
pub const DEVICES: &[(&str, &str)] = &[
    ("cpu", "(always built: burn's flex backend)"),
    ("ndarray", "ndarray"),
    ("vulkan", "vulkan"),
    ("cuda", "cuda"),
];

/// Makes the named device current. All tensors and models made afterwards live there.
pub fn select(name: &str) -> Result<()> {
    let device = open(name)?;
    *CURRENT.write().unwrap() = Some((name.to_string(), device));
    Ok(())
}

/// The current device, with autodiff enabled (script tensors can always be differentiated).
pub fn current() -> Device {
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

/// Seeds burn's random number generator on the current device.
pub fn seed(seed: u64) {
    current().seed(seed);
}

fn open(name: &str) -> Result<Device> {
    let device = match name {
        "cpu" | "flex" => Device::flex(),
        // burn marks ndarray deprecated in favour of flex; it stays as a reference backend.
        #[cfg(feature = "ndarray")]
        #[allow(deprecated)]
        "ndarray" => Device::ndarray(),
        #[cfg(feature = "vulkan")]
        "vulkan" => Device::vulkan(burn::tensor::DeviceKind::default()),
        #[cfg(feature = "cuda")]
        "cuda" => Device::cuda(0usize),
        other => {
            return match DEVICES.iter().find(|(n, _)| *n == other) {
                Some((_, feature)) => Err(err!(
                    "device '{other}' is not compiled into this ganbook: rebuild with `cargo build --release --features {feature}`"
                )),
                None => {
                    let names: Vec<_> = DEVICES.iter().map(|(n, _)| *n).collect();
                    bail!(
                        "unknown device '{other}': choose one of {}",
                        names.join(", ")
                    )
                }
            };
        }
    };
    Ok(device.autodiff())
}
