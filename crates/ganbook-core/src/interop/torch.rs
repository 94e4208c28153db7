//! PyTorch state_dicts <-> a ganbook Sequential. A `torch.nn.Sequential` with the same layer
//! list names layer i's tensors `i.weight`, `i.bias`, `i.running_mean`, ... (parameter-less
//! layers take an index too, as here). Linear weights are transposed ([out, in] in PyTorch,
//! [in, out] here); convolutions share PyTorch's layout; `num_batches_tracked` is ignored on
//! load and written as 0 on save so that `load_state_dict` (strict) accepts the file.

use crate::error::Result;
use crate::nn::spectral_norm::{Normed, SpectralNorm};
use crate::nn::{Layer, Sequential};
use crate::{bail, err};
use burn::module::Param;
use burn::tensor::{Tensor, TensorData};
use std::collections::BTreeMap;
use std::path::Path;

/// Name -> (shape, values as f32).
pub type StateDict = BTreeMap<String, (Vec<usize>, Vec<f32>)>;

/// Reads a state_dict from a .pt/.pth (torch.save) or .safetensors file. Integer tensors
/// (`num_batches_tracked`) are skipped. A common prefix such as `main.` or `model.` before the
/// layer indices is removed.
pub fn read(path: &Path) -> Result<StateDict> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let mut dict = match ext {
        "safetensors" => read_safetensors(path)?,
        "pt" | "pth" | "bin" | "ckpt" => read_pickle(path)?,
        _ => bail!(
            "{}: expected a .pt, .pth or .safetensors file",
            path.display()
        ),
    };
    strip_prefix(&mut dict);
    Ok(dict)
}

fn read_pickle(path: &Path) -> Result<StateDict> {
    use burn::store::pytorch_reader::{DType, PytorchReader};
    let reader =
        PytorchReader::new(path).map_err(|e| err!("cannot read {}: {e}", path.display()))?;
    let mut out = StateDict::new();
    for (name, t) in reader.tensors() {
        let bytes = t
            .read()
            .map_err(|e| err!("cannot read {} from {}: {e}", name, path.display()))?;
        let values = match t.dtype() {
            DType::F32 => bytes
                .chunks_exact(4)
                .map(|c| f32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            DType::F64 => bytes
                .chunks_exact(8)
                .map(|c| f64::from_ne_bytes(c.try_into().unwrap()) as f32)
                .collect(),
            DType::I64 | DType::I32 | DType::I16 | DType::I8 | DType::U8 | DType::Bool => continue,
            other => bail!(
                "{}: tensor {name} is {other:?}; convert it to float32 in PyTorch first",
                path.display()
            ),
        };
        out.insert(name.clone(), (t.shape().to_vec(), values));
    }
    Ok(out)
}

fn read_safetensors(path: &Path) -> Result<StateDict> {
    use safetensors::{Dtype, SafeTensors};
    let bytes = std::fs::read(path).map_err(|e| err!("cannot read {}: {e}", path.display()))?;
    let st = SafeTensors::deserialize(&bytes)
        .map_err(|e| err!("{} is not a safetensors file: {e}", path.display()))?;
    let mut out = StateDict::new();
    for (name, view) in st.tensors() {
        let data = view.data();
        let values = match view.dtype() {
            Dtype::F32 => data
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            Dtype::F64 => data
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().unwrap()) as f32)
                .collect(),
            Dtype::I64 | Dtype::I32 | Dtype::I16 | Dtype::I8 | Dtype::U8 | Dtype::BOOL => continue,
            other => bail!(
                "{}: tensor {name} is {other:?}; convert it to float32 first",
                path.display()
            ),
        };
        out.insert(name, (view.shape().to_vec(), values));
    }
    Ok(out)
}

/// `main.0.weight` -> `0.weight` when every key has the same non-numeric first part.
fn strip_prefix(dict: &mut StateDict) {
    loop {
        let firsts: Vec<&str> = dict
            .keys()
            .map(|k| k.split('.').next().unwrap_or(""))
            .collect();
        let Some(first) = firsts.first().copied() else {
            return;
        };
        if first.parse::<usize>().is_ok() || firsts.iter().any(|f| *f != first) {
            return;
        }
        let prefix = format!("{first}.");
        if !dict.keys().all(|k| k.starts_with(&prefix)) {
            return;
        }
        *dict = std::mem::take(dict)
            .into_iter()
            .map(|(k, v)| (k[prefix.len()..].to_string(), v))
            .collect();
    }
}

