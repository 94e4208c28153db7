//! The session's random number generator for everything burn does not draw itself
//! (toy data, shuffling). `seed(n)` seeds both this and burn's device RNG.

use rand::SeedableRng;
use rand::rngs::StdRng;
use std::sync::Mutex;

static RNG: Mutex<Option<StdRng>> = Mutex::new(None);

/// Seeds the session RNG and burn's.
pub fn seed(seed: u64) {
    *RNG.lock().unwrap() = Some(StdRng::seed_from_u64(seed));
    crate::device::seed(seed);
}

/// Runs `f` with the session RNG (seeded from the OS on first use if `seed` was not called).
pub fn with<T>(f: impl FnOnce(&mut StdRng) -> T) -> T {
    let mut guard = RNG.lock().unwrap();
    let rng = guard.get_or_insert_with(StdRng::from_os_rng);
    f(rng)
}
