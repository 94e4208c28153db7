//! Measures of a generator in scripts: FID's formula on features, KID, Inception Score,
//! precision/recall, and `fid` / `fid_every` from models, data sets or image tensors.

use super::convert::{Options, call};
use super::def;
use super::model_fns::Model;
use super::output_fns::log;
use crate::bail;
use crate::data::dataset::Dataset;
use crate::error::Result;
use crate::metrics::compare::{Comparison, Extractor, Samples};
use crate::metrics::features::FeatureNetHandle;
use crate::metrics::{Features, frechet, inception_score, kid, precision_recall};
use crate::state::RunState;
use crate::tensor::DynTensor;
use rhai::{Array, Dynamic, Engine, FLOAT, INT, Map};
use std::sync::Arc;

/// The samples a script value stands for: a Model (a generator), a Dataset or images.
fn samples(v: &Dynamic, what: &str) -> Result<Samples> {
    if let Some(m) = v.clone().try_cast::<Model>() {
        Samples::generator(m)
    } else if let Some(d) = v.clone().try_cast::<Dataset>() {
        Ok(Samples::Data(d))
    } else if let Some(t) = v.clone().try_cast::<DynTensor>() {
        Samples::images(t, what)
    } else {
        bail!(
            "{what} must be a Model, a Dataset or a Tensor of images, got {}",
            v.type_name()
        )
    }
}

/// The extractor the option `features` names: a model, [model, layer index] or a FeatureNet.
fn extractor(v: &Dynamic) -> Result<Extractor> {
    if let Some(net) = v.clone().try_cast::<FeatureNetHandle>() {
        return Ok(Extractor::Net(net));
    }
    if let Some(m) = v.clone().try_cast::<Model>() {
        return Extractor::layers(m, -1);
    }
    if let Some(a) = v.clone().try_cast::<Array>() {
        let m = a.first().and_then(|m| m.clone().try_cast::<Model>());
        let i = a.get(1).and_then(|i| i.clone().try_cast::<INT>());
        return match (a.len(), m, i) {
            (2, Some(m), Some(i)) => Extractor::layers(m, i),
            _ => bail!("features: expected a model or [model, layer index], like [f, -2]"),
        };
    }
    bail!(
        "features must be a model, [model, layer index] or a FeatureNet, got {}",
        v.type_name()
    )
}

/// The comparison of `a` and `b` the options `features`, `n` and `batch` describe.
fn setup(a: &Dynamic, b: &Dynamic, opts: &Options, what: &str) -> Result<Comparison> {
    let (sa, sb) = (samples(a, "a")?, samples(b, "b")?);
    let ex = opts.get("features").map(extractor).transpose()?;
    let n = match opts.get("n") {
        Some(_) => Some(opts.usize("n", 0)?),
        None => None,
    };
    Comparison::new(sa, sb, ex, n, opts.usize("batch", 250)?, what)
}

/// The features of `n` samples of each side, with the options `features`, `n` and `batch`
/// (without `features`: the probe, when either side is built-in digits or faces).
fn feature_pair(
    a: &Dynamic,
    b: &Dynamic,
    opts: &Options,
    what: &str,
) -> Result<(Features, Features)> {
    setup(a, b, opts, what)?.features()
}

fn fid(a: &Dynamic, b: &Dynamic, m: &Map) -> Result<FLOAT> {
    let opts = Options::new(m, "fid", &["features", "n", "batch"])?;
    let (fa, fb) = feature_pair(a, b, &opts, "fid")?;
    frechet::frechet_distance(&fa, &fb)
}

fn fid_every(
    ctx: &RunState,
    step: INT,
    every: INT,
    a: &Dynamic,
    b: &Dynamic,
    m: &Map,
) -> Result<Dynamic> {
    if !due(step, every)? {
        return Ok(Dynamic::UNIT);
    }
    let opts = Options::new(m, "fid_every", &["features", "n", "batch", "name", "kid"])?;
    let (fa, fb) = feature_pair(a, b, &opts, "fid_every")?;
    let name = opts.str("name", "fid")?;
    let v = frechet::frechet_distance(&fa, &fb)?;
    let mut row = Map::new();
    row.insert(name.as_str().into(), Dynamic::from(v));
    if opts.bool("kid", false)? {
        let k = kid::kid(&fa, &fb, 100, 1000, 0)?;
        row.insert("kid".into(), Dynamic::from(k.mean));
    }
    log(ctx, step, &row, &Map::new())?;
    Ok(Dynamic::from(v))
}

