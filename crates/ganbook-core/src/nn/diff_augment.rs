//! DiffAugment (Zhao et al., 2020, "Differentiable Augmentation for Data-Efficient GAN
//! Training"): the same random augmentation T is applied to every image the discriminator
//! sees, real and fake, in D's and G's steps alike, so D cannot overfit a small data set and
//! G is not taught to produce augmented images. T is differentiable in its input, so G's
//! gradient flows through it.
//!
//! The transforms are exactly those of the official DiffAugment-pytorch
//! (mit-han-lab/data-efficient-gans, DiffAugment_pytorch.py), each with one draw per sample:
//! - brightness: x + (b - 0.5), b in [0, 1)
//! - saturation: (x - mean_c x) * 2s + mean_c x, s in [0, 1) (mean over channels)
//! - contrast: (x - mean_chw x) * (c + 0.5) + mean_chw x, c in [0, 1) (mean over the sample)
//! - translation: a shift by (tx, ty) in [-sx, sx] x [-sy, sy] rows and columns with zero
//!   fill, s = int(size / 8 + 0.5): out[i, j] = x[i + tx, j + ty], 0 outside
//! - cutout: a (h/2 + 0.5) x (w/2 + 0.5) square (integer part) of zeros centred at the drawn
//!   offset, clipped at the edges
//!
//! The policy "color" is brightness, saturation, contrast in that order. The draws are made
//! on the host ([`draw`], from the session RNG) and kept apart from the arithmetic, so a test
//! can pass PyTorch's; the small index and mask tensors are built on the host from them and
//! uploaded to the current device.
//!
//! # Shapes
//! - x: [N, C, H, W] -> [N, C, H, W]; every [`Draws`] field has N entries

use crate::bail;
use crate::device;
use crate::error::Result;
use crate::tensor::DynTensor;
use burn::tensor::{Int, Tensor, TensorData};

/// The policy names [`parse_policy`] accepts.
pub const POLICIES: [&str; 3] = ["color", "translation", "cutout"];
/// The largest shift, as a fraction of the image side (the official `ratio=0.125`).
const TRANSLATION_RATIO: f64 = 0.125;
/// The cutout square's side, as a fraction of the image side (the official `ratio=0.5`).
const CUTOUT_RATIO: f64 = 0.5;

/// One augmentation; a policy is a sequence of them, applied in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transform {
    Brightness,
    Saturation,
    Contrast,
    Translation,
    Cutout,
}

/// The random draws of one augmentation of a batch of N: one entry per sample in each field.
#[derive(Clone, Debug, PartialEq)]
pub struct Draws {
    /// [N] in [0, 1)
    pub brightness: Vec<f32>,
    /// [N] in [0, 1)
    pub saturation: Vec<f32>,
    /// [N] in [0, 1)
    pub contrast: Vec<f32>,
    /// [N] (rows, columns) shifts in [-sx, sx] x [-sy, sy] ([`shift_range`])
    pub translate: Vec<(i64, i64)>,
    /// [N] (row, column) of the cutout's centre, in [0, H + 1 - ch % 2) x [0, W + 1 - cw % 2)
    /// for a cutout of ch x cw ([`cutout_size`])
    pub cutout: Vec<(i64, i64)>,
}

/// The official `int(size * ratio + 0.5)`.
fn fraction(size: usize, ratio: f64) -> i64 {
    (size as f64 * ratio + 0.5) as i64
}

/// The largest shift (sx, sy) of an H x W image: int(H / 8 + 0.5), int(W / 8 + 0.5).
pub fn shift_range(h: usize, w: usize) -> (i64, i64) {
    (
        fraction(h, TRANSLATION_RATIO),
        fraction(w, TRANSLATION_RATIO),
    )
}

/// The cutout's size (ch, cw) for an H x W image: int(H / 2 + 0.5), int(W / 2 + 0.5).
pub fn cutout_size(h: usize, w: usize) -> (i64, i64) {
    (fraction(h, CUTOUT_RATIO), fraction(w, CUTOUT_RATIO))
}

/// Draws an augmentation of N images of H x W from the session RNG, with the official ranges.
pub fn draw(n: usize, h: usize, w: usize) -> Draws {
    use rand::Rng as _;
    let (sx, sy) = shift_range(h, w);
    let (ch, cw) = cutout_size(h, w);
    // torch.randint(0, size + (1 - c % 2)): an even cutout may be centred one past the edge
    let (ox_end, oy_end) = (h as i64 + 1 - ch % 2, w as i64 + 1 - cw % 2);
    crate::rng::with(|r| {
        let mut unit = || (0..n).map(|_| r.random::<f32>()).collect::<Vec<_>>();
        let (brightness, saturation, contrast) = (unit(), unit(), unit());
        let translate = (0..n)
            .map(|_| (r.random_range(-sx..=sx), r.random_range(-sy..=sy)))
            .collect();
        let cutout = (0..n)
            .map(|_| (r.random_range(0..ox_end), r.random_range(0..oy_end)))
            .collect();
        Draws {
            brightness,
            saturation,
            contrast,
            translate,
            cutout,
        }
    })
}

