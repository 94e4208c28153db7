//! TFRecord framing, the container of a TensorBoard event file: each record is
//!
//! ```text
//! u64 little-endian   length of the data
//! u32 little-endian   masked CRC-32C of those 8 length bytes
//! [u8; length]        the data (one serialized `Event`)
//! u32 little-endian   masked CRC-32C of the data
//! ```
//!
//! A reader stops at a record cut short at the end of the file (a writer killed mid-record
//! leaves one) and keeps every complete record before it; a CRC that does not match is damage.

use crate::err;
use crate::error::Result;
use std::path::Path;

/// TensorFlow's masked CRC-32C (`crc32c::Mask` in TensorFlow): the CRC rotated right by 15
/// bits plus a constant, so that a CRC of data that itself holds CRCs does not degenerate.
pub fn masked_crc(data: &[u8]) -> u32 {
    let crc = crc32c::crc32c(data);
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

/// Appends the record framing `data` to `out` (12 + len + 4 bytes).
pub fn frame(data: &[u8], out: &mut Vec<u8>) {
    let len = (data.len() as u64).to_le_bytes();
    out.reserve(data.len() + 16);
    out.extend_from_slice(&len);
    out.extend_from_slice(&masked_crc(&len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&masked_crc(data).to_le_bytes());
}

/// The records of a file, as far as they are complete.
#[derive(Debug, Default, PartialEq)]
pub struct Records {
    /// The data of every complete record, in order.
    pub records: Vec<Vec<u8>>,
    /// Bytes at the end that do not make a complete record (0: the file ends cleanly).
    pub truncated_bytes: usize,
}

/// Reads the records of `bytes` (from the file `path`, which errors name).
pub fn parse(bytes: &[u8], path: &Path) -> Result<Records> {
    let mut out = Records::default();
    let mut at = 0usize;
    let crc_at = |start: usize| {
        let b: [u8; 4] = bytes[start..start + 4].try_into().expect("4 bytes");
        u32::from_le_bytes(b)
    };
    while at < bytes.len() {
        let rest = bytes.len() - at;
        if rest < 12 {
            out.truncated_bytes = rest;
            break;
        }
        let len_bytes = &bytes[at..at + 8];
        if masked_crc(len_bytes) != crc_at(at + 8) {
            return Err(err!(
                "{}: damaged record at byte {at}: the length's checksum does not match",
                path.display()
            ));
        }
        let len = u64::from_le_bytes(len_bytes.try_into().expect("8 bytes"));
        let Some(end) = usize::try_from(len)
            .ok()
            .and_then(|l| (at + 12).checked_add(l))
            .and_then(|e| e.checked_add(4))
            .filter(|&e| e <= bytes.len())
        else {
            out.truncated_bytes = rest;
            break;
        };
        let data = &bytes[at + 12..end - 4];
        if masked_crc(data) != crc_at(end - 4) {
            return Err(err!(
                "{}: damaged record at byte {at}: the data's checksum does not match",
                path.display()
            ));
        }
        out.records.push(data.to_vec());
        at = end;
    }
    Ok(out)
}

/// Reads the records of the file at `path`.
pub fn read(path: &Path) -> Result<Records> {
    let bytes = std::fs::read(path).map_err(|e| err!("cannot read {}: {e}", path.display()))?;
    parse(&bytes, path)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Bytes from a hex string (as TensorBoard's Python printed them).
    pub(in crate::tfevents) fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn the_masked_crc_matches_tensorboards_own() {
        // The CRC-32C check value of "123456789" is 0xE3069283 (the CRC catalogue's `check`
        // for CRC-32/ISCSI); masked, TensorBoard's Python gives 0xc78ab0e5:
        //   from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c
        //   hex(masked_crc32c(b"123456789"))
        assert_eq!(crc32c::crc32c(b"123456789"), 0xe306_9283);
        assert_eq!(masked_crc(b"123456789"), 0xc78a_b0e5);
    }

    #[test]
    fn a_record_is_framed_as_tensorboards_record_writer_frames_it() {
        // tensorboard.summary.writer.record_writer.RecordWriter(buf).write(payload) for the
        // payload below (a serialized Event { wall_time: 1234567890.5,
        // file_version: "brain.Event:2" }), from TensorBoard 2.21's Python
        let payload = hex("090000a0b48065d2411a0d627261696e2e4576656e743a32");
        let want =
            hex("1800000000000000a37f4b22090000a0b48065d2411a0d627261696e2e4576656e743a32f5e8f016");
        let mut got = Vec::new();
        frame(&payload, &mut got);
        assert_eq!(got, want);
    }

    #[test]
    fn reading_keeps_complete_records_and_stops_at_a_cut_one() {
        let mut bytes = Vec::new();
        for data in [&b"first"[..], b"", b"third record"] {
            frame(data, &mut bytes);
        }
        let whole = parse(&bytes, Path::new("x")).unwrap();
        assert_eq!(
            whole.records,
            vec![b"first".to_vec(), vec![], b"third record".to_vec()]
        );
        assert_eq!(whole.truncated_bytes, 0);
        // every cut inside the last record leaves the first two
        let last_start = bytes.len() - (12 + 12 + 4);
        for cut in last_start..bytes.len() {
            let r = parse(&bytes[..cut], Path::new("x")).unwrap();
            assert_eq!(r.records.len(), 2, "cut at {cut}");
            assert_eq!(r.truncated_bytes, cut - last_start);
        }
    }

    #[test]
    fn a_damaged_record_is_an_error_naming_the_file() {
        let mut bytes = Vec::new();
        frame(b"some data", &mut bytes);
        bytes[14] ^= 1;
        let e = parse(&bytes, Path::new("run/events.out.tfevents.1.h")).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("run/events.out.tfevents.1.h") && text.contains("checksum"),
            "{text}"
        );
        bytes[14] ^= 1;
        bytes[3] ^= 1; // the length
        assert!(parse(&bytes, Path::new("f")).is_err());
    }
}
