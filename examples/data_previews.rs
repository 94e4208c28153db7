//! Writes the preview grids in docs/data/: each built-in style at 32 pixels (and faces at
//! 64), at native resolution (PREVIEW_TILE=96 scales them up for viewing).
//! `cargo run --release --example data_previews`

use ganbook::data::dataset::{Dataset, Output};
use ganbook::data::digits::{self, Digits};
use ganbook::data::faces::{Faces, Style};
use ganbook::data::source::Source;
use ganbook::tensor::DynTensor;
use ganbook::viz::grid::{GridOptions, save};
use std::path::Path;
use std::sync::Arc;

fn grid(src: Arc<dyn Source>, name: &str, n: usize) {
    let ds = Dataset::new(src, Output::default(), 0).unwrap();
    let [c, h, w] = ds.shape();
    let mut v = Vec::new();
    for i in 0..n {
        v.extend(ds.get(i).unwrap());
    }
    let t = DynTensor::from_vec(v, &[n, c, h, w]).unwrap();
    let tile = std::env::var("PREVIEW_TILE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(h);
    let opts = GridOptions {
        min_tile: tile,
        nrow: Some(n.min(8)),
        ..Default::default()
    };
    save(
        &t,
        &Path::new("docs/data").join(format!("{name}.png")),
        &opts,
    )
    .unwrap();
}

fn main() {
    for (size, count) in [(32, 32), (64, 4)] {
        for style in Style::ALL {
            let f = Faces {
                style,
                size,
                channels: 3,
                n: 64,
                seed: 1,
                identities: 100,
            };
            grid(
                Arc::new(f),
                &format!("faces_{}_{size}", style.name()),
                count,
            );
        }
    }
    for (style, ch, size) in [
        (digits::Style::Handwritten, 1, 28),
        (digits::Style::Street, 3, 32),
    ] {
        let d = Digits {
            style,
            size,
            channels: ch,
            n: 64,
            seed: 1,
        };
        let name = if ch == 1 { "handwritten" } else { "street" };
        grid(Arc::new(d), &format!("digits_{name}_{size}"), 32);
    }
}