/// A policy: a comma-separated subset of "color", "translation", "cutout" (spaces allowed),
/// e.g. "color,translation,cutout", as the transforms it applies in order.
pub fn parse_policy(text: &str) -> Result<Vec<Transform>> {
    let mut out = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for word in text.split(',').map(str::trim) {
        let transforms: &[Transform] = match word {
            "color" => &[
                Transform::Brightness,
                Transform::Saturation,
                Transform::Contrast,
            ],
            "translation" => &[Transform::Translation],
            "cutout" => &[Transform::Cutout],
            "" => bail!(
                "DiffAugment policy {text:?} has an empty name: list some of {} separated by commas",
                POLICIES.join(", ")
            ),
            other => bail!(
                "unknown DiffAugment policy '{other}' in {text:?}: choose from {}",
                POLICIES.join(", ")
            ),
        };
        // one draw per transform and sample: a repeat could not draw anew as the original does
        if seen.contains(&word) {
            bail!("DiffAugment policy {text:?} names '{word}' twice");
        }
        seen.push(word);
        out.extend_from_slice(transforms);
    }
    Ok(out)
}

/// Applies `policy` to x with `draws`, in order; differentiable in x.
pub fn diff_augment(x: DynTensor, policy: &[Transform], draws: &Draws) -> Result<DynTensor> {
    let x = x.ranked::<4>("diff_augment")?;
    check_draws(&x.dims(), draws)?;
    let y = policy.iter().fold(x, |x, t| match t {
        Transform::Brightness => brightness(x, &draws.brightness),
        Transform::Saturation => saturation(x, &draws.saturation),
        Transform::Contrast => contrast(x, &draws.contrast),
        Transform::Translation => translation(x, &draws.translate),
        Transform::Cutout => cutout(x, &draws.cutout),
    });
    Ok(DynTensor::new(y))
}

/// Every field of `draws` must have one entry per sample.
fn check_draws(shape: &[usize; 4], draws: &Draws) -> Result<()> {
    let n = shape[0];
    let lengths = [
        ("brightness", draws.brightness.len()),
        ("saturation", draws.saturation.len()),
        ("contrast", draws.contrast.len()),
        ("translate", draws.translate.len()),
        ("cutout", draws.cutout.len()),
    ];
    for (field, len) in lengths {
        if len != n {
            bail!(
                "diff_augment: x has shape {shape:?} (N = {n}) but draws.{field} has {len} entries"
            );
        }
    }
    Ok(())
}

/// One value per sample as [N, 1, 1, 1], on the current device.
fn per_sample(values: &[f32]) -> Tensor<4> {
    let n = values.len();
    Tensor::from_data(
        TensorData::new(values.to_vec(), [n, 1, 1, 1]),
        &device::current(),
    )
}

/// x + (b - 0.5)
fn brightness(x: Tensor<4>, b: &[f32]) -> Tensor<4> {
    x + per_sample(b).sub_scalar(0.5)
}

/// (x - mean) * 2s + mean, mean over channels [N, 1, H, W]
fn saturation(x: Tensor<4>, s: &[f32]) -> Tensor<4> {
    let mean = x.clone().mean_dim(1);
    (x - mean.clone()) * per_sample(s).mul_scalar(2.0) + mean
}

/// (x - mean) * (c + 0.5) + mean, mean over each sample [N, 1, 1, 1]
fn contrast(x: Tensor<4>, c: &[f32]) -> Tensor<4> {
    let [n, ch, h, w] = x.dims();
    let mean = x
        .clone()
        .reshape([n, ch * h * w])
        .mean_dim(1)
        .reshape([n, 1, 1, 1]);
    (x - mean.clone()) * per_sample(c).add_scalar(0.5) + mean
}

