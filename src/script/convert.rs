//! Turning script values into core arguments, and core errors into script errors.

use crate::error::{Error, Result, guard};
use crate::{bail, err};
use rhai::{Array, Dynamic, EvalAltResult, FLOAT, INT, Map, Position};

pub type ScriptResult<T> = std::result::Result<T, Box<EvalAltResult>>;

/// A core error as a script runtime error (Rhai adds the line and column).
pub fn to_script(e: Error) -> Box<EvalAltResult> {
    EvalAltResult::ErrorRuntime(e.0.into(), Position::NONE).into()
}

/// Runs a binding's body with panics caught, converting its error for the script.
pub fn call<T>(name: &str, f: impl FnOnce() -> Result<T>) -> ScriptResult<T> {
    guard(name, f).map_err(|e| {
        if e.0.starts_with(name) {
            to_script(e)
        } else {
            to_script(err!("{name}: {e}"))
        }
    })
}

/// A number, integer or float.
pub fn num(v: &Dynamic, what: &str) -> Result<f64> {
    if let Some(f) = v.clone().try_cast::<FLOAT>() {
        Ok(f)
    } else if let Some(i) = v.clone().try_cast::<INT>() {
        Ok(i as f64)
    } else {
        bail!("{what} must be a number, got {}", v.type_name())
    }
}

/// A non-negative whole number.
pub fn count(v: &Dynamic, what: &str) -> Result<usize> {
    match v.clone().try_cast::<INT>() {
        Some(i) if i >= 0 => Ok(i as usize),
        Some(i) => bail!("{what} must be >= 0, got {i}"),
        None => bail!("{what} must be a whole number, got {}", v.type_name()),
    }
}

/// A shape: an array of positive whole numbers.
pub fn shape(arr: &Array, what: &str) -> Result<Vec<usize>> {
    let dims: Vec<i64> = ints(arr, what)?;
    if dims.iter().any(|&d| d <= 0) {
        bail!("{what}: sizes must be positive, got {dims:?}");
    }
    Ok(dims.into_iter().map(|d| d as usize).collect())
}

/// An array of whole numbers (may be negative: dims, -1 in reshape).
pub fn ints(arr: &Array, what: &str) -> Result<Vec<i64>> {
    cast_all(arr, what, "whole numbers")
}

/// Every item of a script array as a `V`, or an error naming the first item that is not.
pub fn cast_all<V: rhai::Variant + Clone>(
    arr: &Array,
    what: &str,
    expected: &str,
) -> Result<Vec<V>> {
    arr.iter()
        .map(|d| {
            d.clone()
                .try_cast::<V>()
                .ok_or_else(|| err!("{what}: expected {expected}, got {}", d.type_name()))
        })
        .collect()
}

/// Options given as an object map `#{key: value}`, with the keys a function knows.
pub struct Options<'a> {
    map: &'a Map,
}

impl<'a> Options<'a> {
    /// Fails on a key not in `known`, naming the keys that are.
    pub fn new(map: &'a Map, what: &str, known: &[&str]) -> Result<Options<'a>> {
        for key in map.keys() {
            if !known.contains(&key.as_str()) {
                bail!(
                    "{what}: unknown option '{key}' (options: {})",
                    known.join(", ")
                );
            }
        }
        Ok(Options { map })
    }

    pub fn f64(&self, key: &str, default: f64) -> Result<f64> {
        self.map.get(key).map_or(Ok(default), |v| num(v, key))
    }

    pub fn usize(&self, key: &str, default: usize) -> Result<usize> {
        self.map.get(key).map_or(Ok(default), |v| count(v, key))
    }

    pub fn bool(&self, key: &str, default: bool) -> Result<bool> {
        match self.map.get(key) {
            None => Ok(default),
            Some(v) => v
                .clone()
                .try_cast::<bool>()
                .ok_or_else(|| err!("{key} must be true or false")),
        }
    }

    /// A text option.
    pub fn str(&self, key: &str, default: &str) -> Result<String> {
        match self.map.get(key) {
            None => Ok(default.to_string()),
            Some(v) => v
                .clone()
                .try_cast::<rhai::ImmutableString>()
                .map(|s| s.to_string())
                .ok_or_else(|| err!("{key} must be a string, got {}", v.type_name())),
        }
    }

    /// The raw value of an option, for options that take several types.
    pub fn get(&self, key: &str) -> Option<&Dynamic> {
        self.map.get(key)
    }

    pub fn pair(&self, key: &str, default: (f64, f64)) -> Result<(f64, f64)> {
        match self.map.get(key) {
            None => Ok(default),
            Some(v) => match v.clone().try_cast::<Array>() {
                Some(a) if a.len() == 2 => Ok((num(&a[0], key)?, num(&a[1], key)?)),
                _ => bail!("{key} must be an array of two numbers, like [0.5, 0.999]"),
            },
        }
    }
}

/// Formats a doc text as Rhai doc-comment lines, for `:help`.
pub fn doc_lines(text: &str) -> Vec<String> {
    text.lines().map(|l| format!("/// {l}")).collect()
}

/// A script value as JSON, for run.json.
pub fn to_json(value: &Dynamic) -> serde_json::Value {
    if let Some(i) = value.clone().try_cast::<rhai::INT>() {
        return i.into();
    }
    if let Some(f) = value.clone().try_cast::<rhai::FLOAT>() {
        return serde_json::Number::from_f64(f)
            .map(Into::into)
            .unwrap_or(serde_json::Value::Null);
    }
    if let Some(b) = value.clone().try_cast::<bool>() {
        return b.into();
    }
    if let Some(t) = value.clone().try_cast::<crate::tensor::DynTensor>() {
        if let Ok(v) = t.item() {
            return serde_json::Number::from_f64(v)
                .map(Into::into)
                .unwrap_or(serde_json::Value::Null);
        }
        return t
            .to_vec()
            .into_iter()
            .map(|x| serde_json::json!(x))
            .collect();
    }
    if value.is_array() {
        let arr = value.clone().cast::<rhai::Array>();
        return arr.iter().map(to_json).collect();
    }
    if value.is_map() {
        let map = value.clone().cast::<rhai::Map>();
        return map
            .iter()
            .map(|(k, v)| (k.to_string(), to_json(v)))
            .collect::<serde_json::Map<_, _>>()
            .into();
    }
    value.to_string().into()
}
