//! Data: procedural digits and faces, the Dataset loader, and the file loaders on files
//! these tests create (good, corrupt, truncated, odd formats).

use ganbook::data::dataset::{Dataset, Output};
use ganbook::data::digits::{self, Digits};
use ganbook::data::faces::{Faces, Style};
use ganbook::data::image_folder::{FolderOptions, ImageFolder};
use ganbook::data::source::Source;
use ganbook::data::transforms::Planar;
use ganbook::data::{idx, npy};
use image::{ImageBuffer, Luma, Rgb, Rgba};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn faces(style: Style, seed: u64, n: usize) -> Faces {
    Faces {
        style,
        size: 32,
        channels: 3,
        n,
        seed,
        identities: 10,
    }
}

fn ds(src: impl Source + 'static) -> Dataset {
    Dataset::new(Arc::new(src), Output::default(), 0).unwrap()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ganbook-data-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    for style in Style::ALL {
        let a = ds(faces(style, 7, 20));
        let b = ds(faces(style, 7, 20));
        let c = ds(faces(style, 8, 20));
        assert_eq!(a.get(5).unwrap(), b.get(5).unwrap(), "{style:?}");
        assert_ne!(a.get(5).unwrap(), c.get(5).unwrap(), "{style:?}");
        assert_ne!(a.get(5).unwrap(), a.get(6).unwrap(), "{style:?}");
    }
    for style in [digits::Style::Handwritten, digits::Style::Street] {
        let d = |seed| {
            ds(Digits {
                style,
                size: 28,
                channels: 1,
                n: 10,
                seed,
            })
        };
        assert_eq!(d(1).get(3).unwrap(), d(1).get(3).unwrap());
        assert_ne!(d(1).get(3).unwrap(), d(2).get(3).unwrap());
    }
}

#[test]
fn attributes_agree_across_styles_and_identities_repeat() {
    let all: Vec<_> = Style::ALL
        .iter()
        .map(|&s| ds(faces(s, 3, 50)).attributes().unwrap())
        .collect();
    assert_eq!(all[0], all[1]);
    assert_eq!(all[0], all[2]);
    let (names, v) = &all[0];
    let a = names.len();
    let w = names.iter().position(|n| n == "face_width").unwrap();
    let d = ds(faces(Style::Photo, 3, 50));
    let labels = d.labels().unwrap();
    assert!(labels.iter().all(|&l| (0.0..10.0).contains(&l)));
    // two images of one identity share its lasting traits
    let (i, j) = (0..50)
        .flat_map(|i| (i + 1..50).map(move |j| (i, j)))
        .find(|&(i, j)| labels[i] == labels[j])
        .unwrap();
    assert_eq!(v[i * a + w], v[j * a + w]);
    assert_eq!(v[i * a], labels[i], "identity is the label");
}

#[test]
fn styles_differ_and_values_stay_in_range() {
    let imgs: Vec<Vec<f32>> = Style::ALL
        .iter()
        .map(|&s| ds(faces(s, 1, 4)).get(0).unwrap())
        .collect();
    for img in &imgs {
        assert_eq!(img.len(), 3 * 32 * 32);
        assert!(img.iter().all(|v| (-1.0..=1.0).contains(v)));
    }
    // webtoon is monochrome: every pixel has equal channels
    let p = 32 * 32;
    assert!((0..p).all(|k| imgs[0][k] == imgs[0][p + k] && imgs[0][k] == imgs[0][2 * p + k]));
    // emoji and photo are coloured
    assert!((0..p).any(|k| (imgs[1][k] - imgs[1][2 * p + k]).abs() > 0.2));
    assert_ne!(imgs[1], imgs[2]);
}

