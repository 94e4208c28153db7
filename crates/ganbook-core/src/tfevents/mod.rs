//! TensorBoard event files: `events.out.tfevents.<unix secs>.<hostname>` in a run folder,
//! which TensorBoard (`tensorboard --logdir outputs/`), tbparse and W&B's TensorBoard sync
//! read. The file is TFRecord framing ([`record`]) around serialized `Event` protobufs
//! ([`proto`]): first the file version, then one event per call here — scalars, an image, the
//! run's hyperparameters, a restart.
//!
//! Crash safety: each record goes to the operating system in one `write` as soon as it is
//! made (no buffer in the process, no fsync), so a process killed at any moment (`kill -9`)
//! leaves every record before the one being written, and at worst that one cut short, which
//! readers skip. Nothing here knows what wrote the values.

pub mod proto;
pub mod record;

use crate::err;
use crate::error::Result;
use prost::Message;
use proto::{Event, Kind, PbKind, PbValue, Summary, Value, What};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The version string of the first record; version 2 tells TensorBoard that steps may go
/// back (a second training loop) without it dropping data, except at a `SessionLog START`.
pub const FILE_VERSION: &str = "brain.Event:2";

/// Whether `name` is an event file's name (TensorBoard's own test: it contains "tfevents").
pub fn is_event_file(name: &str) -> bool {
    name.contains("tfevents")
}

/// One hyperparameter's value, as TensorBoard's HParams dashboard shows it.
#[derive(Clone, Debug, PartialEq)]
pub enum HParam {
    Number(f64),
    Text(String),
    Bool(bool),
}

/// An open event file, appended to record by record.
pub struct EventFile {
    path: PathBuf,
    file: std::fs::File,
    /// Reused between records: the serialized event, and the framed record.
    data: Vec<u8>,
    framed: Vec<u8>,
}

impl EventFile {
    /// Creates a new event file in `dir` (which must exist), named as TensorBoard's own
    /// writers name them, and writes the file-version record. A name already taken (two
    /// runs in one second) gets `.2`, `.3`, ... appended.
    pub fn create(dir: &Path) -> Result<EventFile> {
        let secs = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let base = format!("events.out.tfevents.{secs}.{}", hostname());
        let mut k = 1;
        let (path, file) = loop {
            let name = if k == 1 {
                base.clone()
            } else {
                format!("{base}.{k}")
            };
            let path = dir.join(name);
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(f) => break (path, f),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && k < 100 => k += 1,
                Err(e) => return Err(err!("cannot create {}: {e}", path.display())),
            }
        };
        let mut events = EventFile {
            path,
            file,
            data: Vec::new(),
            framed: Vec::new(),
        };
        events.write(&Event {
            wall_time: now(),
            step: 0,
            what: Some(What::FileVersion(FILE_VERSION.into())),
        })?;
        Ok(events)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// One event holding a scalar summary per `(tag, value)` at `step` (TensorBoard's scalars
    /// are float32: each value is rounded to the nearest).
    pub fn scalars<'a>(
        &mut self,
        step: i64,
        values: impl IntoIterator<Item = (&'a str, f64)>,
    ) -> Result<()> {
        let value = values
            .into_iter()
            .map(|(tag, v)| Value {
                tag: tag.to_string(),
                kind: Some(Kind::SimpleValue(v as f32)),
                metadata: None,
            })
            .collect();
        self.summary(step, Summary { value })
    }

    /// An image summary: `png` is the encoded image (PNG, RGB), `width` x `height` pixels.
    pub fn image(
        &mut self,
        tag: &str,
        step: i64,
        width: u32,
        height: u32,
        png: &[u8],
    ) -> Result<()> {
        let image = proto::Image {
            height: i32::try_from(height).map_err(|_| err!("image too tall: {height}"))?,
            width: i32::try_from(width).map_err(|_| err!("image too wide: {width}"))?,
            colorspace: 3,
            encoded_image_string: png.to_vec(),
        };
        let value = vec![Value {
            tag: tag.to_string(),
            kind: Some(Kind::Image(image)),
            metadata: None,
        }];
        self.summary(step, Summary { value })
    }

    /// The run's hyperparameters, as TensorBoard's HParams plugin reads them: a summary
    /// tagged `_hparams_/session_start_info` whose plugin data is a `SessionStartInfo` (what
    /// TensorBoard's own `hparams` summary writes). A later call replaces what an earlier one
    /// said for readers that keep the newest (tbparse, TensorBoard's Python loader).
    pub fn hparams(&mut self, values: &BTreeMap<String, HParam>, start_secs: f64) -> Result<()> {
        let hparams = values
            .iter()
            .map(|(k, v)| {
                let kind = match v {
                    HParam::Number(x) => PbKind::NumberValue(*x),
                    HParam::Text(s) => PbKind::StringValue(s.clone()),
                    HParam::Bool(b) => PbKind::BoolValue(*b),
                };
                (k.clone(), PbValue { kind: Some(kind) })
            })
            .collect();
        let content = proto::HParamsPluginData {
            version: 0,
            session_start_info: Some(proto::SessionStartInfo {
                hparams,
                start_time_secs: start_secs,
            }),
        }
        .encode_to_vec();
        let value = vec![Value {
            tag: "_hparams_/session_start_info".into(),
            kind: Some(Kind::Tensor(proto::TensorProto {
                dtype: 1,
                tensor_shape: Some(proto::TensorShapeProto {
                    dim: vec![proto::Dim { size: 0 }],
                }),
            })),
            metadata: Some(proto::SummaryMetadata {
                plugin_data: Some(proto::PluginData {
                    plugin_name: "hparams".into(),
                    content,
                }),
            }),
        }];
        self.summary(0, Summary { value })
    }

