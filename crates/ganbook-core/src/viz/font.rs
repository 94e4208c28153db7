//! The font for text in plots, compiled into the binary (DejaVu Sans, from the `dejavu`
//! crate): no system fonts or font libraries are needed.

use std::sync::Once;

/// The family name plots ask for.
pub const FAMILY: &str = "sans-serif";

/// Registers the embedded font with plotters (once per process).
pub fn ensure() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(
            FAMILY,
            plotters::style::FontStyle::Normal,
            dejavu::sans::regular(),
        );
    });
}