#[test]
fn batches_have_shapes_labels_ranges_and_wrap_epochs() {
    let d = Dataset::new(
        Arc::new(Digits {
            style: digits::Style::Street,
            size: 32,
            channels: 3,
            n: 10,
            seed: 0,
        }),
        Output {
            range: (0.0, 1.0),
            flip: true,
        },
        5,
    )
    .unwrap();
    assert_eq!(d.epoch(), 0);
    let b = d.batch(4).unwrap();
    assert_eq!(b.x.len(), 4 * 3 * 32 * 32);
    assert_eq!(b.y.len(), 4);
    assert!(b.x.iter().all(|v| (0.0..=1.0).contains(v)));
    assert!(
        b.y.iter()
            .all(|&y| (0.0..10.0).contains(&y) && y.fract() == 0.0)
    );
    d.batch(4).unwrap();
    assert_eq!(d.epoch(), 0);
    d.batch(4).unwrap();
    assert_eq!(d.epoch(), 1, "12 images from 10 wrap into epoch 1");
    // a change of batch size continues where the last batch ended
    d.batch(7).unwrap();
    assert_eq!(d.epoch(), 1);
    d.batch(7).unwrap();
    assert_eq!(d.epoch(), 2);
    // same seed, same batches
    let e = |seed| {
        Dataset::new(
            Arc::new(faces(Style::Emoji, 0, 30)),
            Output::default(),
            seed,
        )
        .unwrap()
    };
    assert_eq!(e(1).batch(5).unwrap().x, e(1).batch(5).unwrap().x);
    assert_ne!(e(1).batch(5).unwrap().x, e(2).batch(5).unwrap().x);
}

#[test]
fn split_and_subset_are_disjoint_views() {
    let d = ds(faces(Style::Webtoon, 0, 20));
    let (a, b) = d.split(0.75).unwrap();
    assert_eq!((a.len(), b.len()), (15, 5));
    let la: Vec<_> = (0..15).map(|i| a.get(i).unwrap()).collect();
    assert!((0..5).all(|i| !la.contains(&b.get(i).unwrap())));
    assert_eq!(d.subset(6).unwrap().len(), 6);
    assert!(d.split(1.0).is_err());
    assert!(d.get(20).is_err());
}

#[test]
fn resize_averages_areas_down_and_keeps_constants_up() {
    let p = Planar {
        c: 1,
        h: 4,
        w: 4,
        v: (0..16).map(|v| v as f32).collect(),
    };
    let down = p.resize(2, 2);
    assert_eq!(down.v, vec![2.5, 4.5, 10.5, 12.5]);
    let flat = Planar {
        c: 3,
        h: 3,
        w: 5,
        v: vec![0.25; 45],
    };
    let up = flat.resize(7, 11);
    assert!(up.v.iter().all(|v| (v - 0.25).abs() < 1e-6));
    assert_eq!(p.center_crop(2).v, vec![5.0, 6.0, 9.0, 10.0]);
}

/// A PNG whose header claims `w` x `h` pixels, with valid checksums, but no real data.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        b.extend((data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        b.extend(kind);
        b.extend(data);
        b.extend(crc.sum().to_be_bytes());
    };
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(b"IEND", &[]);
    b
}

fn write_folder(root: &Path) {
    let cats = root.join("cats");
    let dogs = root.join("dogs");
    std::fs::create_dir_all(&cats).unwrap();
    std::fs::create_dir_all(&dogs).unwrap();
    ImageBuffer::from_fn(20, 10, |x, _| Rgb([x as u8 * 10, 0, 255]))
        .save(cats.join("rgb.png"))
        .unwrap();
    ImageBuffer::from_fn(8, 8, |_, _| Luma([128u8]))
        .save(cats.join("gray.png"))
        .unwrap();
    ImageBuffer::from_fn(9, 9, |_, _| Rgba([255u8, 0, 0, 10]))
        .save(dogs.join("rgba.png"))
        .unwrap();
    ImageBuffer::from_fn(6, 6, |_, _| Rgb([65535u16, 0, 0]))
        .save(dogs.join("deep16.png"))
        .unwrap();
    ImageBuffer::from_fn(1, 1, |_, _| Rgb([0u8, 255, 0]))
        .save(dogs.join("one.png"))
        .unwrap();
    ImageBuffer::from_fn(12, 12, |_, _| Rgb([200u8, 200, 200]))
        .save(dogs.join("photo.jpg"))
        .unwrap();
    ImageBuffer::from_fn(5, 7, |_, _| Rgb([0u8, 0, 0]))
        .save(dogs.join("pic.bmp"))
        .unwrap();
    std::fs::write(cats.join("corrupt.png"), b"this is not an image").unwrap();
    let good = std::fs::read(cats.join("rgb.png")).unwrap();
    std::fs::write(cats.join("truncated.png"), &good[..good.len() / 2]).unwrap();
    std::fs::write(dogs.join("huge.png"), png_claiming(100_000, 100_000)).unwrap();
    std::fs::write(dogs.join("notes.txt"), b"ignored").unwrap();
}

