//! `summary(model, input_shape)`: a table of each layer's output shape and parameter count,
//! which stops at the first layer whose input does not fit and says why.

use super::Layer;
use super::Sequential;
use burn::module::Module;

/// Trainable parameters of a layer (batch-norm running statistics and spectral norm's u and
/// v are buffers, not counted).
pub fn trainable_params(layer: &Layer) -> usize {
    match layer {
        Layer::BatchNorm(b) => 2 * b.channels(),
        // u and v are buffers
        Layer::SpectralNorm(s) => s.layer().num_params(),
        other => other.num_params(),
    }
}

/// The table for one sample of `input` (no batch dim); shapes are shown with a batch of N.
pub fn summary(model: &Sequential, input: &[usize]) -> String {
    let mut rows = vec![[
        "#".to_string(),
        "layer".into(),
        "output shape".into(),
        "params".into(),
    ]];
    let mut shape: Vec<usize> = [&[1], input].concat();
    let show = |s: &[usize]| {
        let mut parts = vec!["N".to_string()];
        parts.extend(s[1..].iter().map(|d| d.to_string()));
        format!("[{}]", parts.join(", "))
    };
    rows.push(["".into(), "input".into(), show(&shape), "".into()]);
    let mut total = 0;
    let mut failure = None;
    for (i, layer) in model.layers.iter().enumerate() {
        match layer.output_shape(&shape) {
            Ok(out) => {
                let n = trainable_params(layer);
                total += n;
                rows.push([i.to_string(), layer.describe(), show(&out), n.to_string()]);
                shape = out;
            }
            Err(e) => {
                rows.push([
                    i.to_string(),
                    layer.describe(),
                    "does not fit".into(),
                    "".into(),
                ]);
                failure = Some(format!("layer {i} ({}): {e}", layer.describe()));
                break;
            }
        }
    }
    let widths: Vec<usize> = (0..4)
        .map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for (k, r) in rows.iter().enumerate() {
        out += &format!(
            "{:>w0$}  {:<w1$}  {:<w2$}  {:>w3$}\n",
            r[0],
            r[1],
            r[2],
            r[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        );
        if k == 0 {
            out += &format!("{}\n", "-".repeat(widths.iter().sum::<usize>() + 6));
        }
    }
    match failure {
        Some(f) => out += &format!("shape error at {f}\n"),
        None => out += &format!("total trainable parameters: {total}\n"),
    }
    out
}
