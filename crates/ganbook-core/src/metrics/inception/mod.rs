//! `inception(path)`: the Inception-v3 network pytorch-fid uses for FID (its "FID
//! Inception", TensorFlow's 2015-12-05 graph ported to PyTorch), implemented here and loaded
//! from pytorch-fid's weights file `pt_inception-2015-12-05-6726825d.pth`, which the user
//! supplies (ganbook downloads nothing).
//!
//! Features are pytorch-fid's: the 2048-d output of the final average pool ("pool3") of
//! images resized to 299x299 (see [`preprocess`] for why ganbook's [-1, 1] images give the
//! same numbers as pytorch-fid fed the same images in [0, 1]). Probabilities, for the
//! Inception Score, are the softmax of the 1008-way `fc` layer over pool3.
//!
//! Parity with pytorch-fid's network is tested on random weights exported from it
//! (tests/inception.rs, tests/fixtures/make_inception_fixtures.py).

pub mod basic_conv;
pub mod mixed;
pub mod preprocess;
pub mod random;
pub mod weights;

use crate::error::Result;
use crate::interop::torch;
use crate::metrics::features::FeatureNet;
use crate::tensor::DynTensor;
use crate::{bail, err};
use basic_conv::{BasicConv, ConvShape};
use burn::tensor::{Tensor, TensorData, activation};
use mixed::{Mixed, SamePool, block_a, block_b, block_c, block_d, block_e, max_pool_3x3_s2};
use std::path::Path;
use weights::{FID_WEIGHTS_URL, Source, StateDictSource};

/// Dimension of the pool3 features.
pub const FEATURES: usize = 2048;
/// Classes of the `fc` layer (TensorFlow's 1008 ImageNet outputs).
pub const CLASSES: usize = 1008;
/// Images run through the network at most this many at a time (pytorch-fid's default
/// batch), which bounds memory whatever batch the caller passes.
pub const CHUNK: usize = 50;

/// pytorch-fid's FID Inception-v3 up to pool3, plus its `fc` layer.
pub struct Inception {
    name: String,
    /// Conv2d_1a_3x3 .. Conv2d_4a_3x3, with max pools after the 3rd and 5th.
    stem: Vec<BasicConv>,
    /// Mixed_5b .. Mixed_7c.
    blocks: Vec<Mixed>,
    /// [2048, 1008] (PyTorch's [1008, 2048] transposed)
    fc_weight: Tensor<2>,
    /// [1, 1008]
    fc_bias: Tensor<2>,
}

impl Inception {
    /// Builds the network from the tensors of `src`, named as in pytorch-fid's state dict.
    pub fn build(src: &mut dyn Source, name: &str) -> Result<Inception> {
        let mut stem = Vec::new();
        for (conv, shape) in [
            ("Conv2d_1a_3x3", ConvShape::valid(3, 32, 3, 2)),
            ("Conv2d_2a_3x3", ConvShape::valid(32, 32, 3, 1)),
            ("Conv2d_2b_3x3", ConvShape::same(32, 64, [3, 3])),
            ("Conv2d_3b_1x1", ConvShape::valid(64, 80, 1, 1)),
            ("Conv2d_4a_3x3", ConvShape::valid(80, 192, 3, 1)),
        ] {
            stem.push(BasicConv::load(src, conv, shape)?);
        }
        let blocks = vec![
            block_a(src, "Mixed_5b", 192, 32)?,
            block_a(src, "Mixed_5c", 256, 64)?,
            block_a(src, "Mixed_5d", 288, 64)?,
            block_b(src, "Mixed_6a", 288)?,
            block_c(src, "Mixed_6b", 768, 128)?,
            block_c(src, "Mixed_6c", 768, 160)?,
            block_c(src, "Mixed_6d", 768, 160)?,
            block_c(src, "Mixed_6e", 768, 192)?,
            block_d(src, "Mixed_7a", 768)?,
            block_e(src, "Mixed_7b", 1280, SamePool::Avg)?,
            block_e(src, "Mixed_7c", 2048, SamePool::Max)?,
        ];
        let dev = crate::device::current();
        let w = src.take("fc.weight", &[CLASSES, FEATURES])?;
        let b = src.take("fc.bias", &[CLASSES])?;
        Ok(Inception {
            name: name.to_string(),
            stem,
            blocks,
            fc_weight: Tensor::<2>::from_data(TensorData::new(w, [CLASSES, FEATURES]), &dev)
                .transpose(),
            fc_bias: Tensor::from_data(TensorData::new(b, [1, CLASSES]), &dev),
        })
    }

