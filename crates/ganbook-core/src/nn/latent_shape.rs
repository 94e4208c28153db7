//! The latent shape a generator takes, read from its layers, so `fid(G, data)` can sample it.

use crate::bail;
use crate::error::Result;
use crate::nn::Layer;
use crate::nn::stateless::Op;

/// The input shape (without the batch dim) the first layer with parameters wants:
/// linear(d, ..) takes [d], conv_transpose2d(c, ..) takes [c, 1, 1] (a DCGAN latent).
fn wanted_by(layer: &Layer) -> Option<Vec<usize>> {
    match layer {
        Layer::Linear(l) => Some(vec![l.dims().0]),
        Layer::ConvTranspose2d(l) => Some(vec![l.channels().0, 1, 1]),
        Layer::SpectralNorm(s) => wanted_by(&s.layer()),
        _ => None,
    }
}

/// Layers a latent can pass through before the first linear / conv_transpose2d:
/// shape-only ones (reshape, flatten) and element-wise ones (activations, dropout).
fn passes_through(layer: &Layer) -> bool {
    match layer {
        Layer::Stateless(s) => !matches!(s.op, Op::Upsample(_)),
        _ => false,
    }
}

/// The shape of one latent vector for a generator made of `layers`: the input of its first
/// linear or conv_transpose2d layer, fed through the reshape/flatten/element-wise layers
/// before it. Flat latents [d] are tried first (standard-normal latents have no layout; d from
/// a reshape to a fixed shape, or the first layer's size), then the first layer's own shape;
/// each is checked by following the shapes through those layers.
pub fn latent_shape(layers: &[Layer]) -> Result<Vec<usize>> {
    let lead = layers.iter().take_while(|l| passes_through(l)).count();
    let Some(first) = layers.get(lead) else {
        bail!(
            "cannot tell the latent size of a model without a linear or conv_transpose2d layer; pass G.sample(randn([n, ...])) instead"
        )
    };
    let Some(wanted) = wanted_by(first) else {
        let skipped = if lead == 0 {
            String::new()
        } else {
            " after its reshape/flatten/activation layers".to_string()
        };
        bail!(
            "cannot tell the latent size of a model whose first layer{skipped} is {} (not linear or conv_transpose2d); pass G.sample(randn([n, ...])) instead",
            first.describe()
        )
    };
    // Sizes a latent may have: a reshape to a fixed shape fixes it, else the first layer's.
    let mut sizes: Vec<usize> = layers[..lead]
        .iter()
        .filter_map(|l| match l {
            Layer::Stateless(s) => match &s.op {
                Op::Reshape(spec) if spec.iter().all(|&d| d >= 0) => {
                    Some(spec.iter().map(|&d| d as usize).product())
                }
                _ => None,
            },
            _ => None,
        })
        .collect();
    sizes.push(wanted.iter().product());
    let candidates = sizes.into_iter().map(|n| vec![n]).chain([wanted]);
    let fits = |latent: &Vec<usize>| {
        let mut shape = [vec![1], latent.clone()].concat();
        for layer in &layers[..=lead] {
            match layer.output_shape(&shape) {
                Ok(s) => shape = s,
                Err(_) => return false,
            }
        }
        true
    };
    match candidates.into_iter().find(fits) {
        Some(latent) => Ok(latent),
        None => {
            let chain: Vec<String> = layers[..=lead].iter().map(Layer::describe).collect();
            bail!(
                "cannot tell the latent size of a model starting {}: no flat latent leads to the shape {} expects; pass G.sample(randn([n, ...])) instead",
                chain.join(", "),
                first.describe()
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::conv::{ConvSpec, ConvTranspose2d};
    use crate::nn::linear::Linear;
    use crate::nn::stateless::Stateless;

    fn reshape(s: &[i64]) -> Layer {
        Layer::Stateless(Stateless::new(Op::Reshape(s.to_vec())).unwrap())
    }

    fn flatten() -> Layer {
        Layer::Stateless(Stateless::new(Op::Flatten).unwrap())
    }

    fn linear(i: usize, o: usize) -> Layer {
        Layer::Linear(Linear::new(i, o, true))
    }

    fn convt(i: usize, o: usize) -> Layer {
        Layer::ConvTranspose2d(ConvTranspose2d::new(i, o, ConvSpec::new(4)).unwrap())
    }

    #[test]
    fn reads_the_first_layer_with_parameters() {
        assert_eq!(latent_shape(&[linear(100, 8)]).unwrap(), vec![100]);
        assert_eq!(latent_shape(&[convt(100, 8)]).unwrap(), vec![100, 1, 1]);
        // z [N, 100] viewed as [N, 100, 1, 1]; z [N, 100, 1, 1] flattened for a linear.
        let g = [reshape(&[100, 1, 1]), convt(100, 8)];
        assert_eq!(latent_shape(&g).unwrap(), vec![100]);
        let g = [reshape(&[-1, 1, 1]), convt(100, 8)];
        assert_eq!(latent_shape(&g).unwrap(), vec![100]);
        assert_eq!(latent_shape(&[flatten(), linear(64, 8)]).unwrap(), vec![64]);
        // A reshape to a spatial seed: the latent is the seed's size, flat.
        let g = [reshape(&[25, 2, 2]), convt(25, 8)];
        assert_eq!(latent_shape(&g).unwrap(), vec![100]);
    }

    #[test]
    fn says_why_it_cannot_tell() {
        let e = latent_shape(&[reshape(&[50, 1, 1]), convt(100, 8)]).unwrap_err();
        assert!(e.to_string().contains("reshape([50, 1, 1])"), "{e}");
        let e = latent_shape(&[flatten()]).unwrap_err();
        assert!(e.to_string().contains("without a linear"), "{e}");
    }
}
