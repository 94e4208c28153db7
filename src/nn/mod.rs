//! The neural-network core: layers, the Sequential model, initialisation, losses, optimizers.
//! Nothing here knows about Rhai; `script/` wraps it.

pub mod activation_cpu;
pub mod batch_norm_cpu;
pub mod conv;
pub mod conv_gemm;
pub mod conv_runs;
pub mod embedding;
pub mod flex_kernel;
pub mod gradient_penalty;
pub mod im2col;
pub mod im2row;
pub mod init;
pub mod layer;
pub mod linear;
pub mod loss;
pub mod matmul;
pub mod norm;
pub mod optim;
pub mod sequential;
pub mod stateless;
pub mod summary;
pub mod wanted_grads;

pub use layer::Layer;
pub use sequential::Sequential;

/// Whether layers behave as in training (batch statistics, dropout on) or evaluation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mode {
    pub training: bool,
}
