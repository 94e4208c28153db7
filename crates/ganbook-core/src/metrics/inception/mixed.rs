//! The `Mixed_*` blocks of Inception-v3 as pytorch-fid runs them: parallel branches whose
//! outputs are concatenated along the channels, in torchvision's order. The five kinds
//! (A, B, C, D, E) differ only in their branches, so one [`Mixed`] type describes them all.
//!
//! pytorch-fid's patches to torchvision (FIDInceptionA/C/E_1/E_2): the 3x3 average pool
//! before `branch_pool` leaves the zero padding out of the average (TensorFlow's
//! behaviour, `count_include_pad=False`), and the last block (E_2, `Mixed_7c`) uses a 3x3
//! max pool there instead.

use super::basic_conv::{BasicConv, ConvShape};
use super::weights::Source;
use crate::error::Result;
use burn::tensor::Tensor;
use burn::tensor::module::{avg_pool2d, max_pool2d};
use burn::tensor::ops::{AvgPoolOptions, MaxPoolOptions};

/// A 3x3 pooling that keeps the size (stride 1, padding 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SamePool {
    /// Average over the window's pixels inside the image only.
    Avg,
    Max,
}

impl SamePool {
    fn apply(self, x: Tensor<4>) -> Tensor<4> {
        match self {
            SamePool::Avg => avg_pool2d(
                x,
                AvgPoolOptions::new([3, 3])
                    .with_stride([1, 1])
                    .with_padding([1, 1])
                    .with_count_include_pad(false),
            ),
            SamePool::Max => max_pool2d(
                x,
                MaxPoolOptions::new([3, 3])
                    .with_stride([1, 1])
                    .with_padding([1, 1]),
            ),
        }
    }
}

/// 3x3 max pool with stride 2, no padding: [N, C, H, W] -> [N, C, (H-3)/2+1, (W-3)/2+1].
pub fn max_pool_3x3_s2(x: Tensor<4>) -> Tensor<4> {
    max_pool2d(x, MaxPoolOptions::new([3, 3]).with_stride([2, 2]))
}

/// One branch of a block.
#[derive(Clone, Debug)]
pub enum Branch {
    /// Convolutions one after another.
    Chain(Vec<BasicConv>),
    /// A size-keeping 3x3 pool, then a 1x1 convolution (`branch_pool`).
    Pooled(SamePool, Box<BasicConv>),
    /// A chain, then two convolutions side by side, concatenated (the E blocks' 1x3 / 3x1).
    Fork(Vec<BasicConv>, Box<[BasicConv; 2]>),
    /// 3x3 max pool with stride 2 (the B and D blocks, which shrink the image).
    MaxPoolS2,
}

fn chain(convs: &[BasicConv], x: Tensor<4>) -> Tensor<4> {
    convs.iter().fold(x, |x, c| c.forward(x))
}

impl Branch {
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Branch::Chain(convs) => chain(convs, x),
            Branch::Pooled(pool, conv) => conv.forward(pool.apply(x)),
            Branch::Fork(convs, pair) => {
                let [a, b] = &**pair;
                let y = chain(convs, x);
                Tensor::cat(vec![a.forward(y.clone()), b.forward(y)], 1)
            }
            Branch::MaxPoolS2 => max_pool_3x3_s2(x),
        }
    }
}

/// A block: its branches, concatenated along the channels in this order.
#[derive(Clone, Debug)]
pub struct Mixed {
    pub branches: Vec<Branch>,
}

impl Mixed {
    /// [N, C, H, W] -> [N, C', H', W']
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let outs = self.branches.iter().map(|b| b.forward(x.clone())).collect();
        Tensor::cat(outs, 1)
    }
}

/// Loads the convolutions of one block named `block` (`Mixed_5b`, ...).
struct Loader<'a> {
    src: &'a mut dyn Source,
    block: &'a str,
}

impl Loader<'_> {
    fn conv(&mut self, branch: &str, shape: ConvShape) -> Result<BasicConv> {
        BasicConv::load(self.src, &format!("{}.{branch}", self.block), shape)
    }

    /// A chain of size-keeping convolutions `name_1, name_2, ...` through these channels
    /// with these kernels.
    fn chain(
        &mut self,
        name: &str,
        channels: &[usize],
        kernels: &[[usize; 2]],
    ) -> Result<Vec<BasicConv>> {
        (0..kernels.len())
            .map(|i| {
                let shape = ConvShape::same(channels[i], channels[i + 1], kernels[i]);
                self.conv(&format!("{name}_{}", i + 1), shape)
            })
            .collect()
    }

    fn pooled(&mut self, pool: SamePool, c_in: usize, c_out: usize) -> Result<Branch> {
        let conv = self.conv("branch_pool", ConvShape::same(c_in, c_out, [1, 1]))?;
        Ok(Branch::Pooled(pool, Box::new(conv)))
    }
}