    /// Says that the run starts again at `step` (a resumed run): TensorBoard's loader then
    /// drops what the earlier attempt logged at `step` and after.
    pub fn restart(&mut self, step: i64) -> Result<()> {
        self.write(&Event {
            wall_time: now(),
            step,
            what: Some(What::SessionLog(proto::SessionLog {
                status: proto::SESSION_START,
            })),
        })
    }

    fn summary(&mut self, step: i64, summary: Summary) -> Result<()> {
        self.write(&Event {
            wall_time: now(),
            step,
            what: Some(What::Summary(summary)),
        })
    }

    /// Serializes, frames and writes one event in a single `write` call.
    fn write(&mut self, event: &Event) -> Result<()> {
        self.data.clear();
        event
            .encode(&mut self.data)
            .map_err(|e| err!("cannot encode an event for {}: {e}", self.path.display()))?;
        self.framed.clear();
        record::frame(&self.data, &mut self.framed);
        self.file
            .write_all(&self.framed)
            .map_err(|e| err!("cannot write {}: {e}", self.path.display()))
    }
}

/// The events of the file at `path`, as far as its records are complete; a record that is
/// damaged or does not decode is an error naming the file.
pub fn read_events(path: &Path) -> Result<Vec<Event>> {
    record::read(path)?
        .records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            Event::decode(r.as_slice())
                .map_err(|e| err!("{}: record {i} is not an event: {e}", path.display()))
        })
        .collect()
}

/// Seconds since the Unix epoch, as TensorBoard's `wall_time`.
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// This machine's name (the last part of an event file's name), or "localhost".
fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most that many bytes.
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0;
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let name: String = String::from_utf8_lossy(&buf[..end])
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    if ok && !name.is_empty() {
        name
    } else {
        "localhost".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfevents::record::tests::hex;

    #[test]
    fn events_encode_as_tensorboards_own_protobuf_code_encodes_them() {
        // TensorBoard 2.21's Python (tensorboard.compat.proto.event_pb2 / summary_pb2):
        //   Event(wall_time=1234567890.25, step=7, summary=Summary(value=[
        //     Value(tag="d_loss", simple_value=0.5), Value(tag="g_loss", simple_value=-1.25)]))
        //   .SerializeToString().hex()
        let want = hex(
            "09000090b48065d24110072a1e0a0d0a06645f6c6f7373150000003f0a0d0a06675f6c6f7373150000a0bf",
        );
        let value = [("d_loss", 0.5f32), ("g_loss", -1.25)]
            .iter()
            .map(|(t, v)| Value {
                tag: t.to_string(),
                kind: Some(Kind::SimpleValue(*v)),
                metadata: None,
            })
            .collect();
        let event = Event {
            wall_time: 1234567890.25,
            step: 7,
            what: Some(What::Summary(Summary { value })),
        };
        assert_eq!(event.encode_to_vec(), want);
    }

    #[test]
    fn a_file_reads_back_what_was_written() {
        let dir = std::env::temp_dir().join(format!("ganbook-tfevents-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut f = EventFile::create(&dir).unwrap();
        let name = f.path().file_name().unwrap().to_string_lossy().to_string();
        assert!(
            name.starts_with("events.out.tfevents.") && is_event_file(&name),
            "{name}"
        );
        f.scalars(3, [("a", 0.1), ("b", 2.0)]).unwrap();
        f.image("samples/step", 3, 2, 1, b"not really a png")
            .unwrap();
        let second = EventFile::create(&dir).unwrap();
        assert_ne!(second.path(), f.path(), "a second file in the same second");
        let events = read_events(f.path()).unwrap();
        assert_eq!(events.len(), 3);
        assert_eq!(events[0].what, Some(What::FileVersion(FILE_VERSION.into())));
        let Some(What::Summary(s)) = &events[1].what else {
            panic!("{:?}", events[1])
        };
        assert_eq!(events[1].step, 3);
        assert_eq!(s.value[0].tag, "a");
        assert_eq!(s.value[0].kind, Some(Kind::SimpleValue(0.1f64 as f32)));
        let Some(What::Summary(s)) = &events[2].what else {
            panic!("{:?}", events[2])
        };
        let Some(Kind::Image(img)) = &s.value[0].kind else {
            panic!("{s:?}")
        };
        assert_eq!((img.width, img.height), (2, 1));
        assert_eq!(img.encoded_image_string, b"not really a png");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
