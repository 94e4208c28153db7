//! Short versions of `ganbook bench soak_gan` and `soak_repl`: resident memory does not
//! keep growing over a few hundred GAN steps or REPL inputs (a generous bound; the benches
//! measure the real thing: 20,000 steps and 1,000 inputs).

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
    println!("gan {gan:?}\nrepl {repl:?}");
}
