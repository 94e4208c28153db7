//! `--set` arguments (one per line): parsing and conversion to each type of default never
//! panic.
#![no_main]

use ganbook::script::{convert::to_json, run_fns::convert_param};
use libfuzzer_sys::fuzz_target;
use rhai::{Dynamic, FLOAT, INT};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let args: Vec<String> = text.split('\n').map(String::from).collect();
    let Ok(sets) = ganbook::session::options::parse_sets(&args) else {
        return;
    };
    let defaults = [
        Dynamic::from(50 as INT),
        Dynamic::from(0.5 as FLOAT),
        Dynamic::TRUE,
        Dynamic::from("text"),
        Dynamic::UNIT,
    ];
    for (name, value) in &sets {
        assert!(!name.is_empty());
        for d in &defaults {
            if let Ok(v) = convert_param(name, value, d) {
                let _ = to_json(&v);
            }
        }
    }
});
