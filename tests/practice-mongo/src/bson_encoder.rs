//! BSON encoding of the documents we send (replies) and measure (batch and document sizes).
//!
//! Decoding stays with `wire`, which must refuse bad input byte by byte; encoding only ever
//! sees documents this server built, so it can be short.

use bson::{Bson, Document};

/// Serializes a document to BSON bytes.
///
/// We encode by hand because the `bson` 2 crate's serializer goes through serde, which turns
/// every ObjectId into a hex string and back: that made the 100-stream test four times
/// slower. Values this encoder does not handle (rare legacy types) take the crate's path.
pub fn document_bytes(doc: &Document) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    if encode_document(&mut out, doc.iter()).is_ok() {
        return out;
    }
    if let Ok(bytes) = bson::to_vec(doc) {
        return bytes;
    }
    // Only reachable with keys containing NUL bytes, which we never produce.
    let fallback = bson::doc! {
        "ok": 0.0,
        "errmsg": "practice-mongo could not serialize its reply",
        "code": 1,
        "codeName": "InternalError",
    };
    bson::to_vec(&fallback).unwrap_or_default()
}

/// Marker: this value needs the `bson` crate's own serializer.
struct Unsupported;

fn encode_document<'a>(
    out: &mut Vec<u8>,
    elements: impl Iterator<Item = (&'a String, &'a Bson)>,
) -> Result<(), Unsupported> {
    let start = out.len();
    out.extend_from_slice(&[0; 4]); // length, patched below
    for (key, value) in elements {
        out.push(value.element_type() as u8);
        encode_cstring(out, key)?;
        encode_value(out, value)?;
    }
    out.push(0);
    let len = i32::try_from(out.len() - start).map_err(|_| Unsupported)?;
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    Ok(())
}

fn encode_cstring(out: &mut Vec<u8>, s: &str) -> Result<(), Unsupported> {
    if s.as_bytes().contains(&0) {
        return Err(Unsupported);
    }
    out.extend_from_slice(s.as_bytes());
    out.push(0);
    Ok(())
}

fn encode_string(out: &mut Vec<u8>, s: &str) -> Result<(), Unsupported> {
    let len = i32::try_from(s.len() + 1).map_err(|_| Unsupported)?;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(s.as_bytes());
    out.push(0);
    Ok(())
}

fn encode_value(out: &mut Vec<u8>, value: &Bson) -> Result<(), Unsupported> {
    match value {
        Bson::Double(d) => out.extend_from_slice(&d.to_le_bytes()),
        Bson::String(s) | Bson::Symbol(s) | Bson::JavaScriptCode(s) => encode_string(out, s)?,
        Bson::Document(d) => encode_document(out, d.iter())?,
        Bson::Array(items) => {
            let keys: Vec<String> = (0..items.len()).map(|i| i.to_string()).collect();
            encode_document(out, keys.iter().zip(items.iter()))?;
        }
        Bson::Binary(b) if b.subtype != bson::spec::BinarySubtype::BinaryOld => {
            let len = i32::try_from(b.bytes.len()).map_err(|_| Unsupported)?;
            out.extend_from_slice(&len.to_le_bytes());
            out.push(u8::from(b.subtype));
            out.extend_from_slice(&b.bytes);
        }
        Bson::ObjectId(id) => out.extend_from_slice(&id.bytes()),
        Bson::Boolean(b) => out.push(u8::from(*b)),
        Bson::DateTime(dt) => out.extend_from_slice(&dt.timestamp_millis().to_le_bytes()),
        Bson::Null | Bson::Undefined | Bson::MaxKey | Bson::MinKey => {}
        Bson::RegularExpression(re) => {
            encode_cstring(out, &re.pattern)?;
            encode_cstring(out, &re.options)?;
        }
        Bson::Int32(i) => out.extend_from_slice(&i.to_le_bytes()),
        // A BSON timestamp is a u64: increment in the low half, seconds in the high half.
        Bson::Timestamp(t) => {
            out.extend_from_slice(&t.increment.to_le_bytes());
            out.extend_from_slice(&t.time.to_le_bytes());
        }
        Bson::Int64(i) => out.extend_from_slice(&i.to_le_bytes()),
        Bson::Decimal128(d) => out.extend_from_slice(&d.bytes()),
        _ => return Err(Unsupported),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    #[test]
    fn hand_encoder_matches_the_bson_crate() {
        use bson::oid::ObjectId;
        use bson::{Binary, DateTime, Regex, Timestamp};
        let d = doc! {
            "d": 1.5, "s": "글", "doc": {"a": [1, "x", {"b": null}]}, "oid": ObjectId::new(),
            "bin": Binary { subtype: bson::spec::BinarySubtype::Uuid, bytes: vec![1; 16] },
            "t": true, "dt": DateTime::from_millis(1_700_000_000_123), "n": null,
            "re": Regex { pattern: "^a".into(), options: "i".into() }, "i": -7, "l": 1_i64 << 40,
            "ts": Timestamp { time: 1_700_000_000, increment: 9 }, "max": Bson::MaxKey,
            "min": Bson::MinKey, "empty": [], "nested": {},
        };
        assert_eq!(document_bytes(&d), bson::to_vec(&d).unwrap());
    }
}
