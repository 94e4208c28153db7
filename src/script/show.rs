//! How the REPL and `print` show a value.

use super::model_fns::Model;
use crate::nn::Layer;
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
