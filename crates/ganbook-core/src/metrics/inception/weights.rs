//! Where the network's tensors come from: a [`Source`] hands out each tensor by its PyTorch
//! name (`Mixed_5b.branch1x1.conv.weight`, `fc.bias`, ...). A state dict read from
//! pytorch-fid's weights file is one source; `random::RandomSource` (tests, bench) another.

use crate::bail;
use crate::error::Result;
use crate::interop::torch::StateDict;

/// Where pytorch-fid downloads its weights from (ganbook never downloads: the user does).
pub const FID_WEIGHTS_URL: &str = "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth";

/// Hands out tensors by name.
pub trait Source {
    /// The row-major values of the tensor `name`, which must have `shape`.
    fn take(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>>;
    /// Where the tensors come from (a file name), for messages.
    fn origin(&self) -> &str;
}

/// The tensors of a state dict read from `origin` (a file name, for messages). Each tensor
/// is taken once; tensors the network does not use (`num_batches_tracked`, extra heads)
/// are ignored.
pub struct StateDictSource {
    dict: StateDict,
    origin: String,
    /// Whether any tensor was found yet: a first missing key means "not this network".
    found_any: bool,
}

impl StateDictSource {
    pub fn new(dict: StateDict, origin: &str) -> StateDictSource {
        StateDictSource {
            dict,
            origin: origin.to_string(),
            found_any: false,
        }
    }

    /// A few of the names the file has, for messages.
    fn some_keys(&self) -> String {
        let keys: Vec<&str> = self.dict.keys().take(6).map(|k| k.as_str()).collect();
        match (keys.is_empty(), self.dict.len() > keys.len()) {
            (true, _) => "no float tensors at all".to_string(),
            (false, true) => format!("{}, ... ({} tensors)", keys.join(", "), self.dict.len()),
            (false, false) => keys.join(", "),
        }
    }
}

impl Source for StateDictSource {
    fn origin(&self) -> &str {
        &self.origin
    }

    fn take(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let origin = &self.origin;
        match self.dict.remove(name) {
            None if !self.found_any => bail!(
                "{origin} is not a state dict of pytorch-fid's FID Inception-v3 (no tensor '{name}'; the file has: {}). Pass the weights file pytorch-fid uses, pt_inception-2015-12-05-6726825d.pth, from {FID_WEIGHTS_URL}",
                self.some_keys()
            ),
            None => bail!(
                "{origin}: no tensor '{name}' (shape {shape:?}); the state dict is incomplete for pytorch-fid's FID Inception-v3"
            ),
            Some((have, _)) if have != shape => bail!(
                "{origin}: tensor '{name}' has shape {have:?} but pytorch-fid's FID Inception-v3 needs {shape:?} (torchvision's ImageNet Inception-v3 is a different network: use pt_inception-2015-12-05-6726825d.pth)"
            ),
            Some((_, values)) => {
                if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
                    bail!("{origin}: tensor '{name}' holds a non-finite value ({bad})");
                }
                self.found_any = true;
                Ok(values)
            }
        }
    }
}
