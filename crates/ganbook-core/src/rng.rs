//! The session's random number generator: every random draw a script makes (`randn`, `rand`,
//! dropout masks, toy data, shuffling) comes from here, so a checkpoint can save its state and
//! a resumed run draws the same numbers. `seed(n)` seeds it and burn's generators (the CPU's
//! draws initial weights on every device: nn::init).
//!
//! The generator is ChaCha12 (as rand's `StdRng`), whose whole state is a seed, a stream and a
//! word position: [`State`] is that triple, and [`restore`] puts it back exactly.

use crate::err;
use crate::error::Result;
use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;
use std::sync::Mutex;

pub type Rng = ChaCha12Rng;

static RNG: Mutex<Option<Rng>> = Mutex::new(None);

/// Seeds the session RNG and burn's.
pub fn seed(seed: u64) {
    *RNG.lock().unwrap() = Some(Rng::seed_from_u64(seed));
    crate::device::seed(seed);
}

/// Runs `f` with the session RNG (seeded from the OS on first use if `seed` was not called).
pub fn with<T>(f: impl FnOnce(&mut Rng) -> T) -> T {
    let mut guard = RNG.lock().unwrap_or_else(|p| p.into_inner());
    let rng = guard.get_or_insert_with(Rng::from_os_rng);
    f(rng)
}

/// The generator's complete state, as text fit for JSON.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct State {
    /// 32 bytes, hex.
    pub seed: String,
    pub stream: u64,
    /// Position in the key stream, in 32-bit words (a u128, as decimal text).
    pub word_pos: String,
}

/// The current state (after this, the same draws follow as after [`restore`] of it).
pub fn state() -> State {
    with(|r| State {
        seed: r.get_seed().iter().map(|b| format!("{b:02x}")).collect(),
        stream: r.get_stream(),
        word_pos: r.get_word_pos().to_string(),
    })
}

/// Puts back a state from [`state`].
pub fn restore(s: &State) -> Result<()> {
    let r = parse(s)?;
    *RNG.lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
    Ok(())
}

/// Ok when [`restore`] would accept `s` (changes nothing).
pub fn check(s: &State) -> Result<()> {
    parse(s).map(drop)
}

fn parse(s: &State) -> Result<Rng> {
    let bad = || err!("random generator state is damaged (seed {:?})", s.seed);
    // 64 hex digits; a length in bytes alone would let multi-byte characters through
    if s.seed.len() != 64 || !s.seed.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let mut seed = [0u8; 32];
    for (i, b) in seed.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s.seed[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    let pos: u128 = s.word_pos.parse().map_err(|_| bad())?;
    let mut r = Rng::from_seed(seed);
    r.set_stream(s.stream);
    r.set_word_pos(pos);
    Ok(r)
}

/// `n` values from `dist` (burn's distribution type), drawn from the session RNG.
pub fn sample(dist: burn::tensor::Distribution, n: usize) -> Vec<f32> {
    use burn::tensor::Distribution as D;
    use rand::Rng as _;
    use rand_distr::{Distribution as _, StandardNormal};
    with(|r| match dist {
        D::Default => (0..n).map(|_| r.random::<f32>()).collect(),
        D::Uniform(lo, hi) => (0..n)
            .map(|_| (lo + (hi - lo) * r.random::<f64>()) as f32)
            .collect(),
        D::Bernoulli(p) => (0..n)
            .map(|_| if r.random::<f64>() < p { 1.0 } else { 0.0 })
            .collect(),
        D::Normal(mean, std) => (0..n)
            .map(|_| {
                let z: f64 = StandardNormal.sample(r);
                (mean + std * z) as f32
            })
            .collect(),
    })
}