const K1: [usize; 2] = [1, 1];
const K3: [usize; 2] = [3, 3];
const K5: [usize; 2] = [5, 5];
const K1X7: [usize; 2] = [1, 7];
const K7X1: [usize; 2] = [7, 1];
const K1X3: [usize; 2] = [1, 3];
const K3X1: [usize; 2] = [3, 1];

/// FIDInceptionA (`Mixed_5b/c/d`): [N, c, 35, 35] -> [N, 224 + pool_features, 35, 35].
pub fn block_a(src: &mut dyn Source, block: &str, c: usize, pool_features: usize) -> Result<Mixed> {
    let mut l = Loader { src, block };
    let b1 = l.conv("branch1x1", ConvShape::same(c, 64, K1))?;
    let b5 = l.chain("branch5x5", &[c, 48, 64], &[K1, K5])?;
    let b3 = l.chain("branch3x3dbl", &[c, 64, 96, 96], &[K1, K3, K3])?;
    let bp = l.pooled(SamePool::Avg, c, pool_features)?;
    Ok(Mixed {
        branches: vec![
            Branch::Chain(vec![b1]),
            Branch::Chain(b5),
            Branch::Chain(b3),
            bp,
        ],
    })
}

/// InceptionB (`Mixed_6a`): [N, 288, 35, 35] -> [N, 768, 17, 17].
pub fn block_b(src: &mut dyn Source, block: &str, c: usize) -> Result<Mixed> {
    let mut l = Loader { src, block };
    let b3 = l.conv("branch3x3", ConvShape::valid(c, 384, 3, 2))?;
    let mut dbl = l.chain("branch3x3dbl", &[c, 64, 96], &[K1, K3])?;
    dbl.push(l.conv("branch3x3dbl_3", ConvShape::valid(96, 96, 3, 2))?);
    Ok(Mixed {
        branches: vec![
            Branch::Chain(vec![b3]),
            Branch::Chain(dbl),
            Branch::MaxPoolS2,
        ],
    })
}

/// FIDInceptionC (`Mixed_6b..e`): [N, 768, 17, 17] -> [N, 768, 17, 17].
pub fn block_c(src: &mut dyn Source, block: &str, c: usize, c7: usize) -> Result<Mixed> {
    let mut l = Loader { src, block };
    let b1 = l.conv("branch1x1", ConvShape::same(c, 192, K1))?;
    let b7 = l.chain("branch7x7", &[c, c7, c7, 192], &[K1, K1X7, K7X1])?;
    let dbl = l.chain(
        "branch7x7dbl",
        &[c, c7, c7, c7, c7, 192],
        &[K1, K7X1, K1X7, K7X1, K1X7],
    )?;
    let bp = l.pooled(SamePool::Avg, c, 192)?;
    Ok(Mixed {
        branches: vec![
            Branch::Chain(vec![b1]),
            Branch::Chain(b7),
            Branch::Chain(dbl),
            bp,
        ],
    })
}

/// InceptionD (`Mixed_7a`): [N, 768, 17, 17] -> [N, 1280, 8, 8].
pub fn block_d(src: &mut dyn Source, block: &str, c: usize) -> Result<Mixed> {
    let mut l = Loader { src, block };
    let mut b3 = l.chain("branch3x3", &[c, 192], &[K1])?;
    b3.push(l.conv("branch3x3_2", ConvShape::valid(192, 320, 3, 2))?);
    let mut b7 = l.chain("branch7x7x3", &[c, 192, 192, 192], &[K1, K1X7, K7X1])?;
    b7.push(l.conv("branch7x7x3_4", ConvShape::valid(192, 192, 3, 2))?);
    Ok(Mixed {
        branches: vec![Branch::Chain(b3), Branch::Chain(b7), Branch::MaxPoolS2],
    })
}

/// FIDInceptionE_1 (`Mixed_7b`, average pool) and E_2 (`Mixed_7c`, max pool):
/// [N, c, 8, 8] -> [N, 2048, 8, 8].
pub fn block_e(src: &mut dyn Source, block: &str, c: usize, pool: SamePool) -> Result<Mixed> {
    let mut l = Loader { src, block };
    let b1 = l.conv("branch1x1", ConvShape::same(c, 320, K1))?;
    let b3 = l.chain("branch3x3", &[c, 384], &[K1])?;
    let b3_split = [
        l.conv("branch3x3_2a", ConvShape::same(384, 384, K1X3))?,
        l.conv("branch3x3_2b", ConvShape::same(384, 384, K3X1))?,
    ];
    let dbl = l.chain("branch3x3dbl", &[c, 448, 384], &[K1, K3])?;
    let dbl_split = [
        l.conv("branch3x3dbl_3a", ConvShape::same(384, 384, K1X3))?,
        l.conv("branch3x3dbl_3b", ConvShape::same(384, 384, K3X1))?,
    ];
    let bp = l.pooled(pool, c, 192)?;
    Ok(Mixed {
        branches: vec![
            Branch::Chain(vec![b1]),
            Branch::Fork(b3, Box::new(b3_split)),
            Branch::Fork(dbl, Box::new(dbl_split)),
            bp,
        ],
    })
}
