//! The user's own images: a folder of PNG, JPEG, BMP, GIF or WebP files, decoded once (in
//! parallel), transformed (crop, centre crop, resize, grayscale) and kept as bytes; the
//! decoded folder is cached on disk (see [`super::cache`]) so the next run starts fast.
//! Unreadable files are skipped and reported; a folder with no usable image is an error.

use super::cache::{self, Header, Pixels};
use super::source::Source;
use super::transforms::Planar;
use crate::error::{Result, guard};
use crate::{bail, err};
use std::path::{Path, PathBuf};

const EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "bmp", "gif", "webp"];
/// Largest width or height accepted: a tiny file claiming huge dimensions is refused
/// before anything is allocated.
const MAX_SIDE: u32 = 16384;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct FolderOptions {
    /// Output side (square); None: the size of the first usable image after cropping.
    pub size: Option<usize>,
    /// A fixed box (x, y, w, h) cut from every image first.
    pub crop: Option<[usize; 4]>,
    /// The centred square of this side (0: the largest), after `crop`.
    pub center_crop: Option<usize>,
    pub grayscale: bool,
    /// Also read sub-folders.
    pub recursive: bool,
    /// Class labels from the first sub-folder name (implies reading sub-folders).
    pub labels_from_subdirs: bool,
    /// Use and fill the disk cache.
    pub cache: bool,
    /// Where the cache lives (None: [`cache::dir`]).
    pub cache_dir: Option<PathBuf>,
}

pub struct ImageFolder {
    pub root: PathBuf,
    pub header: Header,
    pixels: Pixels,
    /// Whether this load came from the cache.
    pub from_cache: bool,
}

/// The image files `ImageFolder::open(root, o)` reads, sorted (for a sandbox to check).
pub fn files(root: &Path, o: &FolderOptions) -> Result<Vec<PathBuf>> {
    list(root, o.recursive || o.labels_from_subdirs)
}

/// Image files under `root` (sorted), with their sub-folder (for labels).
fn list(root: &Path, deep: bool) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d)
            .map_err(|e| err!("image_folder: cannot read {}: {e}", d.display()))?;
        for e in entries.flatten() {
            let p = e.path();
            let is_dir = e.file_type().map_or_else(
                |_| p.is_dir(),
                |t| t.is_dir() || (t.is_symlink() && p.is_dir()),
            );
            if is_dir {
                if deep {
                    stack.push(p);
                }
            } else if p
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| EXTENSIONS.contains(&x.to_ascii_lowercase().as_str()))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Decodes one file to planar [0, 1] values, refusing oversized images.
pub fn decode(path: &Path, gray: bool) -> Result<Planar> {
    guard("", || {
        let mut r = image::ImageReader::open(path)
            .map_err(|e| err!("{e}"))?
            .with_guessed_format()
            .map_err(|e| err!("{e}"))?;
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(MAX_SIDE);
        limits.max_image_height = Some(MAX_SIDE);
        limits.max_alloc = Some(1 << 30);
        r.limits(limits);
        let img = r.decode().map_err(|e| err!("{e}"))?;
        let (w, h) = (img.width() as usize, img.height() as usize);
        let (c, inter): (usize, Vec<f32>) = if gray {
            (1, img.to_luma32f().into_raw())
        } else {
            (3, img.to_rgb32f().into_raw())
        };
        let mut v = vec![0.0; c * h * w];
        for (k, px) in inter.chunks(c).enumerate() {
            for ch in 0..c {
                v[ch * h * w + k] = px[ch].clamp(0.0, 1.0);
            }
        }
        Ok(Planar { c, h, w, v })
    })
}

fn transform(p: Planar, o: &FolderOptions, size: Option<(usize, usize)>) -> Result<Planar> {
    let mut p = match o.crop {
        Some([x, y, w, h]) => p.crop(x, y, w, h)?,
        None => p,
    };
    if let Some(s) = o.center_crop {
        p = p.center_crop(if s == 0 { usize::MAX } else { s });
    }
    Ok(match size {
        Some((h, w)) => p.resize(h, w),
        None => p,
    })
}

/// The error for a folder with no image file: it names the sub-folders, when the images may
/// be in them, and the two options that read them.
fn no_image_files(root: &Path, deep: bool) -> crate::error::Error {
    let mut subdirs: Vec<String> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    subdirs.sort();
    let kinds = EXTENSIONS.join(", ");
    if deep || subdirs.is_empty() {
        return err!(
            "image_folder: no image files ({kinds}) in {}",
            root.display()
        );
    }
    let n = subdirs.len();
    let shown = subdirs
        .iter()
        .take(5)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    let more = if n > 5 { ", ..." } else { "" };
    err!(
        "image_folder: no image files in {} itself, but it has {n} sub-folder{} ({shown}{more}): \
         #{{recursive: true}} reads the images in them, #{{labels: \"subdirs\"}} also takes \
         each sub-folder's name as the class label",
        root.display(),
        if n == 1 { "" } else { "s" }
    )
}

