//! The Rhai standard library (stdlib/*.rhai, compiled in): every loss family trains, and the
//! DCGAN builders give the shapes they promise.

mod common;

fn run_script(name: &str, src: &str) -> (bool, String, serde_json::Value) {
    let (o, json, _) = common::run_script(&format!("stdlib-{name}"), src, &[]);
    (o.status.success(), common::text(&o.stderr), json)
}

#[test]
fn every_loss_family_trains_a_toy_gan() {
    let src = r#"
        import "gan" as gan;
        import "models" as models;
        seed(1);
        for kind in ["bce", "lsgan", "hinge", "wgan", "wgan_gp"] {
            let G = models::mlp([2, 16, 2], "relu");
            let D = models::mlp([2, 16, 1], "leaky_relu");
            let opt_g = adam(G, #{ lr: 1e-3 });
            let opt_d = if kind == "wgan" { rmsprop(D, #{ lr: 5e-5 }) } else { adam(D, #{ lr: 1e-3 }) };
            let last = gan::train(G, D, opt_g, opt_d, "ring8",
                #{ loss: kind, nz: 2, steps: 3, batch: 32, n_critic: 2, real_label: 0.9, instance_noise: 0.1 });
            result(kind, last.d_loss);
        }
    "#;
    let (ok, err, json) = run_script("losses", src);
    assert!(ok, "{err}");
    for kind in ["bce", "lsgan", "hinge", "wgan", "wgan_gp"] {
        assert!(
            json["results"][kind].as_f64().is_some_and(f64::is_finite),
            "{kind}: {json}"
        );
    }
    let (ok, err, _) = run_script(
        "badloss",
        "import \"gan\" as gan; gan::d_loss(\"nope\", zeros([1, 1]), zeros([1, 1]), 1.0);",
    );
    assert!(!ok && err.contains("unknown loss 'nope'"), "{err}");
}

#[test]
fn dcgan_builders_give_promised_shapes() {
    let src = r#"
        import "models" as models;
        for cfg in [[32, 4, 3], [64, 5, 1]] {
            let size = cfg[0]; let kernel = cfg[1]; let ch = cfg[2];
            let G = models::dcgan_g(100, size, ch, #{ kernel: kernel, dropout: 0.5 });
            let D = models::dcgan_d(size, ch, #{ kernel: kernel, norm: "layer" });
            let x = G.sample(randn([2, 100]));
            result(`g${size}`, x.shape());
            result(`d${size}`, D.forward(x).shape());
            result(`gp${size}`, gradient_penalty(D, x, x * 0.5).item());
        }
    "#;
    let (ok, err, json) = run_script("builders", src);
    assert!(ok, "{err}");
    let r = &json["results"];
    assert_eq!(r["g32"], serde_json::json!([2, 3, 32, 32]));
    assert_eq!(r["g64"], serde_json::json!([2, 1, 64, 64]));
    assert_eq!(r["d32"], serde_json::json!([2, 1]));
    assert_eq!(r["d64"], serde_json::json!([2, 1]));
    assert!(r["gp64"].as_f64().is_some_and(f64::is_finite));
}

#[test]
fn gan_train_takes_r1_and_ema() {
    let src = r#"
        import "gan" as gan;
        seed(1);
        let G = sequential([linear(2, 16), relu(), linear(16, 2)]);
        let D = sequential([spectral_norm(linear(2, 16)), leaky_relu(0.2), linear(16, 1)]);
        let last = gan::train(G, D, adam(G), adam(D), "ring8",
                              #{ nz: 2, steps: 3, batch: 32, r1: 10.0, ema: 0.9 });
        result("d_loss", last.d_loss);
        result("averaged", type_of(last.G_ema) == "Model" && last.G_ema.sample(randn([4, 2])).shape()[0] == 4);
    "#;
    let (ok, err, json) = run_script("r1-ema", src);
    assert!(ok, "{err}");
    assert!(
        json["results"]["d_loss"]
            .as_f64()
            .is_some_and(f64::is_finite),
        "{json}"
    );
    assert_eq!(json["results"]["averaged"], true, "{json}");
}

#[test]
fn sngan_builders_give_promised_shapes_conditional_and_not() {
    let src = r#"
        import "models" as models;
        seed(2);
        let G = models::sngan_g(16, 32, 3, #{ width: 8 });
        let D = models::sngan_d(32, 3, #{ width: 8, attention: 16 });
        let x = G.sample(randn([2, 16]));
        result("g32", x.shape());
        result("d32", D.forward(x).shape());
        result("r1", r1_penalty(models::sngan_d(32, 3, #{ width: 8 }), x).item());
        let y = tensor([3, 1]);
        let Gc = models::sngan_g(16, 64, 1, #{ width: 8, classes: 5, attention: 32 });
        let Dc = models::sngan_d(64, 1, #{ width: 8, classes: 5, sn: false });
        let xc = Gc.forward(randn([2, 16]), y);
        result("g64", xc.shape());
        result("d64", Dc.forward(xc, y).shape());
        result("blocks_d64", Dc.to_string().split("residual").len() - 1);
        result("sn_d32", D.to_string().contains("spectral_norm") && !Dc.to_string().contains("spectral_norm"));
    "#;
    let (ok, err, json) = run_script("sngan", src);
    assert!(ok, "{err}");
    let r = &json["results"];
    assert_eq!(r["g32"], serde_json::json!([2, 3, 32, 32]));
    assert_eq!(r["d32"], serde_json::json!([2, 1]));
    assert_eq!(r["g64"], serde_json::json!([2, 1, 64, 64]));
    assert_eq!(r["d64"], serde_json::json!([2, 1]));
    // 64 -> 32 (optimized block) -> 16 -> 8 (down blocks), then two blocks at 8 x 8
    assert_eq!(r["blocks_d64"], 5, "{r}");
    assert_eq!(r["sn_d32"], true, "{r}");
    assert!(r["r1"].as_f64().is_some_and(f64::is_finite), "{r}");
}

#[test]
fn gan_train_augments_what_d_sees() {
    // With augment, D's inputs differ from the batch: the same seed gives other losses than
    // without it, and a bad policy is an error naming it.
    let run = |opts: &str| {
        let src = format!(
            r#"
            import "gan" as gan;
            seed(4);
            let G = sequential([linear(4, 48), tanh(), reshape([3, 4, 4])]);
            let D = sequential([conv2d(3, 4, 3, #{{ padding: 1 }}), leaky_relu(0.2), flatten(), linear(64, 1)]);
            let real = randn([8, 3, 4, 4]).tanh();
            let d = gan::d_step(G, D, adam(D), real, #{{ nz: 4 {opts} }});
            result("d_loss", d.item());
        "#
        );
        run_script("augment", &src)
    };
    let (ok, err, plain) = run("");
    assert!(ok, "{err}");
    let (ok, err, aug) = run(r#", augment: "color,translation,cutout""#);
    assert!(ok, "{err}");
    let (a, b) = (&plain["results"]["d_loss"], &aug["results"]["d_loss"]);
    assert!(
        a.as_f64().is_some() && b.as_f64().is_some() && a != b,
        "{a} {b}"
    );
    let (ok, err, _) = run(r#", augment: "colour""#);
    assert!(!ok && err.contains("'colour'"), "{err}");
}

#[test]
fn gan_train_runs_a_class_conditional_gan() {
    let src = r#"
        import "gan" as gan;
        seed(6);
        let data = digits(#{ style: "handwritten", size: 28, n: 64 });
        let G = sequential([linear(8, 98), reshape([2, 7, 7]), conditional_batch_norm(2, 10), relu(),
                            upsample(4), conv2d(2, 1, 3, #{ padding: 1 }), tanh()]);
        let D = sequential([conv2d(1, 4, 3, #{ stride: 2, padding: 1, sn: true }), leaky_relu(0.2),
                            flatten(), projection(10, 784)]);
        let last = gan::train(G, D, adam(G), adam(D), data,
                              #{ nz: 8, steps: 3, batch: 8, every: 1, classes: 10, loss: "hinge", r1: 1.0 });
        result("d_loss", last.d_loss);
        let y = randint(0, 10, [200]);
        result("y_range", y.min().item() == 0.0 && y.max().item() == 9.0);
    "#;
    let (ok, err, json) = run_script("conditional", src);
    assert!(ok, "{err}");
    let r = &json["results"];
    assert!(r["d_loss"].as_f64().is_some_and(f64::is_finite), "{r}");
    assert_eq!(r["y_range"], true, "{r}");
    let (ok, err, _) = run_script("randint-bad", "randint(3, 3, [2]);");
    assert!(!ok && err.contains("high must be above low"), "{err}");
}
