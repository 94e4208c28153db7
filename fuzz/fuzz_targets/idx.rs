//! IDX bytes, gzipped or not: decode never panics; what it accepts is consistent.
#![no_main]

use ganbook::data::idx;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ganbook::memory_limit::set(256 << 20);
    if let Ok(a) = idx::decode(data) {
        assert_eq!(a.values.len(), a.shape.iter().product::<usize>());
    }
});
