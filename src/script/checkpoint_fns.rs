//! Checkpoints and PyTorch weights in scripts: `save(#{G: G, opt_g: opt_g, step: step}, "last")`,
//! `load("last", #{G: G, opt_g: opt_g})`, `load_torch(G, "g.pt")`, `save_torch(G, "g.safetensors")`.

use super::convert::call;
use super::convert::to_json;
use super::def;
use super::model_fns::Model;
use super::optim_fns::Opt;
use crate::checkpoint::{self, MANIFEST, Manifest};
use crate::error::Result;
use crate::interop::torch;
use crate::state::RunState;
use crate::{bail, err, rng};
use rhai::{Dynamic, Engine, Map};
use std::path::PathBuf;
use std::sync::Arc;

fn save(ctx: &RunState, items: &Map, name: &str) -> Result<String> {
    let dest = checkpoint::dir(ctx.out_dir(), name)?;
    let tmp = dest.with_extension("tmp");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| err!("cannot create {}: {e}", tmp.display()))?;
    ctx.with_log(|l| l.flush())?;
    let mut m = Manifest {
        ganbook_version: env!("CARGO_PKG_VERSION").into(),
        rng: rng::state(),
        step: ctx.step(),
        ..Default::default()
    };
    for (key, v) in items {
        let key = key.to_string();
        if let Some(model) = v.clone().try_cast::<Model>() {
            let s = model.state();
            checkpoint::save_model(&s.seq, &tmp.join(format!("{key}.bpk")))?;
            m.models.insert(key.clone(), (s.training, s.frozen));
            m.kinds.insert(key, "model".into());
        } else if let Some(opt) = v.clone().try_cast::<Opt>() {
            let st = opt.0.lock().unwrap_or_else(|p| p.into_inner());
            st.optimizer
                .save_state(&tmp.join(format!("{key}.optim.bpk")))?;
            m.lrs.insert(key.clone(), st.optimizer.lr);
            m.kinds.insert(key, "optimizer".into());
        } else {
            if key == "step" {
                m.step = v.clone().try_cast::<rhai::INT>();
            }
            m.values.insert(key.clone(), to_json(v));
            m.kinds.insert(key, "value".into());
        }
    }
    checkpoint::failpoint("checkpoint_write");
    let text = serde_json::to_string_pretty(&m).map_err(|e| err!("checkpoint: {e}"))?;
    crate::files::write_atomic(&tmp.join(MANIFEST), text.as_bytes())?;
    checkpoint::commit(&tmp, &dest)?;
    Ok(dest.display().to_string())
}

fn read_manifest(ctx: &RunState, name: &str) -> Result<(PathBuf, Manifest)> {
    let dir = checkpoint::dir(ctx.out_dir(), name)?;
    let m = checkpoint::read_manifest(&dir).map_err(|e| {
        if dir.join(MANIFEST).exists() {
            e
        } else {
            err!("no checkpoint '{name}': {e}")
        }
    })?;
    Ok((dir, m))
}

/// Restores the given models and optimizers in place, the RNG and the step; returns the
/// saved plain values (step included).
fn load(ctx: &RunState, name: &str, into: &Map) -> Result<Map> {
    let (dir, m) = read_manifest(ctx, name)?;
    for (key, v) in into {
        let key = key.to_string();
        let kind = m.kinds.get(&key).map(String::as_str);
        if let Some(model) = v.clone().try_cast::<Model>() {
            if kind != Some("model") {
                bail!(
                    "checkpoint '{name}' has no model '{key}' (it has: {})",
                    names(&m)
                );
            }
            let mut s = model.state();
            checkpoint::load_model(&mut s.seq, &dir.join(format!("{key}.bpk")))?;
            let (training, frozen) = m.models[&key];
            s.training = training;
            if frozen != s.frozen || frozen {
                s.frozen = frozen;
                let seq = s.seq.clone();
                use burn::module::Module;
                s.seq = seq.set_require_grad(!frozen);
            }
        } else if let Some(opt) = v.clone().try_cast::<Opt>() {
            if kind != Some("optimizer") {
                bail!(
                    "checkpoint '{name}' has no optimizer '{key}' (it has: {})",
                    names(&m)
                );
            }
            let mut st = opt.0.lock().unwrap_or_else(|p| p.into_inner());
            st.optimizer
                .load_state(&dir.join(format!("{key}.optim.bpk")))?;
            st.optimizer.lr = m.lrs[&key];
        } else {
            bail!(
                "load: '{key}' must be a model or an optimizer to restore into, got {}",
                v.type_name()
            );
        }
    }
    rng::restore(&m.rng)?;
    ctx.set_step(m.step);
    let mut out = Map::new();
    for (k, v) in &m.values {
        out.insert(k.as_str().into(), json_to_dynamic(v));
    }
    Ok(out)
}

