//! The run's TensorBoard events file (`events.out.tfevents.*` in the run folder, written by
//! the core's `tfevents`): every `log` row as scalars at its step, every image the run saves
//! (grids, plots, histograms, scatter pictures, previews) as an image summary, and the run's
//! parameters as hparams — `--set` values and every `param` the script read, with the value
//! it got — written before the first summary and again at the end if the script read more.
//! A resumed run's file starts with a restart at the step after its checkpoint.
//!
//! Writing the file never stops a run: the first failure (a full disk) is a warning naming the
//! file, and no more events are written.

use super::logbook::Row;
use super::{Changing, RunState};
use crate::error::Result;
use crate::tfevents::{EventFile, HParam};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// An open events file and what has been written to it.
pub struct Events {
    file: EventFile,
    /// The hparams last written (None: not yet).
    hparams: Option<BTreeMap<String, HParam>>,
    /// When the run opened the file (the hparams' `start_time_secs`).
    started: f64,
}

impl RunState {
    /// Opens the run's events file in its run folder (a resumed run's says that it restarts
    /// after its checkpoint's step) and returns its path.
    pub fn open_events(&self) -> Result<PathBuf> {
        std::fs::create_dir_all(&self.out_dir).map_err(|e| {
            crate::err!(
                "cannot create the run folder {}: {e}",
                self.out_dir.display()
            )
        })?;
        let mut file = EventFile::create(&self.out_dir)?;
        let mut c = self.changing();
        if let Some(step) = c.resume {
            file.restart(step + 1)?;
        }
        let path = file.path().to_path_buf();
        c.events = Some(Events {
            file,
            hparams: None,
            started: crate::tfevents::now(),
        });
        Ok(path)
    }

    /// The events file's path, while one is open.
    pub fn events_path(&self) -> Option<PathBuf> {
        let c = self.changing();
        c.events.as_ref().map(|e| e.file.path().to_path_buf())
    }

    /// Saves `img` as a PNG at `path` (atomically, creating its folder) and sends it to the
    /// events file as an image summary tagged by [`image_tag`].
    pub fn save_image(&self, img: &image::RgbImage, path: &Path) -> Result<()> {
        let png = crate::viz::save_png(img, path)?;
        let mut c = self.changing();
        let (tag, step) = image_tag(&self.out_dir, path, c.step);
        let (w, h) = img.dimensions();
        self.with_events(&mut c, |e| e.file.image(&tag, step, w, h, &png));
        Ok(())
    }

    /// The end of a run: the hparams again if the script read a param since they were written.
    pub fn finish_events(&self) {
        let mut c = self.changing();
        let now = hparams(&self.params, &c.used_params);
        self.with_events(&mut c, |e| match &e.hparams {
            Some(written) if *written == now => Ok(()),
            _ => e.write_hparams(now),
        });
    }

    /// A `log` row as scalars at its step.
    pub(super) fn log_events(&self, c: &mut Changing, row: &Row) {
        self.with_events(c, |e| {
            e.file
                .scalars(row.step, row.values.iter().map(|(k, v)| (k.as_str(), *v)))
        });
    }

    /// Runs `f` on the open events file, the hparams written first if they are not yet; a
    /// failure is warned about once and closes the file.
    fn with_events(&self, c: &mut Changing, f: impl FnOnce(&mut Events) -> Result<()>) {
        let Some(events) = c.events.as_mut() else {
            return;
        };
        let result = match events.hparams {
            Some(_) => f(events),
            None => events
                .write_hparams(hparams(&self.params, &c.used_params))
                .and_then(|()| f(events)),
        };
        if let Err(e) = result {
            c.log.break_status_line();
            eprintln!("warning: {e}; no more TensorBoard events are written for this run");
            c.events = None;
        }
    }
}

impl Events {
    fn write_hparams(&mut self, values: BTreeMap<String, HParam>) -> Result<()> {
        self.file.hparams(&values, self.started)?;
        self.hparams = Some(values);
        Ok(())
    }
}

