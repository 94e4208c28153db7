//! Benches of the data sets:
//! - `faces32`: procedural faces at 32x32, images per second on one thread, per style;
//! - `image_folder`: 10,000 PNGs of 64x64 written to a temporary folder, loaded twice
//!   (decoding, then from the disk cache); prints both times and their ratio, and the time
//!   of one full pass of reads from the cached folder (its pixels are read lazily).

use super::{Settings, report};
use crate::data::faces::{Faces, Style};
use crate::data::image_folder::{FolderOptions, ImageFolder};
use crate::data::source::Source;
use crate::err;
use crate::error::Result;
use std::time::Instant;

const PER_STEP: usize = 500;

pub fn faces32(settings: &Settings) -> Result<()> {
    for style in Style::ALL {
        let f = Faces {
            style,
            size: 32,
            channels: 3,
            n: usize::MAX,
            seed: 0,
            identities: 100,
        };
        let mut times = Vec::new();
        let mut i = 0;
        for step in 0..settings.warmup + settings.steps {
            let t = Instant::now();
            for _ in 0..PER_STEP {
                std::hint::black_box(f.image(i)?);
                i += 1;
            }
            if step >= settings.warmup {
                times.push(t.elapsed().as_secs_f64() * 1e3);
            }
        }
        let med = report(
            &format!("faces32_{}_{PER_STEP}img", style.name()),
            &mut times,
            "",
        );
        println!(
            "bench faces32_{} images_per_s={:.0} (one thread)",
            style.name(),
            PER_STEP as f64 / med * 1e3
        );
    }
    Ok(())
}

pub fn image_folder(_settings: &Settings) -> Result<()> {
    const N: usize = 10_000;
    let root = std::env::temp_dir().join(format!("ganbook-bench-folder-{}", std::process::id()));
    let imgs = root.join("images");
    std::fs::create_dir_all(&imgs).map_err(|e| err!("cannot create {}: {e}", imgs.display()))?;
    let t = Instant::now();
    let faces = Faces {
        style: Style::Photo,
        size: 64,
        channels: 3,
        n: N,
        seed: 0,
        identities: 0,
    };
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|s| {
        for k in 0..threads {
            let (faces, imgs) = (&faces, &imgs);
            s.spawn(move || {
                for i in (k..N).step_by(threads) {
                    let v = faces.image(i).unwrap_or_default();
                    let img = image::RgbImage::from_fn(64, 64, |x, y| {
                        let p = |c: usize| (v[c * 4096 + (y * 64 + x) as usize] * 255.0) as u8;
                        image::Rgb([p(0), p(1), p(2)])
                    });
                    let _ = img.save(imgs.join(format!("{i:05}.png")));
                }
            });
        }
    });
    println!(
        "bench image_folder wrote {N} 64x64 PNGs in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let o = FolderOptions {
        cache: true,
        cache_dir: Some(root.join("cache")),
        ..Default::default()
    };
    let t = Instant::now();
    let first = ImageFolder::open(&imgs, &o)?;
    let t1 = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let second = ImageFolder::open(&imgs, &o)?;
    let t2 = t.elapsed().as_secs_f64();
    let t = Instant::now();
    for i in 0..second.len() {
        std::hint::black_box(second.image(i)?);
    }
    let pass = t.elapsed().as_secs_f64();
    if first.from_cache || !second.from_cache || first.len() != N || second.len() != N {
        return Err(err!(
            "image_folder bench: expected a decode then a cache hit of {N} images"
        ));
    }
    println!(
        "bench image_folder_10k_64px first_ms={:.0} second_ms={:.0} speedup={:.1}x",
        t1 * 1e3,
        t2 * 1e3,
        t1 / t2
    );
    // the second open reads pixels lazily: this is what a full epoch of reads then costs
    println!(
        "bench image_folder_10k_64px cached_full_pass_ms={:.0} (every image read once as f32)",
        pass * 1e3
    );
    let _ = std::fs::remove_dir_all(&root);
    Ok(())
}