impl ImageFolder {
    pub fn open(root: &Path, o: &FolderOptions) -> Result<ImageFolder> {
        if !root.is_dir() {
            bail!("image_folder: {} is not a folder", root.display());
        }
        let deep = o.recursive || o.labels_from_subdirs;
        let files = list(root, deep)?;
        if files.is_empty() {
            return Err(no_image_files(root, deep));
        }
        let key = cache::key(
            &[format!("v1|{}|{o:?}", root.display())]
                .into_iter()
                .chain(files.iter().map(|f| cache::stamp(f)))
                .collect::<Vec<_>>(),
        );
        if o.cache
            && let Some((header, pixels)) = cache::load(o.cache_dir.as_deref(), &key)
        {
            return Ok(ImageFolder {
                root: root.to_path_buf(),
                header,
                pixels,
                from_cache: true,
            });
        }
        let loaded = Self::decode_all(root, &files, o)?;
        if o.cache
            && let Pixels::Memory(p) = &loaded.pixels
        {
            let _ = cache::store(o.cache_dir.as_deref(), &key, &loaded.header, p);
        }
        Ok(loaded)
    }

    fn decode_all(root: &Path, files: &[PathBuf], o: &FolderOptions) -> Result<ImageFolder> {
        // the output size: given, or the first decodable image's after cropping
        let mut size = o.size.map(|s| (s, s));
        let mut first = 0;
        if size.is_none() {
            while first < files.len() {
                if let Ok(p) =
                    decode(&files[first], o.grayscale).and_then(|p| transform(p, o, None))
                {
                    size = Some((p.h, p.w));
                    break;
                }
                first += 1;
            }
        }
        let Some((h, w)) = size else {
            bail!(
                "image_folder: no usable image in {} ({} image files found)",
                root.display(),
                files.len()
            );
        };
        let c = if o.grayscale { 1 } else { 3 };
        let threads = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .min(8);
        let chunk = files.len().div_ceil(threads).max(1);
        let results: Vec<Result<Vec<u8>>> = std::thread::scope(|s| {
            let handles: Vec<_> = files
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || {
                        part.iter()
                            .map(|f| {
                                guard("", || {
                                    let p = transform(decode(f, o.grayscale)?, o, Some((h, w)))?;
                                    Ok(p.v.iter().map(|x| (x * 255.0).round() as u8).collect())
                                })
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                // every file is guarded, so a worker cannot panic; unwrap_or_default would
                // misalign files and results, hence expect
                .flat_map(|h| h.join().expect("decoding is panic-guarded"))
                .collect()
        });
        let mut pixels = Vec::with_capacity(files.len() * c * h * w);
        let mut labels = Vec::new();
        let mut classes: Vec<String> = Vec::new();
        let (mut skipped, mut skipped_count) = (Vec::new(), 0);
        for (f, r) in files.iter().zip(results) {
            match r {
                Ok(bytes) => {
                    pixels.extend(bytes);
                    if o.labels_from_subdirs {
                        let class = f
                            .strip_prefix(root)
                            .ok()
                            .and_then(|rel| rel.components().next())
                            .filter(|_| f.parent() != Some(root))
                            .map(|c| c.as_os_str().to_string_lossy().to_string())
                            .unwrap_or_default();
                        labels.push(class);
                    }
                }
                Err(e) => {
                    skipped_count += 1;
                    if skipped.len() < 5 {
                        let name = f.strip_prefix(root).unwrap_or(f).display();
                        skipped.push(format!("{name} ({e})"));
                    }
                }
            }
        }
        let n = pixels.len() / (c * h * w);
        if n == 0 {
            bail!(
                "image_folder: no usable image in {} ({} image files, all unreadable: {})",
                root.display(),
                files.len(),
                skipped.join("; ")
            );
        }
        let labels = o.labels_from_subdirs.then(|| {
            classes = labels.clone();
            classes.sort();
            classes.dedup();
            labels
                .iter()
                .map(|l| classes.binary_search(l).unwrap_or(0))
                .collect()
        });
        let header = Header {
            n,
            shape: [c, h, w],
            labels,
            classes,
            skipped,
            skipped_count,
        };
        Ok(ImageFolder {
            root: root.to_path_buf(),
            header,
            pixels: Pixels::Memory(pixels),
            from_cache: false,
        })
    }

    /// One line about skipped files, if any.
    pub fn skipped_report(&self) -> Option<String> {
        let h = &self.header;
        (h.skipped_count > 0).then(|| {
            format!(
                "image_folder: skipped {} unreadable file(s) in {}: {}{}",
                h.skipped_count,
                self.root.display(),
                h.skipped.join("; "),
                if h.skipped_count > h.skipped.len() {
                    "; ..."
                } else {
                    ""
                }
            )
        })
    }
}

impl Source for ImageFolder {
    fn len(&self) -> usize {
        self.header.n
    }

    fn shape(&self) -> [usize; 3] {
        self.header.shape
    }

    fn image(&self, i: usize) -> Result<Vec<f32>> {
        let size: usize = self.header.shape.iter().product();
        let bytes = self.pixels.read(i * size, size)?;
        Ok(bytes.iter().map(|&b| b as f32 / 255.0).collect())
    }

    fn label(&self, i: usize) -> Option<usize> {
        self.header.labels.as_ref().map(|l| l[i])
    }

    fn classes(&self) -> Vec<String> {
        self.header.classes.clone()
    }

    fn describe(&self) -> String {
        let [c, h, w] = self.header.shape;
        format!(
            "image_folder {} n={} [{c}, {h}, {w}]",
            self.root.display(),
            self.header.n
        )
    }
}
