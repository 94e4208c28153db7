//! Short versions of `ganbook bench soak_gan` and `soak_repl`: resident memory does not
//! keep growing over a few hundred GAN steps, REPL inputs or bench-script steps (a generous
//! bound; the benches measure the real thing: 20,000 and 1,000 steps, 1,000 inputs).

use ganbook::bench::soak;

#[test]
fn memory_stays_flat_over_gan_steps_and_repl_inputs() {
    // one test, so nothing else in this process allocates meanwhile
    let gan = soak::gan(400, 100, 50, 32).unwrap();
    assert!(
        gan.growth_pct() < 20.0,
        "GAN run: {:.1}% growth after warm-up: {:?}",
        gan.growth_pct(),
        gan.samples
    );
    let repl = soak::repl(420, 140, 70).unwrap();
    assert!(
        repl.growth_pct() < 20.0,
        "REPL: {:.1}% growth after warm-up: {:?}",
        repl.growth_pct(),
        repl.samples
    );
    // a bench step's own variables go when it ends: a megabyte per step here if kept
    let mut step = ganbook::bench::script_step::ScriptStep::new(
        "test",
        "let w = 1.0;\n// %% step\nlet big = randn([250000]) * w;\nbig.sum().item()",
    )
    .unwrap();
    let mut rss = Vec::new();
    for i in 0..150 {
        step.step().unwrap();
        if i % 25 == 24 {
            rss.push(soak::rss_bytes());
        }
    }
    let growth = (rss[rss.len() - 1] as f64 / rss[1] as f64 - 1.0) * 100.0;
    assert!(growth < 20.0, "bench steps: {growth:.1}% growth: {rss:?}");
    println!("gan {gan:?}\nrepl {repl:?}");
}
