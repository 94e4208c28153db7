//! The main thread as one of rayon's threads. ganbook's kernels and flex call into rayon's
//! global pool hundreds of times per training step. From a thread outside the pool each call
//! is handed over to a pool thread while the caller sleeps (two futex wake-ups per call:
//! about 38,000 system calls in 7 DCGAN 64 steps at one thread); from a pool thread the
//! caller runs its share itself. With one thread there is then no other thread at all.

/// Builds rayon's global pool with the calling thread as thread 0 (RAYON_NUM_THREADS or the
/// CPU count in all). Call once at start-up, before anything else uses rayon; if the pool
/// already exists, nothing changes.
pub fn join_pool_from_main() {
    let _ = rayon::ThreadPoolBuilder::new()
        .use_current_thread()
        .build_global();
}
