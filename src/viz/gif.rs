//! An animated GIF from the PNG frames saved under a prefix (`samples/step_000100.png`, ...).

use crate::error::Result;
use crate::{bail, err};
use image::codecs::gif::{GifEncoder, Repeat};
use image::{Delay, Frame, RgbaImage};
use std::path::{Path, PathBuf};

/// The PNG files whose names start with the prefix's last part, in its folder, sorted by name.
pub fn frames(out_dir: &Path, prefix: &str) -> Result<Vec<PathBuf>> {
    let p = Path::new(prefix);
    let dir = out_dir.join(p.parent().unwrap_or(Path::new("")));
    let stem = p
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let entries = std::fs::read_dir(&dir).map_err(|e| {
        err!(
            "gif: no frames in {} ({e}): save some with grid(t, \"{prefix}\") first",
            dir.display()
        )
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|f| {
            let name = f.file_name().map(|s| s.to_string_lossy().to_string());
            name.is_some_and(|n| n.starts_with(&stem) && n.ends_with(".png"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        bail!(
            "gif: no frames {}/{stem}*.png (save some with grid(t, \"{prefix}\") first)",
            dir.display()
        );
    }
    Ok(files)
}

/// Encodes the frames (all of one size) as a looping GIF at `fps` frames per second.
pub fn encode(files: &[PathBuf], fps: f64) -> Result<Vec<u8>> {
    if !(fps > 0.0 && fps <= 100.0) {
        bail!("gif: fps must be in (0, 100], got {fps}");
    }
    let delay = Delay::from_numer_denom_ms((1000.0 / fps).round() as u32, 1);
    let mut bytes = Vec::new();
    {
        let mut enc = GifEncoder::new_with_speed(&mut bytes, 10);
        enc.set_repeat(Repeat::Infinite)
            .map_err(|e| err!("gif: {e}"))?;
        let mut size = None;
        for f in files {
            let img: RgbaImage = image::open(f)
                .map_err(|e| err!("gif: cannot read frame {}: {e}", f.display()))?
                .to_rgba8();
            let dims = img.dimensions();
            match size {
                None => size = Some((dims, f.clone())),
                Some((d, ref first)) if d != dims => bail!(
                    "gif: frame {} is {}x{} but {} is {}x{}: frames must be one size",
                    f.display(),
                    dims.0,
                    dims.1,
                    first.display(),
                    d.0,
                    d.1
                ),
                _ => {}
            }
            enc.encode_frame(Frame::from_parts(img, 0, 0, delay))
                .map_err(|e| err!("gif: cannot encode frame {}: {e}", f.display()))?;
        }
    }
    Ok(bytes)
}
