//! `ganbook kernel install`: the kernelspec (kernel.json and logos) that makes "ganbook (Rhai)"
//! a kernel JupyterLab, VS Code and nbclient can start. For the current user by default
//! (Jupyter's user data folder, `$JUPYTER_DATA_DIR` if set), or under the active Python
//! environment (`--sys-prefix`) or any prefix (`--prefix DIR`), as `jupyter kernelspec
//! install` places them.

use crate::error::Result;
use image::{Rgba, RgbaImage};
use std::path::PathBuf;

/// The kernelspec's name, the name notebooks record, and the language (notebook.ipynb in a
/// run folder names them too).
pub use crate::notebook::ipynb::{
    KERNEL_DISPLAY_NAME as DISPLAY_NAME, KERNEL_NAME as NAME, LANGUAGE,
};

/// Where the kernelspec goes.
pub enum Place {
    User,
    SysPrefix,
    Prefix(PathBuf),
}

/// The Jupyter data folder for `place` (kernelspecs go in its `kernels/`).
fn data_dir(place: &Place) -> Result<PathBuf> {
    match place {
        Place::User => {
            if let Some(d) = std::env::var_os("JUPYTER_DATA_DIR").filter(|d| !d.is_empty()) {
                return Ok(PathBuf::from(d));
            }
            jupyter_zmq_client::user_data_dir()
                .map_err(|e| crate::err!("cannot find Jupyter's user data folder: {e}"))
        }
        Place::SysPrefix => {
            let prefix = ["VIRTUAL_ENV", "CONDA_PREFIX"]
                .iter()
                .find_map(|v| std::env::var_os(v).filter(|p| !p.is_empty()))
                .ok_or_else(|| {
                    crate::err!(
                        "--sys-prefix needs an active Python environment (VIRTUAL_ENV or \
                         CONDA_PREFIX is not set); use --prefix DIR for another place"
                    )
                })?;
            Ok(PathBuf::from(prefix).join("share/jupyter"))
        }
        Place::Prefix(dir) => Ok(dir.join("share/jupyter")),
    }
}

/// The kernelspec's name and display name: `ganbook`, or `ganbook-wgpu` for another device.
pub fn names(device: &str) -> (String, String) {
    if device == "cpu" {
        (NAME.into(), DISPLAY_NAME.into())
    } else {
        (
            format!("{NAME}-{device}"),
            format!("ganbook (Rhai, {device})"),
        )
    }
}

/// Writes the kernelspec folder and returns it.
pub fn install(place: &Place, device: &str) -> Result<PathBuf> {
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| crate::err!("cannot find the ganbook program's path: {e}"))?;
    crate::device::check_built(device)?;
    let (name, display_name) = names(device);
    let dir = data_dir(place)?.join("kernels").join(&name);
    std::fs::create_dir_all(&dir)
        .map_err(|e| crate::err!("cannot create {}: {e}", dir.display()))?;
    let spec = serde_json::json!({
        "argv": [exe.to_string_lossy(), "kernel", "--device", device, "-f", "{connection_file}"],
        "display_name": display_name,
        "language": LANGUAGE,
        "interrupt_mode": "message",
        "metadata": { "debugger": false },
    });
    let text = serde_json::to_string_pretty(&spec).unwrap_or_default();
    crate::files::write_atomic(&dir.join("kernel.json"), text.as_bytes())?;
    for size in [32, 64] {
        let path = dir.join(format!("logo-{size}x{size}.png"));
        logo(size)
            .save(&path)
            .map_err(|e| crate::err!("cannot write {}: {e}", path.display()))?;
    }
    Ok(dir)
}

/// The launcher's icon: a real point (amber) and a generated one (blue) on a dark tile,
/// the generator's arrow between them.
fn logo(size: u32) -> RgbaImage {
    let s = size as f32;
    let mut img = RgbaImage::from_pixel(size, size, Rgba([33, 37, 48, 255]));
    let dots = [(0.32, 0.62, [245, 166, 35]), (0.68, 0.38, [74, 144, 226])];
    for py in 0..size {
        for px in 0..size {
            let (u, v) = ((px as f32 + 0.5) / s, (py as f32 + 0.5) / s);
            for (cx, cy, rgb) in dots {
                if (u - cx).powi(2) + (v - cy).powi(2) < 0.17f32.powi(2) {
                    img.put_pixel(px, py, Rgba([rgb[0], rgb[1], rgb[2], 255]));
                }
            }
            // the arrow: a line from the blue dot towards the amber one
            let (t, d) = project((u, v), (0.68, 0.38), (0.32, 0.62));
            if (0.3..0.72).contains(&t) && d < 0.03 {
                img.put_pixel(px, py, Rgba([235, 235, 235, 255]));
            }
        }
    }
    img
}

/// Where `p` falls along the segment a->b (0..1) and how far it is from the line.
fn project(p: (f32, f32), a: (f32, f32), b: (f32, f32)) -> (f32, f32) {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = ((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2;
    let (qx, qy) = (a.0 + t * dx, a.1 + t * dy);
    (t, ((p.0 - qx).powi(2) + (p.1 - qy).powi(2)).sqrt())
}