/// FID, KID and IS of `a` (the generated side) against `b` every `every` steps, logged.
fn metrics_every(
    ctx: &RunState,
    step: INT,
    every: INT,
    a: &Dynamic,
    b: &Dynamic,
    m: &Map,
) -> Result<Dynamic> {
    if !due(step, every)? {
        return Ok(Dynamic::UNIT);
    }
    let opts = Options::new(
        m,
        "metrics_every",
        &["features", "n", "batch", "fid", "kid", "inception_score"],
    )?;
    let comparison = setup(a, b, &opts, "metrics_every")?;
    let is = match opts.get("inception_score") {
        Some(_) => Some(opts.bool("inception_score", false)?),
        None => None,
    };
    let fid_kid = (opts.bool("fid", true)?, opts.bool("kid", true)?);
    let scores = comparison.scores(fid_kid.0, fid_kid.1, is, "metrics_every")?;
    let mut row = Map::new();
    for (name, v) in scores {
        row.insert(name.into(), v.into());
    }
    log(ctx, step, &row, &Map::new())?;
    Ok(Dynamic::from(row))
}

fn feats(t: &DynTensor, what: &str) -> Result<Features> {
    if t.rank() != 2 {
        bail!("{what}: features must be [n, d], got {:?}", t.shape());
    }
    Features::from_tensor(t, what)
}

fn kid_map(a: &DynTensor, b: &DynTensor, m: &Map) -> Result<Map> {
    let o = Options::new(m, "kid", &["subsets", "subset_size", "seed"])?;
    let k = kid::kid(
        &feats(a, "a")?,
        &feats(b, "b")?,
        o.usize("subsets", 100)?,
        o.usize("subset_size", 1000)?,
        o.usize("seed", 0)? as u64,
    )?;
    let mut out = Map::new();
    out.insert("kid".into(), Dynamic::from(k.mean));
    out.insert("std".into(), Dynamic::from(k.std));
    out.insert("subsets".into(), Dynamic::from(k.subsets as INT));
    out.insert("subset_size".into(), Dynamic::from(k.subset_size as INT));
    Ok(out)
}

fn is_map(p: &DynTensor, m: &Map) -> Result<Map> {
    let o = Options::new(m, "inception_score", &["splits"])?;
    let shape = p.shape();
    if shape.len() != 2 {
        bail!("expects probabilities [n, classes], got {shape:?}");
    }
    let s =
        inception_score::inception_score(&p.to_vec(), shape[0], shape[1], o.usize("splits", 10)?)?;
    let mut out = Map::new();
    out.insert("mean".into(), Dynamic::from(s.mean));
    out.insert("std".into(), Dynamic::from(s.std));
    Ok(out)
}

fn pr_map(real: &DynTensor, fake: &DynTensor, m: &Map) -> Result<Map> {
    let o = Options::new(m, "precision_recall", &["k"])?;
    let pr = precision_recall::precision_recall(
        &feats(real, "real")?,
        &feats(fake, "fake")?,
        o.usize("k", 3)?,
    )?;
    let mut out = Map::new();
    out.insert("precision".into(), Dynamic::from(pr.precision));
    out.insert("recall".into(), Dynamic::from(pr.recall));
    Ok(out)
}

/// A measure taken every `every` steps: (context, step, every, a, b, options).
type EveryFn = fn(&RunState, INT, INT, &Dynamic, &Dynamic, &Map) -> Result<Dynamic>;

/// Registers `name(step, every, a, b)` (default options) and `name(step, every, a, b, #{...})`.
fn def_every(e: &mut Engine, ctx: &Arc<RunState>, name: &'static str, docs: [&str; 2], f: EveryFn) {
    let c = ctx.clone();
    def(
        e,
        name,
        docs[0],
        move |step: INT, every: INT, a: Dynamic, b: Dynamic| {
            call(name, || f(&c, step, every, &a, &b, &Map::new()))
        },
    );
    let c = ctx.clone();
    def(
        e,
        name,
        docs[1],
        move |step: INT, every: INT, a: Dynamic, b: Dynamic, m: Map| {
            call(name, || f(&c, step, every, &a, &b, &m))
        },
    );
}

/// Whether a measure taken every `every` steps is due at `step`.
fn due(step: INT, every: INT) -> Result<bool> {
    if every < 1 {
        bail!("every must be at least 1, got {every}");
    }
    Ok(step % every == 0)
}

