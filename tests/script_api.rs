//! The script API, evaluated in-process: values, shape errors, models and optimizers.

use ganbook::nn::summary::summary;
use ganbook::script::bare_engine;
use ganbook::script::errors::format_eval_error;
use ganbook::script::model_fns::Model;
use ganbook::tensor::DynTensor;
use rhai::{Dynamic, Engine};

fn engine() -> Engine {
    bare_engine().0
}

fn eval<T: Clone + Send + Sync + 'static>(src: &str) -> T {
    match engine().eval::<T>(src) {
        Ok(v) => v,
        Err(e) => panic!("script failed: {}", format_eval_error("test", &e).0),
    }
}

/// The error a script ends with, formatted as the CLI prints it.
fn error_of(src: &str) -> String {
    match engine().eval::<Dynamic>(src) {
        Ok(v) => panic!("expected an error, got {v}"),
        Err(e) => format_eval_error("test.rhai", &e).0,
    }
}

fn values(t: &DynTensor) -> Vec<f32> {
    t.to_vec()
}

#[test]
fn arithmetic_broadcasts_like_pytorch() {
    let t: DynTensor = eval("tensor([[1.0], [2.0]]) + tensor([10, 20, 30])");
    assert_eq!(t.shape(), vec![2, 3]);
    assert_eq!(values(&t), vec![11.0, 21.0, 31.0, 12.0, 22.0, 32.0]);
    let t: DynTensor = eval("2.0 - tensor([1.0, 4.0]) * 3");
    assert_eq!(values(&t), vec![-1.0, -10.0]);
    let t: DynTensor = eval("1 / tensor([2.0, 4.0]) + -tensor([1.0, 1.0])");
    assert_eq!(values(&t), vec![-0.5, -0.75]);
}

#[test]
fn broadcast_mismatch_names_op_and_shapes() {
    let e = error_of("let a = zeros([2, 3]);\nlet b = zeros([4, 3]);\nlet c = a + b;");
    assert!(
        e.contains("[2, 3]") && e.contains("[4, 3]") && e.contains("'+'"),
        "{e}"
    );
    assert!(
        e.contains("test.rhai:3:"),
        "line of the failing expression missing: {e}"
    );
}

#[test]
fn reductions_follow_pytorch_dims() {
    let t: DynTensor = eval("tensor([[1.0, 5.0], [3.0, 2.0]]).sum(0)");
    assert_eq!((t.shape(), values(&t)), (vec![2], vec![4.0, 7.0]));
    let t: DynTensor = eval("tensor([[1.0, 5.0], [3.0, 2.0]]).max(1)");
    assert_eq!(values(&t), vec![5.0, 3.0]);
    let t: DynTensor = eval("tensor([[1.0, 5.0], [3.0, 2.0]]).argmax(-1)");
    assert_eq!(values(&t), vec![1.0, 0.0]);
    let m: f64 = eval("tensor([[1.0, 5.0], [3.0, 3.0]]).mean().item()");
    assert_eq!(m, 3.0);
}