    /// Loads pytorch-fid's weights file (.pth as torch.save wrote it, or .safetensors).
    pub fn load(path: &Path) -> Result<Inception> {
        let file = path.display().to_string();
        if !path.is_file() {
            bail!(
                "{file}: no such file. inception(path) needs pytorch-fid's weights file pt_inception-2015-12-05-6726825d.pth (95 MB; ganbook downloads nothing): {FID_WEIGHTS_URL}"
            );
        }
        let dict = torch::read(path)
            .map_err(|e| err!("{e} (is {file} a PyTorch state dict saved with torch.save?)"))?;
        let short = path
            .file_name()
            .map_or(file.clone(), |f| f.to_string_lossy().into());
        Inception::build(
            &mut StateDictSource::new(dict, &file),
            &format!("inception({short})"),
        )
    }

    /// The network's input [n, 3, 299, 299] -> pool3 features [n, 2048].
    fn pool3(&self, x: Tensor<4>) -> Tensor<2> {
        let mut x = x;
        for (i, conv) in self.stem.iter().enumerate() {
            x = conv.forward(x);
            if i == 2 || i == 4 {
                x = max_pool_3x3_s2(x); // [n, 64, 73, 73] and [n, 192, 35, 35]
            }
        }
        for block in &self.blocks {
            x = block.forward(x); // ... [n, 2048, 8, 8]
        }
        let [n, c, h, w] = x.dims();
        x.reshape([n, c, h * w]).mean_dim(2).reshape([n, c])
    }

    /// Images [n, 1 or 3, h, w] in [-1, 1] -> pool3 features [n, 2048], CHUNK at a time.
    fn run<const D: usize>(
        &self,
        images: DynTensor,
        what: &str,
        head: impl Fn(Tensor<2>) -> Tensor<D>,
    ) -> Result<DynTensor>
    where
        Tensor<D>: crate::tensor::Ranked,
    {
        preprocess::check_images(&images.shape(), what)?;
        let x = images.detach().ranked::<4>(what)?;
        let n = x.dims()[0];
        let outs: Vec<Tensor<D>> = (0..n)
            .step_by(CHUNK)
            .map(|s| {
                let chunk = x.clone().narrow(0, s, CHUNK.min(n - s));
                head(self.pool3(preprocess::preprocess(chunk)))
            })
            .collect();
        Ok(DynTensor::new(Tensor::cat(outs, 0)))
    }

    /// fc logits [n, 1008] of pool3 features [n, 2048].
    pub fn logits(&self, pool3: Tensor<2>) -> Tensor<2> {
        pool3.matmul(self.fc_weight.clone()) + self.fc_bias.clone()
    }

    /// fc logits [n, 1008] of images, as torchvision's Inception3 computes them (eval mode).
    pub fn image_logits(&self, images: DynTensor) -> Result<DynTensor> {
        self.run(images, "inception logits", |f| self.logits(f))
    }
}

impl FeatureNet for Inception {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn features(&self, images: DynTensor) -> Result<DynTensor> {
        self.run(images, &self.name, |f| f)
    }

    fn probabilities(&self, images: DynTensor) -> Result<Option<DynTensor>> {
        let p = self.run(images, &self.name, |f| {
            activation::softmax(self.logits(f), 1)
        })?;
        Ok(Some(p))
    }
}
