//! The neural-network core: layers, the Sequential model, initialisation, losses, optimizers.
//! The files here are the layers and what trains them; `kernels/` holds ganbook's own CPU
//! kernels under them (layers call kernels, never the other way round).

pub mod attention;
pub mod conditional_norm;
pub mod conv;
pub mod diff_augment;
pub mod ema;
pub mod embedding;
pub mod gradient_penalty;
pub mod init;
pub mod input_gradient;
pub mod kernels;
pub mod latent_shape;
pub mod layer;
pub mod linear;
pub mod loss;
pub mod model;
pub mod norm;
pub mod optim;
pub mod projection;
pub mod r1;
pub mod residual;
pub mod sequential;
pub mod spectral_norm;
pub mod stateless;
pub mod summary;

pub use layer::Layer;
pub use sequential::Sequential;

/// Whether layers behave as in training (batch statistics, dropout on) or evaluation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Mode {
    pub training: bool,
}