/// out[n, :, i, j] = x[n, :, i + tx, j + ty], or 0 where that is outside the image: a gather
/// of pixel rows from x laid out as [N * H * W, C] with one row of zeros appended.
fn translation(x: Tensor<4>, shifts: &[(i64, i64)]) -> Tensor<4> {
    let [n, c, h, w] = x.dims();
    let zero_row = n * h * w;
    // [N, C, H, W] -> [N, H, W, C] -> [N * H * W + 1, C]
    let pixels = Tensor::cat(
        vec![
            x.permute([0, 2, 3, 1]).reshape([zero_row, c]),
            Tensor::zeros([1, c], &device::current()),
        ],
        0,
    );
    let inside = |i: i64, size: usize| (0..size as i64).contains(&i).then_some(i as usize);
    let mut index = Vec::with_capacity(n * h * w);
    for (s, &(tx, ty)) in shifts.iter().enumerate() {
        for i in 0..h as i64 {
            for j in 0..w as i64 {
                index.push(match (inside(i + tx, h), inside(j + ty, w)) {
                    (Some(a), Some(b)) => ((s * h + a) * w + b) as i64,
                    _ => zero_row as i64,
                });
            }
        }
    }
    let index =
        Tensor::<1, Int>::from_data(TensorData::new(index, [n * h * w]), &device::current());
    // [N * H * W, C] -> [N, H, W, C] -> [N, C, H, W]
    pixels
        .select(0, index)
        .reshape([n, h, w, c])
        .permute([0, 3, 1, 2])
}

