//! Pictures of tensors and logs: sample grids, plots, GIFs, 2-D scatter pictures.

pub mod axes;
pub mod font;
pub mod frame;
pub mod gif;
pub mod grid;
pub mod plot;
pub mod scatter;

/// Encodes an image as PNG and writes it atomically, creating its folder; returns the PNG's
/// bytes (a run also sends them to its TensorBoard events file).
pub fn save_png(img: &image::RgbImage, path: &std::path::Path) -> crate::error::Result<Vec<u8>> {
    let bytes = encode_png(img, path)?;
    crate::files::ensure_parent(path)?;
    crate::files::write_atomic(path, &bytes)?;
    Ok(bytes)
}

/// The PNG encoding of an image (`path`: the file it is for, which an error names).
pub fn encode_png(img: &image::RgbImage, path: &std::path::Path) -> crate::error::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    img.write_to(
        &mut std::io::Cursor::new(&mut bytes),
        image::ImageFormat::Png,
    )
    .map_err(|e| crate::err!("cannot encode {}: {e}", path.display()))?;
    Ok(bytes)
}
