//! A change event's resume token as an SSE `id`, and back (taught in lesson06).
//!
//! Every change event has an `_id`: its *resume token*. Give it back to MongoDB
//! (`watch().resume_after(token)`) and the change stream starts right after that event. So the
//! token is exactly what a browser should remember: we send it as the frame's `id:`, the browser
//! keeps it as `lastEventId`, and sends it back as the `Last-Event-ID` header when it reconnects.
//!
//! MongoDB (4.2 and later) and the practice server write a token as `{ _data: "<hex>" }`. A hex
//! string is already safe in an `id:` line (no CR, LF or NUL), so the id is simply that string:
//!
//! | the token (BSON)                                          | the SSE id                                   |
//! |-----------------------------------------------------------|----------------------------------------------|
//! | `{ _data: "8265F0A1B2000000012B0000000000000007..." }`    | `8265F0A1B2000000012B0000000000000007...`    |
//! | any other shape, e.g. with `_typeBits` (rare, see below)  | `~` and the token's BSON bytes in hex        |
//!
//! MongoDB adds `_typeBits` (binary) to a token when the document's `_id` needs it (for example a
//! number instead of an ObjectId). Such a token would not survive as `_data` alone, so it keeps
//! every byte: `~` then its whole BSON in hex. `~` is not a hex digit, so the two forms cannot be
//! confused, and both decode to the very same BSON document that MongoDB gave us.
//!
//! The id comes back from the network, so anybody can send any bytes as `~<hex>`. We read them
//! only as a token can be: one level, `_data` (a string) and maybe `_typeBits` (binary), nothing
//! else. A general BSON reader would follow nested documents by recursion, and an id of 1.8 KB
//! nested 130 levels deep overflowed the stack and killed the whole server with one request.
//! Anything that is not a token's shape decodes to `None`, and the client gets `resync`.

use mongodb::bson::raw::{RawBsonRef, RawDocument};
use mongodb::bson::{self, Binary, Bson, Document};
use mongodb::change_stream::event::ResumeToken;

/// The marker of the long form (`~` + the token's BSON bytes in hex).
const WHOLE_BSON: char = '~';
/// Ids longer than this are refused: a real token is a few hundred characters at most.
pub const MAX_ID_CHARS: usize = 4096;

/// The SSE id for `token`. Always a non-empty string of hex digits, maybe after one `~`.
pub fn encode(token: &ResumeToken) -> String {
    let document = match bson::to_bson(token) {
        Ok(Bson::Document(document)) => document,
        // The driver's tokens are always documents; anything else still round-trips below.
        Ok(other) => bson::doc! { "": other },
        Err(_) => Document::new(),
    };
    match only_data(&document) {
        Some(hex) => hex.to_owned(),
        None => {
            let mut bytes = Vec::new();
            // Writing a document into a Vec cannot fail.
            let _ = document.to_writer(&mut bytes);
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            format!("{WHOLE_BSON}{hex}")
        }
    }
}

/// The token an SSE id stands for, or `None` if the id is not one of ours.
pub fn decode(id: &str) -> Option<ResumeToken> {
    if id.is_empty() || id.len() > MAX_ID_CHARS {
        return None;
    }
    let document = match id.strip_prefix(WHOLE_BSON) {
        Some(hex) => token_fields(&from_hex(hex)?)?,
        None if is_hex(id) => bson::doc! { "_data": id },
        None => return None,
    };
    bson::from_bson(Bson::Document(document)).ok()
}

/// The long form's BSON bytes as a token, if they have a token's shape: `_data` (a string) and
/// maybe `_typeBits` (binary), each once, nothing else.
///
/// `RawDocument` reads the bytes in place, one element at a time, without descending into
/// nested documents (it only reads their length); we refuse any nested document, so no depth of
/// nesting ever reaches a recursive reader.
fn token_fields(bytes: &[u8]) -> Option<Document> {
    let raw = RawDocument::from_bytes(bytes).ok()?;
    let mut token = Document::new();
    for element in raw {
        let (key, value) = element.ok()?;
        let value = match (key, value) {
            ("_data", RawBsonRef::String(data)) => Bson::String(data.to_owned()),
            ("_typeBits", RawBsonRef::Binary(bits)) => Bson::Binary(Binary {
                subtype: bits.subtype,
                bytes: bits.bytes.to_vec(),
            }),
            _ => return None, // another key, or a value of another type (a document, ...)
        };
        if token.insert(key, value).is_some() {
            return None; // the same key twice
        }
    }
    token.contains_key("_data").then_some(token)
}