/// x times a mask [N, 1, H, W] that is 0 on each sample's cutout square: rows
/// ox - ch/2 .. ox - ch/2 + ch and columns likewise, clamped to the image as the official
/// index clamp does.
fn cutout(x: Tensor<4>, offsets: &[(i64, i64)]) -> Tensor<4> {
    let [n, _, h, w] = x.dims();
    let (ch, cw) = cutout_size(h, w);
    let clamp = |i: i64, size: usize| i.clamp(0, size as i64 - 1) as usize;
    let mut mask = vec![1.0f32; n * h * w];
    for (s, &(ox, oy)) in offsets.iter().enumerate() {
        for i in 0..ch {
            for j in 0..cw {
                let (a, b) = (clamp(ox + i - ch / 2, h), clamp(oy + j - cw / 2, w));
                mask[(s * h + a) * w + b] = 0.0;
            }
        }
    }
    let mask = Tensor::<4>::from_data(TensorData::new(mask, [n, 1, h, w]), &device::current());
    x * mask
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const ATOL: f32 = 1e-5;
    const RTOL: f32 = 1e-5;

    /// A fixture tensor {"shape": [...], "data": [...]} as (shape, values).
    fn fixture_tensor(v: &Value) -> (Vec<usize>, Vec<f32>) {
        let shape = v["shape"].as_array().expect("tensor shape");
        let data = v["data"].as_array().expect("tensor data");
        (
            shape.iter().map(|d| d.as_u64().unwrap() as usize).collect(),
            data.iter().map(|x| x.as_f64().unwrap() as f32).collect(),
        )
    }

    fn fixture_draws(v: &Value) -> Draws {
        let floats = |k: &str| -> Vec<f32> {
            let a = v[k].as_array().unwrap_or_else(|| panic!("draws.{k}"));
            a.iter().map(|x| x.as_f64().unwrap() as f32).collect()
        };
        let pairs = |k: &str| -> Vec<(i64, i64)> {
            let a = v[k].as_array().unwrap_or_else(|| panic!("draws.{k}"));
            a.iter()
                .map(|p| (p[0].as_i64().unwrap(), p[1].as_i64().unwrap()))
                .collect()
        };
        Draws {
            brightness: floats("brightness"),
            saturation: floats("saturation"),
            contrast: floats("contrast"),
            translate: pairs("translate"),
            cutout: pairs("cutout"),
        }
    }

    /// The mismatches of `got` against the fixture `want`, as one line (None when close).
    fn mismatch(what: &str, got: &DynTensor, want: &Value) -> Option<String> {
        let (shape, want) = fixture_tensor(want);
        if got.shape() != shape {
            return Some(format!(
                "{what}: shape {:?}, expected {shape:?}",
                got.shape()
            ));
        }
        let got = got.to_vec();
        let bad: Vec<usize> = (0..want.len())
            .filter(|&i| {
                let err = (got[i] - want[i]).abs();
                err.is_nan() || err > ATOL + RTOL * want[i].abs()
            })
            .collect();
        bad.first().map(|&i| {
            format!(
                "{what}: {}/{} values differ; first at {i}: got {}, expected {}",
                bad.len(),
                want.len(),
                got[i],
                want[i]
            )
        })
    }

    #[test]
    fn matches_the_official_pytorch_code() {
        let path = format!(
            "{}/../../tests/fixtures/diff_augment.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let doc: Value = serde_json::from_str(&text).unwrap();
        let cases = doc["cases"].as_object().unwrap();
        assert!(cases.len() >= 8, "{path}: only {} cases", cases.len());
        let mut failures = Vec::new();
        for (name, c) in cases {
            let policy = parse_policy(c["policy"].as_str().unwrap()).unwrap();
            let (shape, values) = fixture_tensor(&c["inputs"]["x"]);
            let x = DynTensor::from_vec(values, &shape).unwrap().require_grad();
            let out = diff_augment(x.clone(), &policy, &fixture_draws(&c["draws"])).unwrap();
            failures.extend(mismatch(&format!("{name} output"), &out, &c["out"]));

            let (r_shape, r) = fixture_tensor(&c["R"]);
            let r = DynTensor::from_vec(r, &r_shape).unwrap();
            let weighted = (out.ranked::<4>("out").unwrap() * r.ranked::<4>("R").unwrap()).sum();
            let grads = weighted.backward();
            let x = x.ranked::<4>("x").unwrap();
            match x.grad(&grads) {
                Some(g) => failures.extend(mismatch(
                    &format!("{name} grad x"),
                    &DynTensor::new(g),
                    &c["grads"]["x"],
                )),
                None => failures.push(format!("{name}: no gradient reached x")),
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn draws_cover_the_official_ranges_and_no_more() {
        // 13 x 12: shifts up to (2, 2), a 7 x 6 cutout centred in [0, 13) x [0, 13)
        let (n, h, w) = (4000, 13, 12);
        let d = draw(n, h, w);
        for v in [&d.brightness, &d.saturation, &d.contrast] {
            assert_eq!(v.len(), n);
            assert!(v.iter().all(|x| (0.0..1.0).contains(x)));
            assert!(v.iter().any(|&x| x < 0.1) && v.iter().any(|&x| x > 0.9));
        }
        let values = |pairs: &[(i64, i64)], first: bool| {
            let mut v: Vec<i64> = pairs
                .iter()
                .map(|p| if first { p.0 } else { p.1 })
                .collect();
            v.sort();
            v.dedup();
            v
        };
        assert_eq!(values(&d.translate, true), (-2..=2).collect::<Vec<_>>());
        assert_eq!(values(&d.translate, false), (-2..=2).collect::<Vec<_>>());
        assert_eq!(values(&d.cutout, true), (0..13).collect::<Vec<_>>());
        assert_eq!(values(&d.cutout, false), (0..13).collect::<Vec<_>>());
        // 8 x 8: shifts up to 1, an even 4 x 4 cutout centred in [0, 9); 6 x 5: 3 x 3, [0, 6) x [0, 5)
        let d = draw(2000, 8, 8);
        assert_eq!(values(&d.translate, true), vec![-1, 0, 1]);
        assert_eq!(values(&d.cutout, false), (0..9).collect::<Vec<_>>());
        let d = draw(2000, 6, 5);
        assert_eq!(values(&d.cutout, true), (0..6).collect::<Vec<_>>());
        assert_eq!(values(&d.cutout, false), (0..5).collect::<Vec<_>>());
    }

    #[test]
    fn parses_policies() {
        use Transform::*;
        assert_eq!(
            parse_policy("color, translation,cutout ").unwrap(),
            vec![Brightness, Saturation, Contrast, Translation, Cutout]
        );
        assert_eq!(
            parse_policy("cutout,color").unwrap(),
            vec![Cutout, Brightness, Saturation, Contrast]
        );
        let e = parse_policy("color,colour").unwrap_err().to_string();
        assert!(e.contains("'colour'"), "{e}");
        assert!(e.contains("color, translation, cutout"), "{e}");
        for bad in ["", " ", "color,", "color,,cutout"] {
            let e = parse_policy(bad).unwrap_err().to_string();
            assert!(e.contains("color, translation, cutout"), "{bad:?}: {e}");
        }
        assert!(parse_policy("color,color").is_err());
    }

    #[test]
    fn refuses_a_wrong_rank_or_draws_for_another_batch() {
        let x = DynTensor::full(&[2, 3, 4, 4], 1.0).unwrap();
        let policy = parse_policy("color").unwrap();
        let e = diff_augment(x.clone(), &policy, &draw(3, 4, 4)).unwrap_err();
        assert!(
            e.0.contains("[2, 3, 4, 4]") && e.0.contains("3 entries"),
            "{e}"
        );
        let flat = DynTensor::full(&[2, 48], 1.0).unwrap();
        let e = diff_augment(flat, &policy, &draw(2, 4, 4)).unwrap_err();
        assert!(e.0.contains("rank 4") && e.0.contains("[2, 48]"), "{e}");
    }
}
