//! How the REPL and `print` show a value, and how a notebook cell shows its result.

use super::model_fns::Model;
use crate::nn::latent_shape::latent_shape;
use crate::nn::{Layer, summary};
use crate::tensor::DynTensor;
use rhai::Dynamic;

pub fn show(v: &Dynamic) -> String {
    if let Some(t) = v.read_lock::<DynTensor>() {
        return t.to_string();
    }
    if let Some(m) = v.read_lock::<Model>() {
        return m.describe();
    }
    if let Some(l) = v.read_lock::<Layer>() {
        return l.describe();
    }
    if v.is_string() {
        return format!("{:?}", v.to_string());
    }
    v.to_string()
}

/// A notebook cell's result: as [`show`], but a model whose input shape its layers tell (a
/// generator's latent, an MLP's features) as its `summary` table: every layer with its output
/// shape and parameters.
pub fn show_result(v: &Dynamic) -> String {
    if let Some(m) = v.read_lock::<Model>() {
        let table = {
            let s = m.state();
            latent_shape(&s.seq.layers)
                .ok()
                .map(|input| summary::summary(&s.seq, &input))
        };
        if let Some(table) = table {
            return format!("{}\n{}", m.describe(), table.trim_end());
        }
    }
    show(v)
}
