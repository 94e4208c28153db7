//! `inception(path)`: pytorch-fid's FID Inception-v3 as a FeatureNet for `fid`, `kid` and
//! the Inception Score.

use super::convert::call;
use super::def;
use crate::error::Result;
use crate::metrics::features::FeatureNetHandle;
use crate::metrics::inception::Inception;
use crate::state::RunState;
use rhai::Engine;
use std::path::PathBuf;
use std::sync::Arc;

/// `~/...` -> `$HOME/...`; other paths as given.
fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

fn inception(ctx: &RunState, path: &str) -> Result<FeatureNetHandle> {
    let p = ctx.sandbox().read(&expand_home(path))?;
    Ok(FeatureNetHandle(Arc::new(Inception::load(&p)?)))
}

pub fn register(e: &mut Engine, ctx: &Arc<RunState>) {
    let c = ctx.clone();
    def(
        e,
        "inception",
        "inception(path) -> FeatureNet\npytorch-fid's FID Inception-v3 from its weights file (pt_inception-2015-12-05-6726825d.pth, which pytorch-fid keeps in ~/.cache/torch/hub/checkpoints/): pass it as fid(a, b, #{features: net}); features are the 2048-d pool3 of images resized to 299x299 (bilinear), equal to pytorch-fid's for images in [-1, 1] given to it as (x + 1) / 2; its probabilities are the softmax of the 1008-way fc layer.",
        move |path: &str| call("inception", || inception(&c, path)),
    );
}
