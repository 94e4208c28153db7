//! PyTorch state_dicts <-> a ganbook Sequential. A `torch.nn.Sequential` with the same layer
//! list names layer i's tensors `i.weight`, `i.bias`, `i.running_mean`, ... (parameter-less
//! layers take an index too, as here). Linear weights are transposed ([out, in] in PyTorch,
//! [in, out] here); convolutions share PyTorch's layout; `num_batches_tracked` is ignored on
//! load and written as 0 on save so that `load_state_dict` (strict) accepts the file.

use crate::error::Result;
use crate::nn::attention::PROJECTION_NAMES;
use crate::nn::spectral_norm::{Normed, SpectralNorm};
use crate::nn::{Layer, Sequential};
use crate::tensor::DynTensor;
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

/// (PyTorch name within the layer, shape, values in PyTorch's layout).
type Named = Vec<(String, Vec<usize>, Vec<f32>)>;

/// One tensor of a layer under its PyTorch name: the tensor as ganbook holds it (the
/// parameter's own value, so its gradient can be looked up), and PyTorch's shape of it.
#[derive(Clone)]
pub struct NamedTensor {
    pub name: String,
    pub tensor: DynTensor,
    /// PyTorch's layout is the transpose of ganbook's (a linear weight: [out, in] vs [in, out]).
    pub transposed: bool,
    pub torch_shape: Vec<usize>,
}

impl NamedTensor {
    fn new(name: &str, tensor: DynTensor) -> NamedTensor {
        NamedTensor {
            name: name.to_string(),
            torch_shape: tensor.shape(),
            tensor,
            transposed: false,
        }
    }

    /// The values in PyTorch's layout.
    pub fn torch_values(&self) -> Vec<f32> {
        match self.transposed {
            true => self
                .tensor
                .clone()
                .transpose(0, 1)
                .map(|t| t.to_vec())
                .unwrap_or_default(),
            false => self.tensor.to_vec(),
        }
    }
}

/// The PyTorch tensors of one layer, nested blocks' under their module names
/// (`body.0.weight`, `query.weight`).
fn tensors_of(layer: &Layer) -> Named {
    named_tensors(layer)
        .into_iter()
        .map(|t| (t.name.clone(), t.torch_shape.clone(), t.torch_values()))
        .collect()
}

/// Every tensor of a layer (parameters and buffers) by its name in PyTorch's state_dict.
pub fn named_tensors(layer: &Layer) -> Vec<NamedTensor> {
    let p1 = |name: &str, p: &Param<Tensor<1>>| NamedTensor::new(name, DynTensor::new(p.val()));
    let p2 = |name: &str, p: &Param<Tensor<2>>| NamedTensor::new(name, DynTensor::new(p.val()));
    match layer {
        Layer::Linear(l) => {
            let [d_in, d_out] = l.weight.val().dims();
            let mut v = vec![NamedTensor {
                transposed: true,
                torch_shape: vec![d_out, d_in],
                ..p2("weight", &l.weight)
            }];
            v.extend(l.bias.iter().map(|b| p1("bias", b)));
            v
        }
        Layer::Conv2d(l) => conv_tensors(&l.weight, &l.bias),
        Layer::ConvTranspose2d(l) => conv_tensors(&l.weight, &l.bias),
        Layer::BatchNorm(b) => vec![
            p1("weight", &b.weight),
            p1("bias", &b.bias),
            p1("running_mean", &b.running_mean),
            p1("running_var", &b.running_var),
        ],
        Layer::LayerNorm(l) => vec![
            NamedTensor {
                torch_shape: l.shape.clone(),
                ..p1("weight", &l.weight)
            },
            NamedTensor {
                torch_shape: l.shape.clone(),
                ..p1("bias", &l.bias)
            },
        ],
        Layer::Embedding(e) => vec![p2("weight", &e.weight)],
        Layer::Stateless(_) => vec![],
        // PyTorch's parametrization: the weight before normalising, and u and v
        Layer::SpectralNorm(sn) => {
            let mut v: Vec<NamedTensor> = named_tensors(&sn.layer())
                .into_iter()
                .map(|t| match t.name.as_str() {
                    "weight" => NamedTensor {
                        name: SN_WEIGHT.into(),
                        ..t
                    },
                    _ => t,
                })
                .collect();
            v.push(p1(SN_U, &sn.u));
            v.push(p1(SN_V, &sn.v));
            v
        }
        Layer::Residual(r) => [
            nested("body", &r.body.layers),
            nested("shortcut", &r.shortcut.layers),
        ]
        .concat(),
        Layer::SelfAttention(a) => {
            let mut v: Vec<NamedTensor> = PROJECTION_NAMES
                .iter()
                .zip(&a.projections)
                .flat_map(|(name, p)| prefixed(name, named_tensors(p)))
                .collect();
            v.push(p1("gamma", &a.gamma));
            v
        }
        Layer::ConditionalBatchNorm(b) => vec![
            p2("embed.weight", &b.embed),
            p1("bn.running_mean", &b.running_mean),
            p1("bn.running_var", &b.running_var),
        ],
        Layer::Projection(p) => {
            let mut v = prefixed("linear", named_tensors(&Layer::Linear(p.linear.clone())));
            v.push(p2("embed.weight", &p.embed.weight));
            v
        }
    }
}

