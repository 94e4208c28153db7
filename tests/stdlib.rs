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
