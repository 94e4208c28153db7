//! Layer constructors: `linear(2, 128)`, `conv2d(3, 64, 4, #{stride: 2, padding: 1})`, ...
//! A layer on its own is inert; `sequential([...])` puts layers into a model.

use super::convert::{Options, call, count, ints, num};
use super::def;
use crate::error::Result;
use crate::nn::Layer;
use crate::nn::conv::{Conv2d, ConvSpec, ConvTranspose2d};
use crate::nn::embedding::Embedding;
use crate::nn::linear::Linear;
use crate::nn::norm::{BatchNorm, LayerNorm};
use crate::nn::spectral_norm::SpectralNorm;
use crate::nn::stateless::{Op, Stateless};
use rhai::{Array, Dynamic, Engine, FLOAT, INT, Map};

pub fn register(e: &mut Engine) {
    e.register_type_with_name::<Layer>("Layer");
    def(
        e,
        "to_string",
        "to_string(layer) -> string\nThe layer as it was made.",
        |l: &mut Layer| l.describe(),
    );
    def(
        e,
        "to_debug",
        "to_debug(layer) -> string\nThe layer as it was made.",
        |l: &mut Layer| l.describe(),
    );

    def(
        e,
        "linear",
        "linear(in, out) -> Layer\nFully connected: [N, in] -> [N, out].",
        |i: INT, o: INT| call("linear", || linear(i, o, &Map::new())),
    );
    def(
        e,
        "linear",
        "linear(in, out, #{bias, sn}) -> Layer\nFully connected; bias: false drops the bias; sn: true wraps it in spectral_norm.",
        |i: INT, o: INT, m: Map| call("linear", || linear(i, o, &m)),
    );
    def(
        e,
        "conv2d",
        "conv2d(in, out, kernel) -> Layer\n2-D convolution, stride 1, no padding: [N, in, H, W] -> [N, out, H', W'].",
        |i: INT, o: INT, k: INT| call("conv2d", || conv(i, o, k, &Map::new(), false)),
    );
    def(
        e,
        "conv2d",
        "conv2d(in, out, kernel, #{stride, padding, dilation, bias, sn}) -> Layer\n2-D convolution; H' = (H + 2 padding - dilation (kernel - 1) - 1) / stride + 1; sn: true wraps it in spectral_norm.",
        |i: INT, o: INT, k: INT, m: Map| call("conv2d", || conv(i, o, k, &m, false)),
    );
    def(
        e,
        "conv_transpose2d",
        "conv_transpose2d(in, out, kernel) -> Layer\nTransposed 2-D convolution, stride 1.",
        |i: INT, o: INT, k: INT| call("conv_transpose2d", || conv(i, o, k, &Map::new(), true)),
    );
    def(
        e,
        "conv_transpose2d",
        "conv_transpose2d(in, out, kernel, #{stride, padding, output_padding, dilation, bias, sn}) -> Layer\nTransposed 2-D convolution; H' = (H - 1) stride - 2 padding + dilation (kernel - 1) + output_padding + 1; sn: true wraps it in spectral_norm.",
        |i: INT, o: INT, k: INT, m: Map| call("conv_transpose2d", || conv(i, o, k, &m, true)),
    );
    def(
        e,
        "spectral_norm",
        "spectral_norm(layer) -> Layer\nSpectral normalisation (SNGAN, Miyato et al. 2018) of a linear, conv2d or conv_transpose2d layer: its weight divided by sigma = u^T W v, an estimate of its largest singular value, refined by one power iteration per training forward, exactly as torch.nn.utils.parametrizations.spectral_norm (u and v are kept as buffers; saved and loaded with PyTorch's names). Makes a discriminator about 1-Lipschitz: spectral_norm(conv2d(3, 64, 3, #{ padding: 1 })).",
        |layer: Layer| {
            call("spectral_norm", || {
                Ok(Layer::SpectralNorm(SpectralNorm::new(layer)?))
            })
        },
    );
    def(
        e,
        "batch_norm",
        "batch_norm(channels) -> Layer\nBatch normalisation of [N, C] or [N, C, H, W] (BatchNorm1d/2d), momentum 0.1, eps 1e-5.",
        |c: INT| {
            call("batch_norm", || {
                let c = positive(c, "channels")?;
                params_fit(&[c, 4])?;
                Ok(Layer::BatchNorm(BatchNorm::new(c)))
            })
        },
    );
    def(
        e,
        "layer_norm",
        "layer_norm(shape) -> Layer\nNormalises over the trailing dims given by shape (an int or an array), eps 1e-5.",
        |s: Dynamic| {
            call("layer_norm", || {
                let dims = match s.clone().try_cast::<Array>() {
                    Some(a) => super::convert::shape(&a, "layer_norm")?,
                    None => vec![count(&s, "layer_norm size")?],
                };
                params_fit(&[
                    dims.iter()
                        .try_fold(1usize, |a, &d| a.checked_mul(d))
                        .unwrap_or(usize::MAX),
                    2,
                ])?;
                Ok(Layer::LayerNorm(LayerNorm::new(dims)?))
            })
        },
    );
    def(
        e,
        "embedding",
        "embedding(n, dim) -> Layer\nA learned vector for each of n classes: [N] indices -> [N, dim].",
        |n: INT, d: INT| {
            call("embedding", || {
                let (n, d) = (positive(n, "n")?, positive(d, "dim")?);
                params_fit(&[n, d])?;
                Ok(Layer::Embedding(Embedding::new(n, d)))
            })
        },
    );
    stateless(e);
}