/// `prefix.j.name` for the tensors of each layer j of a nested list.
fn nested(prefix: &str, layers: &[Layer]) -> Vec<NamedTensor> {
    layers
        .iter()
        .enumerate()
        .flat_map(|(j, l)| prefixed(&format!("{prefix}.{j}"), named_tensors(l)))
        .collect()
}

fn prefixed(prefix: &str, named: Vec<NamedTensor>) -> Vec<NamedTensor> {
    named
        .into_iter()
        .map(|t| NamedTensor {
            name: format!("{prefix}.{}", t.name),
            ..t
        })
        .collect()
}

/// The batch norms within a layer (PyTorch keeps a `num_batches_tracked` for each): their
/// name prefixes, "" for the layer itself.
fn batch_norms_of(layer: &Layer) -> Vec<String> {
    named_tensors(layer)
        .into_iter()
        .filter_map(|t| t.name.strip_suffix("running_mean").map(str::to_string))
        .collect()
}

/// The names `torch.nn.utils.parametrizations.spectral_norm` gives a wrapped layer's tensors.
const SN_WEIGHT: &str = "parametrizations.weight.original";
const SN_U: &str = "parametrizations.weight.0._u";
const SN_V: &str = "parametrizations.weight.0._v";

fn conv_tensors(w: &Param<Tensor<4>>, b: &Option<Param<Tensor<1>>>) -> Vec<NamedTensor> {
    let mut v = vec![NamedTensor::new("weight", DynTensor::new(w.val()))];
    v.extend(
        b.iter()
            .map(|b| NamedTensor::new("bias", DynTensor::new(b.val()))),
    );
    v
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
        Layer::Residual(r) => {
            load_nested(&mut r.body.layers, "body", take);
            load_nested(&mut r.shortcut.layers, "shortcut", take);
        }
        Layer::SelfAttention(a) => {
            for (name, p) in PROJECTION_NAMES.iter().zip(&mut a.projections) {
                load_layer(p, &mut |n| take(&format!("{name}.{n}")));
            }
            a.gamma = set(&a.gamma, take("gamma"));
        }
        Layer::ConditionalBatchNorm(b) => {
            b.embed = set(&b.embed, take("embed.weight"));
            b.running_mean = set(&b.running_mean, take("bn.running_mean"));
            b.running_var = set(&b.running_var, take("bn.running_var"));
        }
        Layer::Projection(p) => {
            let mut linear = Layer::Linear(p.linear.clone());
            load_layer(&mut linear, &mut |n| take(&format!("linear.{n}")));
            if let Layer::Linear(l) = linear {
                p.linear = l;
            }
            p.embed.weight = set(&p.embed.weight, take("embed.weight"));
        }
    }
}

/// Loads each layer j of a nested list from `prefix.j.name`.
fn load_nested(layers: &mut [Layer], prefix: &str, take: &mut dyn FnMut(&str) -> Vec<f32>) {
    for (j, l) in layers.iter_mut().enumerate() {
        load_layer(l, &mut |n| take(&format!("{prefix}.{j}.{n}")));
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
        for prefix in batch_norms_of(layer) {
            owned.push((
                format!("{i}.{prefix}num_batches_tracked"),
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