#[test]
fn image_folder_skips_bad_files_labels_subdirs_and_caches() {
    let root = tmp("folder");
    write_folder(&root);
    let cache = root.join("cache");
    let o = FolderOptions {
        size: Some(16),
        labels_from_subdirs: true,
        cache: true,
        cache_dir: Some(cache.clone()),
        ..Default::default()
    };
    let f = ImageFolder::open(&root, &o).unwrap();
    assert!(!f.from_cache);
    assert_eq!(f.len(), 7, "seven readable images");
    assert_eq!(f.header.skipped_count, 3, "{:?}", f.header.skipped);
    let report = f.skipped_report().unwrap();
    assert!(
        report.contains("corrupt.png") && report.contains("huge.png"),
        "{report}"
    );
    assert_eq!(f.shape(), [3, 16, 16]);
    assert_eq!(f.classes(), vec!["cats", "dogs"]);
    let labels: Vec<_> = (0..7).map(|i| f.label(i).unwrap()).collect();
    assert_eq!(labels.iter().filter(|&&l| l == 0).count(), 2);
    for i in 0..7 {
        assert!(f.image(i).unwrap().iter().all(|v| (0.0..=1.0).contains(v)));
    }
    let again = ImageFolder::open(&root, &o).unwrap();
    assert!(again.from_cache, "the second open reads the cache");
    assert_eq!(
        (0..7).map(|i| again.image(i).unwrap()).collect::<Vec<_>>(),
        (0..7).map(|i| f.image(i).unwrap()).collect::<Vec<_>>()
    );
    // a grayscale load is a different cache entry with one channel
    let g = ImageFolder::open(
        &root,
        &FolderOptions {
            grayscale: true,
            ..o.clone()
        },
    )
    .unwrap();
    assert!(!g.from_cache);
    assert_eq!(g.shape(), [1, 16, 16]);
    // the flat folder has no images of its own
    let err = ImageFolder::open(&root, &FolderOptions::default())
        .err()
        .unwrap()
        .0;
    assert!(
        err.contains("no image files in") && err.contains(&root.display().to_string()),
        "{err}"
    );
    let bad = ImageFolder::open(&root.join("cats").join("x"), &FolderOptions::default())
        .err()
        .unwrap()
        .0;
    assert!(bad.contains("not a folder"), "{bad}");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn npy_round_trips_and_reads_other_dtypes() {
    let dir = tmp("npy");
    let a = npy::Array {
        shape: vec![2, 3, 4],
        values: (0..24).map(|v| v as f32 * 0.5 - 3.0).collect(),
    };
    let p = dir.join("a.npy");
    npy::write(&p, &a).unwrap();
    assert_eq!(npy::read(&p).unwrap(), a);
    // uint8 NHWC image, hand-made
    let header = "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2, 2, 3), }";
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend((header.len() as u16).to_le_bytes());
    b.extend(header.as_bytes());
    b.extend(0u8..12);
    let u = npy::parse(&b).unwrap();
    assert_eq!(u.shape, vec![1, 2, 2, 3]);
    let c = npy::nhwc_to_nchw(&u).unwrap();
    assert_eq!(c.shape, vec![1, 3, 2, 2]);
    assert_eq!(c.values[..4], [0.0, 3.0, 6.0, 9.0]);
    // float64
    let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend((header.len() as u16).to_le_bytes());
    b.extend(header.as_bytes());
    b.extend(1.5f64.to_le_bytes());
    b.extend((-2.0f64).to_le_bytes());
    assert_eq!(npy::parse(&b).unwrap().values, vec![1.5, -2.0]);
    assert!(
        npy::parse(&b[..b.len() - 3])
            .unwrap_err()
            .0
            .contains("truncated")
    );
    assert!(npy::parse(b"garbage!!!!!").is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn idx_files_load_as_mnist_gzipped_or_not() {
    use std::io::Write;
    let dir = tmp("idx");
    let pixels: Vec<u8> = (0..3 * 28 * 28).map(|v| (v % 256) as u8).collect();
    let images = idx::encode_u8(&[3, 28, 28], &pixels);
    let labels = idx::encode_u8(&[3], &[7, 0, 9]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&images).unwrap();
    std::fs::write(dir.join("train-images-idx3-ubyte.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(dir.join("train-labels-idx1-ubyte"), &labels).unwrap();
    let (a, l) = idx::load_mnist(&dir, &ganbook::sandbox::Sandbox::permissive()).unwrap();
    assert_eq!(a.shape, vec![3, 28, 28]);
    assert_eq!(a.values[300], (300 % 256) as f32);
    assert_eq!(l.unwrap().values, vec![7.0, 0.0, 9.0]);
    assert!(
        idx::parse(&images[..100])
            .unwrap_err()
            .0
            .contains("truncated")
    );
    // through the script binding
    let (engine, _) = ganbook::script::bare_engine();
    let script = format!(
        "let d = mnist(\"{}\"); [d.len(), d.labels().to_array(), d.batch(2).shape()]",
        dir.display()
    );
    let r: rhai::Array = engine.eval(&script).unwrap();
    assert_eq!(r[0].as_int().unwrap(), 3);
    assert_eq!(format!("{:?}", r[2]), "[2, 1, 28, 28]");
    assert_eq!(format!("{:?}", r[1]), "[7.0, 0.0, 9.0]");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn script_bindings_make_datasets_and_reject_bad_options() {
    let (engine, _) = ganbook::script::bare_engine();
    let shape: rhai::Array = engine
        .eval("let f = faces(#{style: \"webtoon\", n: 16, size: 48}); f.batch_labeled(4).x.shape()")
        .unwrap();
    assert_eq!(format!("{shape:?}"), "[4, 3, 48, 48]");
    let n: i64 = engine.eval("digits(#{n: 12}).split(0.5)[1].len()").unwrap();
    assert_eq!(n, 6);
    let e = engine
        .eval::<rhai::Dynamic>("faces(#{colour: 1})")
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown option 'colour'"), "{e}");
    let e = engine
        .eval::<rhai::Dynamic>("faces(#{style: \"oil\"})")
        .unwrap_err()
        .to_string();
    assert!(e.contains("webtoon, emoji, photo"), "{e}");
    let e = engine
        .eval::<rhai::Dynamic>("digits(#{size: 8})")
        .unwrap_err()
        .to_string();
    assert!(e.contains("28 to 152"), "{e}");
    let e = engine
        .eval::<rhai::Dynamic>("image_folder(\"/no/such/folder\")")
        .unwrap_err()
        .to_string();
    assert!(e.contains("/no/such/folder"), "{e}");
    let e = engine
        .eval::<rhai::Dynamic>("faces(#{n: 5}).attributes(); image_folder(\"/\", #{labels: \"x\"})")
        .unwrap_err()
        .to_string();
    assert!(e.contains("subdirs"), "{e}");
}

#[test]
fn flip_mirrors_some_batch_images_and_get_never() {
    let src = || Digits {
        style: digits::Style::Handwritten,
        size: 28,
        channels: 1,
        n: 1,
        seed: 4,
    };
    let d = Dataset::new(
        Arc::new(src()),
        Output {
            flip: true,
            ..Output::default()
        },
        0,
    )
    .unwrap();
    let img = d.get(0).unwrap();
    let mut mirrored = img.clone();
    ganbook::data::dataset::flip(&mut mirrored, 28);
    assert_ne!(img, mirrored);
    let b = d.batch(16).unwrap();
    let items: Vec<&[f32]> = b.x.chunks(28 * 28).collect();
    assert!(
        items
            .iter()
            .all(|x| *x == img.as_slice() || *x == mirrored.as_slice())
    );
    assert!(items.contains(&img.as_slice()));
    assert!(items.contains(&mirrored.as_slice()));
}

#[test]
fn preview_writes_a_png_grid_in_the_run_folder() {
    let out = tmp("preview");
    let ctx = ganbook::state::RunState::new(Default::default(), out.clone());
    let engine = ganbook::script::engine(&ctx);
    let path: String = engine
        .eval("faces(#{style: \"emoji\", n: 9}).preview(\"real\")")
        .unwrap();
    assert_eq!(PathBuf::from(&path), out.join("real.png"));
    let img = image::open(&path).unwrap();
    assert!(
        img.width() >= 3 * 64 && img.height() >= 3 * 64,
        "a 3x3 grid of 64-px tiles"
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn tensors_become_datasets_with_their_value_range_mapped() {
    let (engine, _) = ganbook::script::bare_engine();
    let r: rhai::Array = engine
        .eval(
            "let x = full([4, 1, 28, 28], 255.0); \
             let d = dataset(x, #{labels: tensor([0.0, 1.0, 1.0, 2.0])}); \
             [d.len(), d.classes().len(), d.get(0).max().item(), d.batch_labeled(3).y.shape()]",
        )
        .unwrap();
    assert_eq!(r[0].as_int().unwrap(), 4);
    assert_eq!(r[1].as_int().unwrap(), 3);
    assert_eq!(r[2].as_float().unwrap(), 1.0, "bytes map to [-1, 1]");
    assert_eq!(format!("{:?}", r[3]), "[3]");
    let e = engine
        .eval::<rhai::Dynamic>("dataset(zeros([4, 1, 8, 8]), #{labels: tensor([0.0, 1.0])})")
        .unwrap_err()
        .to_string();
    assert!(e.contains("2 labels for 4 images"), "{e}");
}

#[test]
fn npy_and_idx_headers_claiming_impossible_sizes_are_errors() {
    // a shape whose product overflows once panicked (debug) or wrapped to 0 values (release)
    for shape in ["(4611686018427387904, 8)", "(18446744073709551615, 2)"] {
        let header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend((header.len() as u16).to_le_bytes());
        b.extend(header.as_bytes());
        b.extend([0u8; 16]);
        let e = npy::parse(&b).unwrap_err().0;
        assert!(
            e.contains("truncated") && e.contains(shape.trim_matches(['(', ')'])),
            "{e}"
        );
    }
    // IDX: four dimensions of 2^32 - 1
    let mut b = vec![0, 0, 0x08, 4];
    b.extend([0xff; 16]);
    assert!(idx::decode(&b).unwrap_err().0.contains("truncated"));
    assert!(
        idx::decode(&[0x1f, 0x8b, 0, 1])
            .unwrap_err()
            .0
            .contains("gzip")
    );
}

/// A folder whose images are all in sub-folders: the error names them and the two options
/// that read them, and with either option the images load.
#[test]
fn image_folder_with_only_sub_folders_says_how_to_read_them() {
    let root = tmp("subfolders");
    for class in ["cats", "dogs"] {
        std::fs::create_dir_all(root.join(class)).unwrap();
        ImageBuffer::from_pixel(8, 8, Rgb([200u8, 10, 10]))
            .save(root.join(class).join("a.png"))
            .unwrap();
    }
    let e = ImageFolder::open(&root, &FolderOptions::default())
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("2 sub-folders (cats, dogs)"), "{e}");
    assert!(
        e.contains("#{recursive: true}") && e.contains("#{labels: \"subdirs\"}"),
        "{e}"
    );
    let deep = FolderOptions {
        recursive: true,
        cache: false,
        ..Default::default()
    };
    assert_eq!(ImageFolder::open(&root, &deep).unwrap().len(), 2);
    let empty = tmp("no-images");
    let e = ImageFolder::open(&empty, &FolderOptions::default())
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("no image files (png, jpg"), "{e}");
    assert!(!e.contains("sub-folder"), "{e}");
}