fn stateless(e: &mut Engine) {
    let make = |op: Op| call("layer", || Ok(Layer::Stateless(Stateless::new(op)?)));
    def(e, "relu", "relu() -> Layer\nmax(x, 0).", move || {
        make(Op::Relu)
    });
    def(
        e,
        "gelu",
        "gelu() -> Layer\nGaussian error linear unit.",
        move || make(Op::Gelu),
    );
    def(
        e,
        "tanh",
        "tanh() -> Layer\nHyperbolic tangent: outputs in (-1, 1).",
        move || make(Op::Tanh),
    );
    def(
        e,
        "sigmoid",
        "sigmoid() -> Layer\nLogistic function: outputs in (0, 1).",
        move || make(Op::Sigmoid),
    );
    def(
        e,
        "leaky_relu",
        "leaky_relu() -> Layer\nLeakyReLU with slope 0.01 (PyTorch's default).",
        move || make(Op::LeakyRelu(0.01)),
    );
    def(
        e,
        "leaky_relu",
        "leaky_relu(slope) -> Layer\nLeakyReLU; DCGAN uses 0.2.",
        move |a: FLOAT| make(Op::LeakyRelu(a)),
    );
    def(
        e,
        "flatten",
        "flatten() -> Layer\n[N, ...] -> [N, prod(...)].",
        move || make(Op::Flatten),
    );
    def(
        e,
        "reshape",
        "reshape(shape) -> Layer\nViews each sample as shape, keeping the batch dim: reshape([256, 4, 4]).",
        move |s: Array| {
            call("reshape", || {
                Ok(Layer::Stateless(Stateless::new(Op::Reshape(ints(
                    &s, "reshape",
                )?))?))
            })
        },
    );
    def(
        e,
        "upsample",
        "upsample(scale) -> Layer\nNearest-neighbour upsampling of [N, C, H, W] by a whole factor.",
        move |k: INT| {
            call("upsample", || {
                Ok(Layer::Stateless(Stateless::new(Op::Upsample(positive(
                    k, "scale",
                )?))?))
            })
        },
    );
    def(
        e,
        "avg_pool2d",
        "avg_pool2d(k) -> Layer\nAverage pooling of [N, C, H, W] over k x k windows, stride k: [N, C, H/k, W/k] (the downsampling of SNGAN's discriminator blocks).",
        move |k: INT| {
            call("avg_pool2d", || {
                Ok(Layer::Stateless(Stateless::new(Op::AvgPool(positive(
                    k, "kernel",
                )?))?))
            })
        },
    );
    def(
        e,
        "global_sum_pool",
        "global_sum_pool() -> Layer\nSum over the spatial positions: [N, C, H, W] -> [N, C] (SNGAN's discriminator, before its last linear).",
        move || make(Op::GlobalSumPool),
    );
    def(
        e,
        "dropout",
        "dropout(p) -> Layer\nZeroes values with probability p while training (scaling the rest by 1/(1-p)); off in eval mode.",
        move |p: Dynamic| {
            call("dropout", || {
                Ok(Layer::Stateless(Stateless::new(Op::Dropout(num(
                    &p, "p",
                )?))?))
            })
        },
    );
}

/// Refuses a layer whose parameters (of this shape) would pass the tensor memory limit,
/// before anything is allocated.
pub fn params_fit(shape: &[usize]) -> Result<()> {
    crate::memory_limit::check(shape).map_err(|e| crate::err!("its parameters: {e}"))
}

pub fn positive(v: INT, what: &str) -> Result<usize> {
    if v < 1 {
        return Err(crate::err!("{what} must be at least 1, got {v}"));
    }
    Ok(v as usize)
}

fn linear(i: INT, o: INT, m: &Map) -> Result<Layer> {
    let opts = Options::new(m, "linear", &["bias", "sn"])?;
    let (i, o) = (positive(i, "in")?, positive(o, "out")?);
    params_fit(&[i, o])?;
    normed(
        Layer::Linear(Linear::new(i, o, opts.bool("bias", true)?)),
        opts.bool("sn", false)?,
    )
}

fn conv(i: INT, o: INT, k: INT, m: &Map, transposed: bool) -> Result<Layer> {
    let known: &[&str] = if transposed {
        &[
            "stride",
            "padding",
            "output_padding",
            "dilation",
            "bias",
            "sn",
        ]
    } else {
        &["stride", "padding", "dilation", "bias", "sn"]
    };
    let what = if transposed {
        "conv_transpose2d"
    } else {
        "conv2d"
    };
    let opts = Options::new(m, what, known)?;
    let spec = ConvSpec {
        kernel: positive(k, "kernel")?,
        stride: opts.usize("stride", 1)?,
        padding: opts.usize("padding", 0)?,
        dilation: opts.usize("dilation", 1)?,
        output_padding: opts.usize("output_padding", 0)?,
        bias: opts.bool("bias", true)?,
    };
    let (i, o) = (positive(i, "in channels")?, positive(o, "out channels")?);
    params_fit(&[o, i, spec.kernel, spec.kernel])?;
    let layer = if transposed {
        Layer::ConvTranspose2d(ConvTranspose2d::new(i, o, spec)?)
    } else {
        Layer::Conv2d(Conv2d::new(i, o, spec)?)
    };
    normed(layer, opts.bool("sn", false)?)
}

/// The layer, wrapped in spectral norm when `sn` (the `#{ sn: true }` option).
pub fn normed(layer: Layer, sn: bool) -> Result<Layer> {
    Ok(match sn {
        true => Layer::SpectralNorm(SpectralNorm::new(layer)?),
        false => layer,
    })
}