#[test]
fn shape_functions() {
    let s: rhai::Array = eval("randn([2, 3, 4]).permute([2, 0, 1]).reshape([4, -1]).shape()");
    assert_eq!(
        s.iter().map(|d| d.as_int().unwrap()).collect::<Vec<_>>(),
        vec![4, 6]
    );
    let t: DynTensor = eval("cat([ones([1, 2]), zeros([2, 2])], 0)");
    assert_eq!(values(&t), vec![1.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
    let t: DynTensor = eval("stack([tensor([1.0, 2.0]), tensor([3.0, 4.0])], 1)");
    assert_eq!(
        (t.shape(), values(&t)),
        (vec![2, 2], vec![1.0, 3.0, 2.0, 4.0])
    );
    let t: DynTensor = eval("arange(6).reshape([2, 3]).slice(1, 1, 3)");
    assert_eq!(values(&t), vec![1.0, 2.0, 4.0, 5.0]);
    let t: DynTensor = eval("tensor([[1.0, 2.0]]).repeat([2, 2])");
    assert_eq!(values(&t), vec![1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 2.0]);
    let t: DynTensor = eval("tensor([[1.0, 2.0], [3.0, 4.0]]).matmul(tensor([[1.0], [1.0]]))");
    assert_eq!(values(&t), vec![3.0, 7.0]);
    let e = error_of("randn([2, 3]).matmul(randn([4, 5]))");
    assert!(e.contains("[2, 3]") && e.contains("[4, 5]"), "{e}");
    let e = error_of("randn([2, 3]).reshape([4, 2])");
    assert!(e.contains("cannot reshape [2, 3]"), "{e}");
}

#[test]
fn sequential_shape_error_names_layer_shapes_and_line() {
    let src =
        "let m = sequential([linear(4, 8), relu(), linear(16, 2)]);\n\nm.forward(randn([3, 4]))";
    let e = error_of(src);
    assert!(e.contains("layer 2 (linear(16, 2))"), "{e}");
    assert!(e.contains("expects input [N, 16], got [3, 8]"), "{e}");
    assert!(e.contains("test.rhai:3:"), "{e}");
}

#[test]
fn conv_channel_mismatch_is_a_clear_error() {
    let e = error_of("sequential([conv2d(3, 8, 3)]).forward(randn([2, 1, 8, 8]))");
    assert!(e.contains("layer 0 (conv2d(3, 8, k=3))"), "{e}");
    assert!(
        e.contains("expects input [N, 3, H, W], got [2, 1, 8, 8]"),
        "{e}"
    );
    let e = error_of("sequential([conv2d(1, 8, 5)]).forward(randn([2, 1, 3, 3]))");
    assert!(e.contains("smaller than the kernel"), "{e}");
}

#[test]
fn summary_explains_seed_002s_128x128_generator() {
    let g: Model = eval(
        "sequential([linear(100, 3 * 11 * 11), leaky_relu(0.2), reshape([3, 11, 11]),
          conv_transpose2d(3, 256, 8, #{stride: 2}), batch_norm(256), leaky_relu(0.2),
          conv_transpose2d(256, 256, 8, #{stride: 2}), batch_norm(256), leaky_relu(0.2),
          conv_transpose2d(256, 3, 8, #{stride: 2, padding: 1}), batch_norm(3), sigmoid()])",
    );
    let table = summary(&g.state().seq, &[100]);
    assert!(table.contains("[N, 3, 11, 11]"), "{table}");
    assert!(table.contains("[N, 256, 28, 28]"), "{table}");
    assert!(table.contains("[N, 256, 62, 62]"), "{table}");
    assert!(table.contains("[N, 3, 128, 128]"), "{table}");
    let expected = 100 * 363
        + 363
        + 3 * 256 * 64
        + 256
        + 512
        + 256 * 256 * 64
        + 256
        + 512
        + 256 * 3 * 64
        + 3
        + 6;
    assert!(
        table.contains(&format!("total trainable parameters: {expected}")),
        "{table}"
    );

    let bad: Model =
        eval("sequential([conv2d(3, 16, 4, #{stride: 2}), flatten(), linear(100, 1)])");
    let table = summary(&bad.state().seq, &[3, 32, 32]);
    assert!(
        table.contains(
            "shape error at layer 2 (linear(100, 1)): expects input [N, 100], got [1, 3600]"
        ),
        "{table}"
    );
}

#[test]
fn optimizer_updates_only_its_models() {
    let src = r#"
        let a = sequential([linear(2, 3)]);
        let b = sequential([linear(3, 1)]);
        let x = ones([4, 2]);
        let opt = sgd(a, #{ lr: 0.1 });
        let a0 = a.sample(x); let b0 = b.sample(ones([1, 3]));
        opt.step(b.forward(a.forward(x)).sum());
        let a1 = a.sample(x); let b1 = b.sample(ones([1, 3]));
        [(a1 - a0).abs().sum().item(), (b1 - b0).abs().sum().item()]
    "#;
    let d: rhai::Array = eval(src);
    assert!(d[0].as_float().unwrap() > 1e-4, "a did not move");
    assert_eq!(d[1].as_float().unwrap(), 0.0, "b moved");
}

#[test]
fn frozen_model_passes_gradients_but_does_not_change() {
    let src = r#"
        let f = sequential([linear(2, 2)]).freeze();
        let g = sequential([linear(2, 2)]);
        let x = ones([1, 2]);
        let opt = adam([f, g], #{ lr: 0.1 });
        let f0 = f.sample(x); let g0 = g.sample(x);
        opt.step(f.forward(g.forward(x)).square().sum());
        [(f.sample(x) - f0).abs().sum().item(), (g.sample(x) - g0).abs().sum().item()]
    "#;
    let d: rhai::Array = eval(src);
    assert_eq!(d[0].as_float().unwrap(), 0.0, "frozen model changed");
    assert!(
        d[1].as_float().unwrap() > 1e-3,
        "no gradient reached g through frozen f"
    );
}

#[test]
fn learning_rate_is_readable_and_settable() {
    let lr: f64 = eval("let o = adam(sequential([linear(1, 1)]), #{lr: 0.5}); o.lr = 0.25; o.lr");
    assert_eq!(lr, 0.25);
    let e = error_of("adam(sequential([linear(1, 1)]), #{lr: 0.5, beta: 3})");
    assert!(
        e.contains("unknown option 'beta'") && e.contains("betas"),
        "{e}"
    );
}

#[test]
fn clone_is_deep_and_clip_weights_clamps() {
    let src = r#"
        let a = sequential([linear(3, 3), batch_norm(3)]).init("kaiming");
        let b = a.clone();
        clip_weights(b, 0.01);
        let x = randn([4, 3]);
        [(a.sample(x) - b.sample(x)).abs().sum().item(), b.sample(x).abs().max().item()]
    "#;
    let d: rhai::Array = eval(src);
    assert!(
        d[0].as_float().unwrap() > 1e-3,
        "clip changed the original too"
    );
    let m: Model =
        eval("let m = sequential([linear(8, 8)]).init(\"kaiming\"); clip_weights(m, 0.01); m");
    let s = m.state();
    let ganbook::nn::Layer::Linear(l) = &s.seq.layers[0] else {
        panic!()
    };
    let w = DynTensor::new(l.weight.val()).to_vec();
    assert!(w.iter().all(|v| v.abs() <= 0.01 + 1e-7));
    assert!(
        w.iter().any(|v| v.abs() > 0.009),
        "clipping should leave values at the bound"
    );
}

#[test]
fn dcgan_init_draws_small_normal_weights() {
    let m: Model = eval("sequential([linear(200, 200), batch_norm(200)]).init(\"dcgan\")");
    let s = m.state();
    let ganbook::nn::Layer::Linear(l) = &s.seq.layers[0] else {
        panic!()
    };
    let w = DynTensor::new(l.weight.val()).to_vec();
    let n = w.len() as f64;
    let mean = w.iter().map(|&v| v as f64).sum::<f64>() / n;
    let std = (w.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n).sqrt();
    assert!(
        mean.abs() < 0.002 && (std - 0.02).abs() < 0.001,
        "mean {mean} std {std}"
    );
    let ganbook::nn::Layer::BatchNorm(b) = &s.seq.layers[1] else {
        panic!()
    };
    let g = DynTensor::new(b.weight.val()).to_vec();
    let gm = g.iter().sum::<f32>() / g.len() as f32;
    assert!((gm - 1.0).abs() < 0.01, "gamma mean {gm}");
}

#[test]
fn toy_data_covers_its_own_modes() {
    let m: rhai::Map = eval("mode_coverage(toy2d(\"ring8\", 4000), \"ring8\")");
    assert_eq!(m["modes"].as_int().unwrap(), 8);
    assert!(m["high_quality"].as_float().unwrap() > 0.97);
    let m: rhai::Map = eval("mode_coverage(toy2d(\"grid25\", 4000), \"grid25\")");
    assert_eq!(m["modes"].as_int().unwrap(), 25);
    let m: rhai::Map = eval("mode_coverage(zeros([100, 2]) + 2.0, \"ring8\")");
    assert_eq!(m["modes"].as_int().unwrap(), 0);
    let e = error_of("toy2d(\"ring9\", 10)");
    assert!(e.contains("unknown toy distribution 'ring9'"), "{e}");
}

#[test]
fn eval_mode_and_dropout() {
    // In eval mode dropout is the identity; in training mode it zeroes about p of the values.
    let kept: f64 = eval(
        "let m = sequential([dropout(0.5)]); m.forward(ones([100, 100])).gt(0.0).mean().item()",
    );
    assert!((kept - 0.5).abs() < 0.03, "kept share {kept}");
    let same: f64 = eval(
        "let m = sequential([dropout(0.5)]).eval(); (m.forward(ones([10, 10])) - 1.0).abs().sum().item()",
    );
    assert_eq!(same, 0.0);
}

#[test]
fn params_and_printing() {
    let n: i64 = eval("sequential([linear(2, 3), batch_norm(3)]).params()");
    assert_eq!(n, 2 * 3 + 3 + 3 + 3);
    let s: String = eval("`${sequential([linear(2, 3), relu()])}`");
    assert!(s.contains("linear(2, 3) -> relu()"), "{s}");
    let s: String = eval("`${tensor([[1.0, 2.0]])}`");
    assert_eq!(s, "Tensor[1, 2] [[1.0000, 2.0000]]");
}

#[test]
fn live_controls_without_a_page_are_their_defaults() {
    assert_eq!(
        eval::<f64>("knob(\"lr\", 1e-3, #{ min: 1e-5, max: 1e-1, log: true }).value"),
        1e-3
    );
    assert_eq!(
        eval::<i64>("knob(\"d_steps\", 2, #{ min: 1, max: 10 }).value"),
        2
    );
    assert_eq!(
        eval::<rhai::ImmutableString>(
            "knob(\"loss\", \"bce\", #{ choices: [\"bce\", \"hinge\"] }).value"
        ),
        "bce"
    );
    assert!(eval::<bool>("gate(\"d\") && gate(\"g\")"));
    assert!(!eval::<bool>("live() || live_frame(\"x\")"));
    let shape = eval::<rhai::Array>("let d = drawn(\"target\", \"grid25\"); d.sample(7).shape()");
    assert_eq!(
        shape
            .iter()
            .map(|v| v.as_int().unwrap())
            .collect::<Vec<_>>(),
        vec![7, 2]
    );
    assert!(!eval::<bool>("drawn(\"target\", \"ring8\").is_drawn"));
    for (src, says) in [
        (
            "knob(\"lr\", 1e-3, #{ log: true })",
            "a log-scale knob needs min > 0",
        ),
        ("knob(\"loss\", \"bce\")", "a word knob needs its choices"),
        ("knob(\"lr\", 5.0, #{ min: 0.0, max: 1.0 })", "outside"),
        ("knob(\"lr\", 1e-3, #{ mn: 0.0 })", "mn"),
        ("gate(\"x\")", "kind must be \"d\" or \"g\""),
        ("drawn(\"t\", \"moons\")", "unknown toy distribution"),
    ] {
        let e = error_of(src);
        assert!(e.contains(says), "{src}: {e}");
    }
}

#[test]
fn an_ema_average_follows_its_model() {
    // one linear layer's output is affine in its weights: with decay 0.5 the average's
    // output is halfway between the model's before and after a step
    let halfway: bool = eval(
        "seed(1);
         let G = sequential([linear(2, 3)]);
         let z = tensor([[1.0, 2.0]]);
         let before = G.forward(z).detach();
         let half = ema(G, 0.5);
         let still = ema(G, 1.0);
         let copy = ema(G, 0.0);
         let opt = sgd(G, #{ lr: 0.5 });
         opt.step(G.forward(randn([8, 2])).pow(2).mean());
         for A in [half, still, copy] { A.update(G); }
         let after = G.forward(z).detach();
         fn near(a, b) { (a - b).abs().max().item() < 1e-6 }
         !near(before, after) && near(half.forward(z), (before + after) / 2.0)
             && near(still.forward(z), before) && near(copy.forward(z), after)",
    );
    assert!(halfway);
    for (src, says) in [
        (
            "let G = sequential([linear(2, 1)]); G.update(G)",
            "not G.update(G)",
        ),
        (
            "let G = sequential([linear(2, 1)]); let H = sequential([linear(2, 1)]); H.update(G)",
            "is no average",
        ),
        (
            "let G = sequential([linear(2, 1)]); let A = ema(G, 0.9); A.update(sequential([linear(3, 1)]))",
            "are not the average's",
        ),
        (
            "ema(sequential([linear(2, 1)]), 1.5)",
            "decay must be in [0, 1]",
        ),
    ] {
        let e = error_of(src);
        assert!(e.contains(says), "{src}: {e}");
    }
}

#[test]
fn spectral_norm_wraps_weight_layers_and_trains_under_the_gradient_penalty() {
    let d: Model = eval(
        "seed(1);
         let D = sequential([spectral_norm(linear(2, 8)), leaky_relu(0.2), spectral_norm(linear(8, 1))]);
         let opt = adam(D, #{ lr: 1e-2 });
         for i in 0..3 {
             let real = randn([16, 2]); let fake = randn([16, 2]) + 2.0;
             opt.step(wasserstein_d(D.forward(real), D.forward(fake)) + gradient_penalty(D, real, fake) * 10.0);
         }
         D",
    );
    let table = summary(&d.state().seq, &[2]);
    assert!(table.contains("spectral_norm(linear(2, 8))"), "{table}");
    // u and v are buffers: 2*8+8 and 8+1 trainable parameters
    assert_eq!(d.state().seq.trainable_params(), 33, "{table}");
    for (src, says) in [
        (
            "spectral_norm(batch_norm(4))",
            "wraps linear, conv2d or conv_transpose2d",
        ),
        (
            "let D = sequential([spectral_norm(conv_transpose2d(2, 1, 4)), flatten()]); gradient_penalty(D, randn([2, 2, 1, 1]), randn([2, 2, 1, 1]))",
            "not supported by gradient_penalty",
        ),
    ] {
        let e = error_of(src);
        assert!(e.contains(says), "{src}: {e}");
    }
}

#[test]
fn r1_penalty_refuses_batch_norm() {
    let e = error_of(
        "r1_penalty(sequential([linear(2, 4), batch_norm(4), linear(4, 1)]), randn([4, 2]))",
    );
    assert!(e.contains("batch norm"), "{e}");
}
