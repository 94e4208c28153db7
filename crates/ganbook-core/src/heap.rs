//! How the C library's allocator treats freed memory. A training step frees and allocates the
//! same large buffers (activations, column matrices) step after step. With glibc's defaults
//! the heap shrank at every free of a large block (`brk`), and blocks above a threshold that
//! moves at run time came straight from `mmap`: each step paid again for page faults and for
//! the kernel zeroing fresh pages, much of it on the thread that the others wait for. Measured
//! with `ganbook bench steps` at 2 threads: 455,000 page faults in 7 DCGAN 32 + 7 DCGAN 64
//! steps, 85,000 with the settings below; DCGAN 32 steps about 20% faster, DCGAN 64 steps
//! 5-10% (README, "Speed").

/// Blocks up to 32 MiB come from the heap (glibc's largest allowed threshold), and the heap
/// keeps up to 128 MiB of freed memory for reuse instead of handing it back to the system.
/// (128 and 512 MiB ran alike; 128 holds less after a large network is done.)
/// Call once at start-up, before other threads run. Elsewhere than glibc it does nothing.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets two tuning values of glibc's allocator; called before any
    // other thread exists
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 << 20);
    }
}

/// Hands the freed memory that the heap holds back to the system (glibc's malloc_trim), so
/// that a measurement of peak memory starts from what is in use. Elsewhere than glibc it does
/// nothing.
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap pages to the system
    unsafe {
        libc::malloc_trim(0);
    }
}