pub fn register(e: &mut Engine, ctx: &Arc<RunState>) {
    e.register_type_with_name::<FeatureNetHandle>("FeatureNet");
    def(
        e,
        "to_string",
        "FeatureNet.to_string() -> string\nThe feature network's name.",
        |n: &mut FeatureNetHandle| n.0.name(),
    );
    def(
        e,
        "frechet_distance",
        "frechet_distance(feats_a, feats_b) -> float\nFID's formula on two feature sets [n, d] in float64: |mu_a - mu_b|^2 + tr(S_a + S_b - 2 sqrt(S_a S_b)); agrees with pytorch-fid, stays finite when covariances are singular.",
        |a: DynTensor, b: DynTensor| {
            call("frechet_distance", || {
                frechet::frechet_distance(&feats(&a, "a")?, &feats(&b, "b")?)
            })
        },
    );
    def(
        e,
        "fid",
        "fid(a, b, #{features, n, batch}) -> float\nFréchet distance between the features of a and b, each a Model (sampled with standard-normal latents), a Dataset or a Tensor of images. features: a model (its output), [model, layer index] like [f, -2], or a FeatureNet (default: the probe when either side is a built-in digits or faces Dataset); n samples per side (default: the smaller side, at most 10,000), batch (default 250).",
        |a: Dynamic, b: Dynamic, m: Map| call("fid", || fid(&a, &b, &m)),
    );
    def(
        e,
        "fid",
        "fid(a, b) -> float\nfid(a, b, #{}) with the defaults: the probe's features, which needs a or b to be a built-in digits or faces Dataset.",
        |a: Dynamic, b: Dynamic| call("fid", || fid(&a, &b, &Map::new())),
    );
    def_every(
        e,
        ctx,
        "fid_every",
        [
            "fid_every(step, every, a, b) -> float or ()\nfid_every(step, every, a, b, #{}): the probe's features on built-in data, logged as \"fid\".",
            "fid_every(step, every, a, b, #{features, n, batch, name, kid}) -> float or ()\nEvery `every` steps (when step % every == 0) computes fid(a, b, ...) (features as in fid, the probe by default on built-in data) and logs it for the step as `name` (default \"fid\"; with kid: true also \"kid\") to metrics.jsonl, so plot_log([\"fid\"], ...) draws the curve. Returns the FID, or () on other steps.",
        ],
        fid_every,
    );
    def_every(
        e,
        ctx,
        "metrics_every",
        [
            "metrics_every(step, every, a, b) -> #{fid, kid, is} or ()\nmetrics_every(step, every, a, b, #{}): FID, KID and IS with the probe's features on built-in data.",
            "metrics_every(step, every, a, b, #{features, n, batch, fid, kid, inception_score}) -> #{fid, kid, is} or ()\nEvery `every` steps computes FID, KID (mean of 100 subsets of up to 1000) and the Inception Score of a (the generated side, from the feature network's class probabilities) on the same n samples, and logs them as \"fid\", \"kid\", \"is\" to metrics.jsonl; features default to the probe on built-in digits/faces data; fid, kid, inception_score: false leaves one out (IS needs a FeatureNet). Returns the map (read IS as m[\"is\"]: `is` is a Rhai keyword), or () on other steps.",
        ],
        metrics_every,
    );
    for opts in [false, true] {
        let doc_kid = if opts {
            "kid(feats_a, feats_b, #{subsets, subset_size, seed}) -> #{kid, std, subsets, subset_size}\nKID with options: subsets (100) of subset_size (1000, capped at the smaller side) samples drawn without replacement with the seed (0)."
        } else {
            "kid(feats_a, feats_b) -> #{kid, std, subsets, subset_size}\nKernel Inception Distance: unbiased MMD^2 with the kernel (x.y / d + 1)^3, mean and std over 100 random subsets of 1000 (one exact value when both sides fit in a subset)."
        };
        let doc_is = if opts {
            "inception_score(probs, #{splits}) -> #{mean, std}\nInception Score with the number of splits (default 10)."
        } else {
            "inception_score(probs) -> #{mean, std}\nexp(E[KL(p(y|x) || p(y))]) from class probabilities [n, classes] (softmax outputs), over 10 splits of consecutive rows; mean and population std."
        };
        let doc_pr = if opts {
            "precision_recall(real_feats, fake_feats, #{k}) -> #{precision, recall}\nPrecision and recall with k nearest neighbours (default 3)."
        } else {
            "precision_recall(real_feats, fake_feats) -> #{precision, recall}\nKynkäänniemi et al. 2019: share of fake samples inside the real manifold (balls reaching each sample's 3rd nearest neighbour), and of real inside the fake one."
        };
        if opts {
            def(e, "kid", doc_kid, |a: DynTensor, b: DynTensor, m: Map| {
                call("kid", || kid_map(&a, &b, &m))
            });
            def(e, "inception_score", doc_is, |p: DynTensor, m: Map| {
                call("inception_score", || is_map(&p, &m))
            });
            def(
                e,
                "precision_recall",
                doc_pr,
                |r: DynTensor, f: DynTensor, m: Map| {
                    call("precision_recall", || pr_map(&r, &f, &m))
                },
            );
        } else {
            def(e, "kid", doc_kid, |a: DynTensor, b: DynTensor| {
                call("kid", || kid_map(&a, &b, &Map::new()))
            });
            def(e, "inception_score", doc_is, |p: DynTensor| {
                call("inception_score", || is_map(&p, &Map::new()))
            });
            def(
                e,
                "precision_recall",
                doc_pr,
                |r: DynTensor, f: DynTensor| {
                    call("precision_recall", || pr_map(&r, &f, &Map::new()))
                },
            );
        }
    }
}