/// The PyTorch tensors of one layer: (name, value, transposed-from-ours).
fn tensors_of(layer: &Layer) -> Vec<(&'static str, Vec<usize>, Vec<f32>)> {
    let t = |p: &Param<Tensor<1>>| (p.val().dims().to_vec(), data(p.val()));
    match layer {
        Layer::Linear(l) => {
            let w = l.weight.val().transpose();
            let mut v = vec![("weight", w.dims().to_vec(), data(w))];
            if let Some(b) = &l.bias {
                let (s, d) = t(b);
                v.push(("bias", s, d));
            }
            v
        }
        Layer::Conv2d(l) => conv_tensors(&l.weight, &l.bias),
        Layer::ConvTranspose2d(l) => conv_tensors(&l.weight, &l.bias),
        Layer::BatchNorm(b) => vec![
            ("weight", t(&b.weight).0, t(&b.weight).1),
            ("bias", t(&b.bias).0, t(&b.bias).1),
            ("running_mean", t(&b.running_mean).0, t(&b.running_mean).1),
            ("running_var", t(&b.running_var).0, t(&b.running_var).1),
        ],
        Layer::LayerNorm(l) => vec![
            ("weight", l.shape.clone(), data(l.weight.val())),
            ("bias", l.shape.clone(), data(l.bias.val())),
        ],
        Layer::Embedding(e) => {
            let w = e.weight.val();
            vec![("weight", w.dims().to_vec(), data(w))]
        }
        Layer::Stateless(_) => vec![],
        // PyTorch's parametrization: the weight before normalising, and u and v
        Layer::SpectralNorm(sn) => {
            let mut v: Vec<_> = tensors_of(&sn.layer())
                .into_iter()
                .map(|(name, s, d)| match name {
                    "weight" => (SN_WEIGHT, s, d),
                    _ => (name, s, d),
                })
                .collect();
            v.push((SN_U, t(&sn.u).0, t(&sn.u).1));
            v.push((SN_V, t(&sn.v).0, t(&sn.v).1));
            v
        }
    }
}

/// The names `torch.nn.utils.parametrizations.spectral_norm` gives a wrapped layer's tensors.
const SN_WEIGHT: &str = "parametrizations.weight.original";
const SN_U: &str = "parametrizations.weight.0._u";
const SN_V: &str = "parametrizations.weight.0._v";

fn conv_tensors(
    w: &Param<Tensor<4>>,
    b: &Option<Param<Tensor<1>>>,
) -> Vec<(&'static str, Vec<usize>, Vec<f32>)> {
    let mut v = vec![("weight", w.val().dims().to_vec(), data(w.val()))];
    if let Some(b) = b {
        v.push(("bias", b.val().dims().to_vec(), data(b.val())));
    }
    v
}

fn data<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .unwrap_or_default()
}

/// Loads a state_dict into the model, checking every name and shape first: nothing is
/// changed unless all of them fit.
pub fn load(seq: &mut Sequential, path: &Path) -> Result<()> {
    let mut dict = read(path)?;
    let file = path.display();
    // Check everything before touching the model.
    for (i, layer) in seq.layers.iter().enumerate() {
        for (name, shape, _) in tensors_of(layer) {
            let key = format!("{i}.{name}");
            match dict.get(&key) {
                None => bail!(
                    "{file}: no tensor '{key}' for layer {i} ({}); the file has: {}",
                    layer.describe(),
                    keys_near(&dict, i)
                ),
                Some((s, _)) if s.iter().product::<usize>() != shape.iter().product::<usize>() => {
                    bail!(
                        "{file}: '{key}' has shape {s:?} but layer {i} ({}) needs {shape:?}",
                        layer.describe()
                    )
                }
                _ => {}
            }
        }
    }
    let n = seq.layers.len();
    let extra: Vec<&String> = dict
        .keys()
        .filter(|k| {
            let idx = k.split('.').next().and_then(|s| s.parse::<usize>().ok());
            match idx {
                Some(i) if i < n => !tensors_of(&seq.layers[i])
                    .iter()
                    .any(|(name, _, _)| **k == format!("{i}.{name}")),
                _ => true,
            }
        })
        .collect();
    if !extra.is_empty() {
        let list: Vec<&str> = extra.iter().take(6).map(|s| s.as_str()).collect();
        bail!(
            "{file}: tensors with no place in this {n}-layer model: {} (is the layer list the same as in PyTorch, parameter-less layers included?)",
            list.join(", ")
        );
    }
    for (i, layer) in seq.layers.iter_mut().enumerate() {
        let mut take = |name: &str| dict.remove(&format!("{i}.{name}")).unwrap().1;
        load_layer(layer, &mut take);
    }
    Ok(())
}