/// The `_data` string of a token that has nothing else, if it is hex.
fn only_data(token: &Document) -> Option<&str> {
    match token.get("_data") {
        Some(Bson::String(hex)) if token.len() == 1 && is_hex(hex) => Some(hex),
        _ => None,
    }
}

fn is_hex(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_hexdigit())
}

fn from_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) || !is_hex(hex) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::{doc, spec::BinarySubtype, Binary};

    fn token(document: Document) -> ResumeToken {
        bson::from_bson(Bson::Document(document)).expect("a document is a token")
    }

    fn as_document(token: &ResumeToken) -> Document {
        match bson::to_bson(token).expect("serializes") {
            Bson::Document(document) => document,
            other => panic!("not a document: {other:?}"),
        }
    }

    #[test]
    fn the_usual_token_is_its_hex_string() {
        let hex = "8265F0A1B2000000012B00000000000000070000000100";
        let usual = token(doc! { "_data": hex });
        assert_eq!(encode(&usual), hex);
        assert_eq!(decode(hex), Some(usual));
    }

    #[test]
    fn any_other_token_keeps_every_byte() {
        let with_type_bits = doc! {
            "_data": "82AB",
            "_typeBits": Binary { subtype: BinarySubtype::Generic, bytes: vec![0x40] },
        };
        let id = encode(&token(with_type_bits.clone()));
        assert!(id.starts_with('~'), "{id}");
        assert!(id[1..].bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        let back = decode(&id).expect("decodes");
        assert_eq!(as_document(&back), with_type_bits);
        // A `_data` that is not hex also takes the long form.
        let odd = doc! { "_data": "not hex" };
        assert_eq!(
            as_document(&decode(&encode(&token(odd.clone()))).unwrap()),
            odd
        );
    }

    /// `~` and the hex of `{ "": { "": ... {} } }`, `levels` deep, built by hand (BSON's own
    /// writer is recursive too).
    fn nested_id(levels: usize) -> String {
        let mut document = vec![5, 0, 0, 0, 0]; // {}
        for _ in 0..levels {
            // length, type 0x03 (document), the key "" (just its NUL), the value, the final NUL
            let length = i32::try_from(4 + 1 + 1 + document.len() + 1).expect("small");
            let mut outer = length.to_le_bytes().to_vec();
            outer.extend([0x03, 0x00]);
            outer.append(&mut document);
            outer.push(0x00);
            document = outer;
        }
        let hex: String = document.iter().map(|b| format!("{b:02x}")).collect();
        format!("{WHOLE_BSON}{hex}")
    }

    fn long_form(document: &Document) -> String {
        let mut bytes = Vec::new();
        document.to_writer(&mut bytes).expect("writes");
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        format!("{WHOLE_BSON}{hex}")
    }

    #[test]
    fn a_deeply_nested_id_is_refused_without_recursion() {
        // The id that overflowed the stack (130 levels, 1.8 KB), and the deepest that fits.
        for levels in [130, 290] {
            let id = nested_id(levels);
            assert!(
                id.len() <= MAX_ID_CHARS,
                "{levels} levels: {} chars",
                id.len()
            );
            assert_eq!(decode(&id), None, "{levels} levels");
        }
    }

    #[test]
    fn only_a_tokens_shape_decodes() {
        let bits = Binary {
            subtype: BinarySubtype::Generic,
            bytes: vec![0x40],
        };
        let refused = [
            doc! {},                                    // no _data
            doc! { "_typeBits": bits.clone() },         // no _data
            doc! { "_data": 5 },                        // _data not a string
            doc! { "_data": { "_data": "82AB" } },      // nested
            doc! { "_data": "82AB", "other": 1 },       // another key
            doc! { "_data": "82AB", "_typeBits": "x" }, // _typeBits not binary
            doc! { "_data": "82AB", "_typeBits": { "a": bits.clone() } },
            doc! { "_data": ["82AB"] },
        ];
        for document in refused {
            assert_eq!(decode(&long_form(&document)), None, "{document}");
        }
        // The same key twice (a Document cannot hold it, so by hand: {_data:"A", _data:"B"}).
        let twice = "~1f000000025f646174610002000000410002\
                     5f6461746100020000004200\
                     00";
        assert_eq!(decode(twice), None);
        let token = doc! { "_data": "82AB", "_typeBits": bits };
        assert!(decode(&long_form(&token)).is_some());
    }

    #[test]
    fn ids_that_are_not_ours_decode_to_nothing() {
        for id in ["", "hello", "12 34", "~", "~1", "~zz", "~00000000", "가나"] {
            assert_eq!(decode(id), None, "{id:?}");
        }
        assert_eq!(decode(&"A".repeat(MAX_ID_CHARS + 1)), None);
    }
}
