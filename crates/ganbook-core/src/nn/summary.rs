//! `summary(model, input_shape)`: a table of each layer's output shape and parameter count,
//! which stops at the first layer whose input does not fit and says why.

use super::Layer;
use super::Sequential;
use super::residual::Residual;
use burn::module::Module;

/// Trainable parameters of a layer (batch-norm running statistics and spectral norm's u and
/// v are buffers, not counted).
pub fn trainable_params(layer: &Layer) -> usize {
    match layer {
        Layer::BatchNorm(b) => 2 * b.channels(),
        // u and v are buffers
        Layer::SpectralNorm(s) => s.layer().num_params(),
        Layer::ConditionalBatchNorm(b) => b.embed.num_params(),
        Layer::Residual(r) => r.body.trainable_params() + r.shortcut.trainable_params(),
        Layer::SelfAttention(a) => 1 + a.projections.iter().map(trainable_params).sum::<usize>(),
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
                match layer {
                    Layer::Residual(r) => {
                        rows.push([i.to_string(), r.heading(), show(&out), n.to_string()]);
                        rows.extend(block_rows(r, &shape, &show));
                    }
                    _ => rows.push([i.to_string(), layer.describe(), show(&out), n.to_string()]),
                }
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

/// A residual block's inner layers, one row each, with their shapes (`body.0`, `shortcut.0`).
fn block_rows(
    r: &Residual,
    input: &[usize],
    show: &dyn Fn(&[usize]) -> String,
) -> Vec<[String; 4]> {
    let mut rows = Vec::new();
    let first = match r.up {
        1 => input.to_vec(),
        k => [&input[..2], &[input[2] * k, input[3] * k]].concat(),
    };
    for (name, seq) in [("body", &r.body), ("shortcut", &r.shortcut)] {
        let mut shape = first.clone();
        for (j, layer) in seq.layers.iter().enumerate() {
            let Ok(out) = layer.output_shape(&shape) else {
                break;
            };
            rows.push([
                String::new(),
                format!("  {name}.{j}  {}", layer.describe()),
                show(&out),
                trainable_params(layer).to_string(),
            ]);
            shape = out;
        }
    }
    rows
}
