//! ganbook's own CPU kernels: the convolutions as matrix products, batch norm and the
//! activations in one sweep each way, each with its hand-written backward step. A tensor
//! reaches them only through [`flex::flex_f32`] (float32 on the CPU device); on any other
//! device the layers use burn's operations. Kernels import nothing from the layers; the
//! convolution settings both share ([`conv_spec::ConvSpec`]) live here.

pub mod activation;
pub mod batch_norm;
pub mod conv_gemm;
pub mod conv_runs;
pub mod conv_spec;
pub mod flex;
pub mod im2col;
pub mod im2row;
pub mod matmul;
pub mod wanted_grads;