/// Sets a layer's tensors from `take(name)` (every name checked to be there).
fn load_layer(layer: &mut Layer, take: &mut dyn FnMut(&str) -> Vec<f32>) {
    match layer {
        Layer::Linear(l) => {
            let (d_in, d_out) = l.dims();
            let w = Tensor::<2>::from_data(
                TensorData::new(take("weight"), [d_out, d_in]),
                &crate::device::current(),
            );
            l.weight = replace(&l.weight, w.transpose());
            if let Some(b) = &l.bias {
                l.bias = Some(set(b, take("bias")));
            }
        }
        Layer::Conv2d(l) => {
            l.weight = set(&l.weight, take("weight"));
            if let Some(b) = &l.bias {
                l.bias = Some(set(b, take("bias")));
            }
        }
        Layer::ConvTranspose2d(l) => {
            l.weight = set(&l.weight, take("weight"));
            if let Some(b) = &l.bias {
                l.bias = Some(set(b, take("bias")));
            }
        }
        Layer::BatchNorm(b) => {
            b.weight = set(&b.weight, take("weight"));
            b.bias = set(&b.bias, take("bias"));
            b.running_mean = set(&b.running_mean, take("running_mean"));
            b.running_var = set(&b.running_var, take("running_var"));
        }
        Layer::LayerNorm(l) => {
            l.weight = set(&l.weight, take("weight"));
            l.bias = set(&l.bias, take("bias"));
        }
        Layer::Embedding(e) => e.weight = set(&e.weight, take("weight")),
        Layer::Stateless(_) => {}
        Layer::SpectralNorm(sn) => {
            let mut inner = sn.layer();
            load_layer(&mut inner, &mut |name| match name {
                "weight" => take(SN_WEIGHT),
                _ => take(name),
            });
            *sn = SpectralNorm {
                inner: match inner {
                    Layer::Linear(l) => Normed::Linear(l),
                    Layer::Conv2d(l) => Normed::Conv2d(l),
                    Layer::ConvTranspose2d(l) => Normed::ConvTranspose2d(l),
                    _ => unreachable!("spectral norm wraps only these"),
                },
                u: set(&sn.u, take(SN_U)),
                v: set(&sn.v, take(SN_V)),
            };
        }
    }
}

fn keys_near(dict: &StateDict, i: usize) -> String {
    let prefix = format!("{i}.");
    let near: Vec<&str> = dict
        .keys()
        .filter(|k| k.starts_with(&prefix))
        .map(|s| s.as_str())
        .collect();
    if near.is_empty() {
        let all: Vec<&str> = dict.keys().take(8).map(|s| s.as_str()).collect();
        format!("{} ...", all.join(", "))
    } else {
        near.join(", ")
    }
}

/// A parameter with new values of its own shape, keeping its id and trainable flag.
fn set<const D: usize>(p: &Param<Tensor<D>>, values: Vec<f32>) -> Param<Tensor<D>> {
    let shape = p.val().dims();
    let t = Tensor::<D>::from_data(TensorData::new(values, shape), &crate::device::current());
    replace(p, t)
}

fn replace<const D: usize>(p: &Param<Tensor<D>>, t: Tensor<D>) -> Param<Tensor<D>> {
    let rg = p.val().is_require_grad();
    Param::initialized(p.id, t.detach().set_require_grad(rg))
}

/// Writes the model as safetensors with PyTorch's names and layouts.
pub fn save(seq: &Sequential, path: &Path) -> Result<()> {
    use safetensors::{Dtype, tensor::TensorView};
    let mut owned: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
    for (i, layer) in seq.layers.iter().enumerate() {
        for (name, shape, values) in tensors_of(layer) {
            let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            owned.push((format!("{i}.{name}"), Dtype::F32, shape, bytes));
        }
        if let Layer::BatchNorm(_) = layer {
            owned.push((
                format!("{i}.num_batches_tracked"),
                Dtype::I64,
                vec![],
                0i64.to_le_bytes().to_vec(),
            ));
        }
    }
    let mut views = Vec::new();
    for (name, dtype, shape, bytes) in &owned {
        let v = TensorView::new(*dtype, shape.clone(), bytes)
            .map_err(|e| err!("cannot write {}: {e}", path.display()))?;
        views.push((name.clone(), v));
    }
    let bytes = safetensors::serialize(views, None)
        .map_err(|e| err!("cannot write {}: {e}", path.display()))?;
    crate::files::ensure_parent(path)?;
    crate::files::write_atomic(path, &bytes)
}
