//! An animated GIF from the PNG frames saved under a prefix (`samples/step_000100.png`, ...),
//! or from several such series laid side by side (frame k of each, left to right).

use crate::error::Result;
use crate::{bail, err};
use image::codecs::gif::{GifEncoder, Repeat};
use image::{Delay, Frame, Rgba, RgbaImage};
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

fn open(f: &Path) -> Result<RgbaImage> {
    Ok(image::open(f)
        .map_err(|e| err!("gif: cannot read frame {}: {e}", f.display()))?
        .to_rgba8())
}

/// Reads the frames of one series; they must all be one size.
pub fn load(files: &[PathBuf]) -> Result<Vec<RgbaImage>> {
    let mut out: Vec<RgbaImage> = Vec::with_capacity(files.len());
    for f in files {
        let img = open(f)?;
        if let Some(first) = out.first()
            && first.dimensions() != img.dimensions()
        {
            let ((w, h), (w0, h0)) = (img.dimensions(), first.dimensions());
            bail!(
                "gif: frame {} is {w}x{h} but {} is {w0}x{h0}: frames must be one size",
                f.display(),
                files[0].display()
            );
        }
        out.push(img);
    }
    Ok(out)
}

/// Lays several series side by side: output frame k holds frame k of each series, left to
/// right, with no gap (width = the sum of the series' frame widths, height = the tallest,
/// shorter ones padded with white). A series with fewer frames holds its last frame.
pub fn side_by_side(series: &[Vec<PathBuf>]) -> Result<Vec<RgbaImage>> {
    let loaded: Vec<Vec<RgbaImage>> = series.iter().map(|s| load(s)).collect::<Result<_>>()?;
    if loaded.iter().any(|s| s.is_empty()) {
        bail!("gif: every series needs at least one frame");
    }
    let width: u32 = loaded.iter().map(|s| s[0].width()).sum();
    let height = loaded.iter().map(|s| s[0].height()).max().unwrap_or(0);
    let count = loaded.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = Vec::with_capacity(count);
    for k in 0..count {
        let mut canvas = RgbaImage::from_pixel(width, height, Rgba([255, 255, 255, 255]));
        let mut x = 0i64;
        for s in &loaded {
            let frame = &s[k.min(s.len() - 1)];
            image::imageops::overlay(&mut canvas, frame, x, 0);
            x += frame.width() as i64;
        }
        out.push(canvas);
    }
    Ok(out)
}

/// Height of the band [`labelled`] adds above each frame.
pub const LABEL_BAND: u32 = 26;

/// The label of a frame file: "step 300" for `step_000300.png`, else the file's name.
pub fn frame_label(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let step = stem
        .rsplit_once('_')
        .and_then(|(_, n)| n.parse::<u64>().ok());
    match step {
        Some(k) => format!("step {k}"),
        None => stem,
    }
}

/// Each frame with a white band above it holding its label (a sample grid carries no
/// caption of its own, so without it a progress GIF does not say which step is showing).
pub fn labelled(frames: Vec<RgbaImage>, labels: &[String]) -> Result<Vec<RgbaImage>> {
    use plotters::prelude::*;
    super::font::ensure();
    frames
        .into_iter()
        .zip(labels)
        .map(|(frame, label)| {
            let (w, h) = frame.dimensions();
            let mut band = vec![255u8; (w * LABEL_BAND * 3) as usize];
            {
                let area =
                    BitMapBackend::with_buffer(&mut band, (w, LABEL_BAND)).into_drawing_area();
                let font = (super::font::FAMILY, 16).into_font().color(&BLACK);
                area.draw(&Text::new(label.as_str(), (6, 4), font))
                    .map_err(|e| err!("gif: cannot draw a label: {e:?}"))?;
                area.present()
                    .map_err(|e| err!("gif: cannot draw a label: {e:?}"))?;
            }
            let band = image::RgbImage::from_raw(w, LABEL_BAND, band)
                .ok_or_else(|| err!("gif: label band has the wrong size"))?;
            let mut out = RgbaImage::from_pixel(w, h + LABEL_BAND, Rgba([255, 255, 255, 255]));
            image::imageops::overlay(
                &mut out,
                &image::DynamicImage::ImageRgb8(band).to_rgba8(),
                0,
                0,
            );
            image::imageops::overlay(&mut out, &frame, 0, LABEL_BAND as i64);
            Ok(out)
        })
        .collect()
}

/// Encodes the frames (all of one size) as a looping GIF at `fps` frames per second.
pub fn encode(files: &[PathBuf], fps: f64) -> Result<Vec<u8>> {
    encode_images(load(files)?, fps)
}

/// Encodes images (all of one size) as a looping GIF at `fps` frames per second.
pub fn encode_images(images: Vec<RgbaImage>, fps: f64) -> Result<Vec<u8>> {
    if !(fps > 0.0 && fps <= 100.0) {
        bail!("gif: fps must be in (0, 100], got {fps}");
    }
    let delay = Delay::from_numer_denom_ms((1000.0 / fps).round() as u32, 1);
    let mut bytes = Vec::new();
    {
        let mut enc = GifEncoder::new_with_speed(&mut bytes, 10);
        enc.set_repeat(Repeat::Infinite)
            .map_err(|e| err!("gif: {e}"))?;
        for (k, img) in images.into_iter().enumerate() {
            enc.encode_frame(Frame::from_parts(img, 0, 0, delay))
                .map_err(|e| err!("gif: cannot encode frame {k}: {e}"))?;
        }
    }
    Ok(bytes)
}