/// The hparams of a run: each `--set` value (a number or true/false where it reads as one,
/// else text), replaced by the value the script got where it read that param, and every
/// other param it read.
pub fn hparams(
    sets: &BTreeMap<String, String>,
    used: &BTreeMap<String, serde_json::Value>,
) -> BTreeMap<String, HParam> {
    let mut out: BTreeMap<String, HParam> = sets
        .iter()
        .map(|(k, v)| {
            let value = match v.trim() {
                "true" => HParam::Bool(true),
                "false" => HParam::Bool(false),
                t => t
                    .parse::<f64>()
                    .map_or_else(|_| HParam::Text(v.clone()), HParam::Number),
            };
            (k.clone(), value)
        })
        .collect();
    for (k, v) in used {
        let value = match v {
            serde_json::Value::Null => continue,
            serde_json::Value::Bool(b) => HParam::Bool(*b),
            serde_json::Value::Number(n) => n
                .as_f64()
                .map_or(HParam::Text(n.to_string()), HParam::Number),
            serde_json::Value::String(s) => HParam::Text(s.clone()),
            other => HParam::Text(other.to_string()),
        };
        out.insert(k.clone(), value);
    }
    out
}

/// The tag and step of an image saved at `path` in the run folder `out_dir`: its path there
/// without `.png` (`plots/losses`), except that a `step_000300` file gives the tag
/// `<folder>/step` and step 300, so that one series' images are one TensorBoard card with a
/// step slider; any other image is at `current` (the last `log`'s step; 0 before any).
pub fn image_tag(out_dir: &Path, path: &Path, current: Option<i64>) -> (String, i64) {
    let rel = path.strip_prefix(out_dir).unwrap_or(path);
    let rel = rel.with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let mut step = current.unwrap_or(0);
    if let Some(last) = parts.last_mut()
        && let Some(n) = last
            .strip_prefix("step_")
            .and_then(|d| d.parse::<i64>().ok())
    {
        step = n;
        *last = "step".into();
    }
    (parts.join("/"), step)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_series_is_one_tag_and_other_images_take_the_current_step() {
        let out = Path::new("/runs/a");
        let tag = |p: &str, cur| image_tag(out, Path::new(p), cur);
        assert_eq!(
            tag("/runs/a/samples/step_000300.png", Some(7)),
            ("samples/step".into(), 300)
        );
        assert_eq!(
            tag("/runs/a/plain/step_001200.png", None),
            ("plain/step".into(), 1200)
        );
        assert_eq!(
            tag("/runs/a/plots/losses.png", Some(42)),
            ("plots/losses".into(), 42)
        );
        assert_eq!(tag("/runs/a/faces.png", None), ("faces".into(), 0));
        assert_eq!(
            tag("/runs/a/samples/step_x.png", Some(5)),
            ("samples/step_x".into(), 5)
        );
    }

    #[test]
    fn hparams_take_the_value_the_script_got() {
        let sets = BTreeMap::from([
            ("lr".to_string(), "1e-3".to_string()),
            ("loss".to_string(), "wgan".to_string()),
            ("pack".to_string(), "true".to_string()),
            ("steps".to_string(), "50".to_string()),
        ]);
        let used = BTreeMap::from([
            ("steps".to_string(), serde_json::json!(50)),
            ("batch".to_string(), serde_json::json!(64)),
            ("refused".to_string(), serde_json::Value::Null),
        ]);
        let h = hparams(&sets, &used);
        assert_eq!(h["lr"], HParam::Number(0.001));
        assert_eq!(h["loss"], HParam::Text("wgan".into()));
        assert_eq!(h["pack"], HParam::Bool(true));
        assert_eq!(h["steps"], HParam::Number(50.0));
        assert_eq!(h["batch"], HParam::Number(64.0));
        assert!(!h.contains_key("refused"));
    }
}
