//! The protobuf messages of a TensorBoard event file, written by hand with prost's derive (no
//! protoc, no build script). Only the fields ganbook writes are here; names and field numbers
//! follow TensorBoard's own copies of TensorFlow's protos, checked against the descriptors of
//! the `tensorboard` Python package (2.21):
//!
//! - `tensorboard/compat/proto/event.proto`: `Event`, `SessionLog`
//! - `tensorboard/compat/proto/summary.proto`: `Summary`, `Summary.Value`, `Summary.Image`,
//!   `SummaryMetadata`, `SummaryMetadata.PluginData`
//! - `tensorboard/compat/proto/tensor.proto`, `tensor_shape.proto`: `TensorProto`,
//!   `TensorShapeProto` (the empty tensor of an hparams summary)
//! - `tensorboard/plugins/hparams/plugin_data.proto`: `HParamsPluginData`, `SessionStartInfo`
//! - `google/protobuf/struct.proto`: `Value` (an hparam's value)
//!
//! Fields a reader does not know are skipped by protobuf's rules, so leaving fields out is safe.

use std::collections::BTreeMap;

/// `tensorboard.Event`: one record of an event file.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Event {
    /// Seconds since the Unix epoch.
    #[prost(double, tag = "1")]
    pub wall_time: f64,
    #[prost(int64, tag = "2")]
    pub step: i64,
    #[prost(oneof = "What", tags = "3, 5, 7")]
    pub what: Option<What>,
}

/// `Event.what`: what an event carries.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum What {
    /// The first record of every file: `brain.Event:2`.
    #[prost(string, tag = "3")]
    FileVersion(String),
    #[prost(message, tag = "5")]
    Summary(Summary),
    /// `SessionLog`; field 6 is the deprecated `LogMessage`.
    #[prost(message, tag = "7")]
    SessionLog(SessionLog),
}

/// `tensorboard.SessionLog`: here only `START`, which tells a reader that the run restarted
/// at the event's step (TensorBoard then drops what an earlier attempt logged from that step
/// on).
#[derive(Clone, PartialEq, prost::Message)]
pub struct SessionLog {
    /// The `SessionStatus` enum: 1 = START.
    #[prost(int32, tag = "1")]
    pub status: i32,
}

/// `SessionLog.SessionStatus.START`.
pub const SESSION_START: i32 = 1;

/// `tensorboard.Summary`: the values of one event.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Summary {
    #[prost(message, repeated, tag = "1")]
    pub value: Vec<Value>,
}

/// `tensorboard.Summary.Value`: one tagged value.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Value {
    #[prost(string, tag = "1")]
    pub tag: String,
    // before `metadata`: prost writes fields in this order, and field-number order is the
    // canonical one (what TensorBoard's own writer produces, byte for byte)
    #[prost(oneof = "Kind", tags = "2, 4, 8")]
    pub kind: Option<Kind>,
    #[prost(message, optional, tag = "9")]
    pub metadata: Option<SummaryMetadata>,
}

/// `Summary.Value.value`: a scalar, an image or a tensor.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum Kind {
    #[prost(float, tag = "2")]
    SimpleValue(f32),
    #[prost(message, tag = "4")]
    Image(Image),
    #[prost(message, tag = "8")]
    Tensor(TensorProto),
}

/// `tensorboard.Summary.Image`: an encoded (PNG) image and its size.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Image {
    #[prost(int32, tag = "1")]
    pub height: i32,
    #[prost(int32, tag = "2")]
    pub width: i32,
    /// 1 grayscale, 2 grayscale + alpha, 3 RGB, 4 RGBA.
    #[prost(int32, tag = "3")]
    pub colorspace: i32,
    #[prost(bytes = "vec", tag = "4")]
    pub encoded_image_string: Vec<u8>,
}

/// `tensorboard.SummaryMetadata`: which plugin a value is for.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SummaryMetadata {
    #[prost(message, optional, tag = "1")]
    pub plugin_data: Option<PluginData>,
}

/// `tensorboard.SummaryMetadata.PluginData`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PluginData {
    #[prost(string, tag = "1")]
    pub plugin_name: String,
    /// The plugin's own serialized message (here `HParamsPluginData`).
    #[prost(bytes = "vec", tag = "2")]
    pub content: Vec<u8>,
}

/// `tensorboard.TensorProto`, only as far as the empty float tensor an hparams summary carries
/// (TensorBoard's own hparams writer sends `dtype: DT_FLOAT, tensor_shape { dim {} }`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorProto {
    /// The `DataType` enum: 1 = DT_FLOAT.
    #[prost(int32, tag = "1")]
    pub dtype: i32,
    #[prost(message, optional, tag = "2")]
    pub tensor_shape: Option<TensorShapeProto>,
}

/// `tensorboard.TensorShapeProto`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorShapeProto {
    #[prost(message, repeated, tag = "2")]
    pub dim: Vec<Dim>,
}

/// `tensorboard.TensorShapeProto.Dim`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Dim {
    #[prost(int64, tag = "1")]
    pub size: i64,
}

/// `tensorboard.hparams.HParamsPluginData`: the content of an hparams summary. TensorBoard's
/// plugin accepts version 0 only (`PLUGIN_DATA_VERSION` in its metadata.py).
#[derive(Clone, PartialEq, prost::Message)]
pub struct HParamsPluginData {
    #[prost(int32, tag = "1")]
    pub version: i32,
    #[prost(message, optional, tag = "3")]
    pub session_start_info: Option<SessionStartInfo>,
}

/// `tensorboard.hparams.SessionStartInfo`: a run's hyperparameters.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SessionStartInfo {
    #[prost(btree_map = "string, message", tag = "1")]
    pub hparams: BTreeMap<String, PbValue>,
    #[prost(double, tag = "5")]
    pub start_time_secs: f64,
}

/// `google.protobuf.Value`, the kinds an hparam takes.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PbValue {
    #[prost(oneof = "PbKind", tags = "2, 3, 4")]
    pub kind: Option<PbKind>,
}

/// `google.protobuf.Value.kind`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum PbKind {
    #[prost(double, tag = "2")]
    NumberValue(f64),
    #[prost(string, tag = "3")]
    StringValue(String),
    #[prost(bool, tag = "4")]
    BoolValue(bool),
}
