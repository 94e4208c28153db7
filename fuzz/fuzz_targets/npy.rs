//! `.npy` bytes: parse never panics; what it accepts is consistent.
#![no_main]

use ganbook::data::npy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ganbook::memory_limit::set(256 << 20);
    if let Ok(a) = npy::parse(data) {
        assert_eq!(a.values.len(), a.shape.iter().product::<usize>());
        if let Ok(c) = npy::nhwc_to_nchw(&a) {
            assert_eq!(c.values.len(), a.values.len());
        }
    }
});