fn names(m: &Manifest) -> String {
    m.kinds
        .iter()
        .map(|(k, v)| format!("{k} ({v})"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn json_to_dynamic(v: &serde_json::Value) -> Dynamic {
    match v {
        serde_json::Value::Bool(b) => Dynamic::from(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Dynamic::from(i as rhai::INT),
            None => Dynamic::from(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Dynamic::from(s.clone()),
        serde_json::Value::Array(a) => Dynamic::from_array(a.iter().map(json_to_dynamic).collect()),
        serde_json::Value::Object(o) => Dynamic::from_map(
            o.iter()
                .map(|(k, v)| (k.as_str().into(), json_to_dynamic(v)))
                .collect(),
        ),
        serde_json::Value::Null => Dynamic::UNIT,
    }
}

/// A weights file: as given when absolute, starting with `./` or `../`, or found from the
/// working folder; otherwise inside the run folder. Checked against the sandbox.
fn weights_path(ctx: &RunState, path: &str) -> Result<PathBuf> {
    let p = std::path::Path::new(path);
    let explicit = p.is_absolute() || path.starts_with("./") || path.starts_with("../");
    let p = if explicit || p.exists() {
        p.to_path_buf()
    } else {
        ctx.out_dir().join(p)
    };
    ctx.sandbox().read(&p)
}

pub fn register(e: &mut Engine, ctx: &Arc<RunState>) {
    let c = ctx.clone();
    def(
        e,
        "save",
        "save(items, name) -> string\nWrites checkpoints/<name>/: models, optimizer state, plain values (step, ...) and the RNG state, e.g. save(#{G: G, D: D, opt_g: opt_g, opt_d: opt_d, step: step}, \"last\"). Returns the folder.",
        move |items: Map, name: &str| call("save", || save(&c, &items, name)),
    );
    let c = ctx.clone();
    def(
        e,
        "load",
        "load(name, into) -> map\nRestores a checkpoint into the models and optimizers given (load(\"last\", #{G: G, D: D, opt_g: opt_g, opt_d: opt_d})), and the RNG and step, so the run continues exactly; returns the saved values (#{step: ...}). The script builds the models as before: a checkpoint holds weights, not architectures.",
        move |name: &str, into: Map| call("load", || load(&c, name, &into)),
    );
    let c = ctx.clone();
    def(
        e,
        "load",
        "load(name) -> map\nRestores the RNG and step of a checkpoint and returns its saved values; models and optimizers are restored only by load(name, #{G: G, ...}).",
        move |name: &str| call("load", || load(&c, name, &Map::new())),
    );
    let c = ctx.clone();
    def(
        e,
        "resume",
        "resume(into) -> int\nWith `ganbook run --resume`: restores checkpoint \"last\" into the models and optimizers given (as load(\"last\", into)), with the RNG and step, and returns the step after the saved one; otherwise does nothing and returns 0. let start = resume(#{G: G, D: D, opt_g: opt_g, opt_d: opt_d}); for step in start..steps { ... save(#{G: G, ..., step: step}, \"last\"); }",
        move |into: Map| {
            call("resume", || {
                c.mark_resumed();
                let Some(step) = c.resume_step() else {
                    return Ok(0 as rhai::INT);
                };
                load(&c, crate::state::resume::CHECKPOINT, &into)?;
                Ok(step + 1)
            })
        },
    );
    let c = ctx.clone();
    def(
        e,
        "resuming",
        "resuming() -> bool\nWhether this run was started with --resume.",
        move || c.resume_step().is_some(),
    );
    let c = ctx.clone();
    def(
        e,
        "has_checkpoint",
        "has_checkpoint(name) -> bool\nWhether checkpoints/<name>/ exists in the run folder (to resume: if has_checkpoint(\"last\") { ... load ... }).",
        move |name: &str| {
            checkpoint::dir(c.out_dir(), name)
                .map(|d| {
                    checkpoint::recover(&d);
                    d.join(MANIFEST).exists()
                })
                .unwrap_or(false)
        },
    );
    let c = ctx.clone();
    def(
        e,
        "load_torch",
        "load_torch(model, path) -> Model\nLoads a PyTorch state_dict (.pt, .pth or .safetensors) saved from a torch.nn.Sequential with the same layer list (parameter-less layers count in PyTorch's indices, as here).",
        move |m: &mut Model, path: &str| {
            call("load_torch", || {
                torch::load(&mut m.state().seq, &weights_path(&c, path)?)?;
                Ok(m.clone())
            })
        },
    );
    let c = ctx.clone();
    def(
        e,
        "save_torch",
        "save_torch(model, path) -> string\nWrites the model as safetensors with PyTorch's names (0.weight, 1.running_mean, ...), for torch.nn.Sequential.load_state_dict(safetensors.torch.load_file(path)). A relative path is inside the run folder.",
        move |m: &mut Model, path: &str| {
            call("save_torch", || {
                let p = super::data_fns::output_file(&c, path)?;
                torch::save(&m.state().seq, &p)?;
                Ok(p.display().to_string())
            })
        },
    );
}
