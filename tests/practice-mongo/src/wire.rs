//! Framing: turning bytes from a socket into requests, and replies into bytes.
//!
//! Every MongoDB message starts with the same 16-byte header (all integers little-endian):
//! `messageLength`, `requestID`, `responseTo`, `opCode`. We understand two request op codes:
//!
//! * `OP_MSG` (2013), which every modern driver uses for every command: a `u32` of flag bits,
//!   one "kind 0" section (the command document), any number of "kind 1" sections (document
//!   sequences, e.g. the `documents` of an `insert`), and an optional CRC-32C checksum (`crc32c`).
//! * `OP_QUERY` (2004), legacy, which MongoDB still accepts for the first `hello`/`isMaster` of a
//!   connection; we answer it with an `OP_REPLY` (1).
//!
//! Anything we cannot parse is a [`WireError`]. A message whose framing is wrong (a length
//! outside 16..=48,000,000, an unknown op code, unknown required flag bits, a bad checksum, a
//! malformed section) closes that one connection: after it nothing on the socket can be trusted.
//! A well-framed message whose BSON is refused (invalid BSON, invalid UTF-8, nested too deep, a
//! field given twice) gets a MongoDB error reply instead, as mongod answers a document it cannot
//! parse, and the connection carries on with the next message. Nothing in here may panic on bad
//! input, so every read is bounds-checked.

use bson::{Bson, Document, RawBsonRef, RawDocument};

use crate::bson_encoder::document_bytes;
use crate::crc32c;

/// MongoDB's `maxMessageSizeBytes`: no message may be longer than this.
pub const MAX_MESSAGE_SIZE: usize = 48_000_000;
/// MongoDB's `maxBsonObjectSize` (16 MiB): no document a user stores may be larger.
pub const MAX_BSON_OBJECT_SIZE: usize = 16 * 1024 * 1024;
/// mongod's `BSONObjMaxInternalSize`: 16 KiB more than [`MAX_BSON_OBJECT_SIZE`], so that a
/// command can wrap a document of the largest size. No BSON document on the wire may be larger.
pub const MAX_INTERNAL_BSON_SIZE: usize = MAX_BSON_OBJECT_SIZE + 16 * 1024;
/// The header every message starts with.
pub const HEADER_LEN: usize = 16;

pub const OP_REPLY: i32 = 1;
pub const OP_QUERY: i32 = 2004;
pub const OP_MSG: i32 = 2013;

/// OP_MSG flag bits (see the "OP_MSG" page of the MongoDB manual, "Legacy Opcodes"/"Wire Protocol").
pub const FLAG_CHECKSUM_PRESENT: u32 = 1 << 0;
pub const FLAG_MORE_TO_COME: u32 = 1 << 1;
pub const FLAG_EXHAUST_ALLOWED: u32 = 1 << 16;
/// The low 16 bits are "required" bits: a receiver must reject a message with an unknown one set.
const REQUIRED_BITS_WE_KNOW: u32 = FLAG_CHECKSUM_PRESENT | FLAG_MORE_TO_COME;

/// Why a message was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    pub message: String,
    /// `None`: the connection is closed. `Some`: the message was framed correctly but its BSON
    /// is refused; the client gets this error and the connection stays open.
    pub refusal: Option<Refusal>,
}

/// The MongoDB error a refused message is answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub code: i32,
    pub code_name: &'static str,
}

/// Invalid BSON (a bad length, a bad type, invalid UTF-8, nested too deep).
pub const INVALID_BSON: Refusal = Refusal {
    code: 22,
    code_name: "InvalidBSON",
};
/// A document larger than [`MAX_INTERNAL_BSON_SIZE`], as mongod says it ("BSONObj size: ...
/// is invalid").
pub const BSON_OBJECT_TOO_LARGE: Refusal = Refusal {
    code: 10334,
    code_name: "BSONObjectTooLarge",
};
/// A field given twice in one document: mongod's command parser answers 40413 ("BSON field
/// '...' is a duplicate field"). The `bson` crate's `Document` would silently keep only the
/// last value, so we refuse it everywhere, even in a document to store (see README.md).
pub const DUPLICATE_FIELD: Refusal = Refusal {
    code: 40413,
    code_name: "Location40413",
};

impl WireError {
    /// A framing error: the connection is closed.
    pub fn close(message: impl Into<String>) -> WireError {
        WireError {
            message: message.into(),
            refusal: None,
        }
    }

    /// Refused content: answered with `refusal`, the connection stays open.
    pub fn refuse(refusal: Refusal, message: impl Into<String>) -> WireError {
        WireError {
            message: message.into(),
            refusal: Some(refusal),
        }
    }
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for WireError {}

fn err<T>(msg: impl Into<String>) -> Result<T, WireError> {
    Err(WireError::close(msg))
}

fn bad_bson<T>(msg: impl Into<String>) -> Result<T, WireError> {
    Err(WireError::refuse(INVALID_BSON, msg))
}

/// Where the error reply to a refused message goes: `(op code, request id)` of the message, or
/// `None` when the connection must be closed instead (a framing error, or an OP_MSG sent with
/// `moreToCome`, whose sender reads no reply).
pub fn refusal_target(message: &[u8], error: &WireError) -> Option<(i32, i32)> {
    error.refusal?;
    let header = parse_header(message).ok()?;
    if header.op_code == OP_MSG {
        let flags = message.get(HEADER_LEN..HEADER_LEN + 4)?;
        let flags = u32::from_le_bytes([flags[0], flags[1], flags[2], flags[3]]);
        if flags & FLAG_MORE_TO_COME != 0 {
            return None;
        }
    }
    Some((header.op_code, header.request_id))
}

/// The fixed header, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub length: usize,
    pub request_id: i32,
    pub response_to: i32,
    pub op_code: i32,
}

/// Decodes and checks a header. Called as soon as 16 bytes are in, so that a bogus length
/// (negative, tiny, or 2 GB) is refused before we wait for, or allocate, the body.
pub fn parse_header(bytes: &[u8]) -> Result<Header, WireError> {
    let mut r = Reader::new(bytes);
    let length = r.i32()?;
    let request_id = r.i32()?;
    let response_to = r.i32()?;
    let op_code = r.i32()?;
    if length < HEADER_LEN as i32 || length as usize > MAX_MESSAGE_SIZE {
        return err(format!(
            "message length {length} is outside 16..={MAX_MESSAGE_SIZE}"
        ));
    }
    if op_code != OP_MSG && op_code != OP_QUERY {
        return err(format!(
            "op code {op_code} is not supported (only OP_MSG 2013 and OP_QUERY 2004)"
        ));
    }
    Ok(Header {
        length: length as usize,
        request_id,
        response_to,
        op_code,
    })
}

/// A decoded request.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// An OP_MSG. `command` already has the kind 1 document sequences folded in as arrays, so
    /// `insert` sent with a `documents` sequence looks the same as one with a `documents` array.
    Msg {
        request_id: i32,
        flags: u32,
        command: Document,
    },
    /// A legacy OP_QUERY. Only `<db>.$cmd` queries (commands) are meaningful.
    Query {
        request_id: i32,
        collection: String,
        query: Document,
    },
}

impl Request {
    pub fn request_id(&self) -> i32 {
        match self {
            Request::Msg { request_id, .. } | Request::Query { request_id, .. } => *request_id,
        }
    }
}

/// Parses one whole message (header included, exactly `header.length` bytes).
pub fn parse_message(message: &[u8]) -> Result<Request, WireError> {
    let header = parse_header(message)?;
    if message.len() != header.length {
        return err("message length does not match its header");
    }
    let body = &message[HEADER_LEN..];
    match header.op_code {
        OP_MSG => parse_op_msg(message, body, header.request_id),
        OP_QUERY => parse_op_query(body, header.request_id),
        other => err(format!("unsupported op code {other}")),
    }
}

fn parse_op_msg(message: &[u8], body: &[u8], request_id: i32) -> Result<Request, WireError> {
    let mut r = Reader::new(body);
    let flags = r.u32()?;
    let unknown_required = flags & 0xFFFF & !REQUIRED_BITS_WE_KNOW;
    if unknown_required != 0 {
        return err(format!(
            "OP_MSG has unknown required flag bits {unknown_required:#x}"
        ));
    }
    // With the checksum flag, the last 4 bytes are a CRC-32C of everything before them.
    let mut sections_end = body.len();
    if flags & FLAG_CHECKSUM_PRESENT != 0 {
        if message.len() < HEADER_LEN + 4 + 4 {
            return err("OP_MSG too short to hold its checksum");
        }
        sections_end -= 4;
        let (covered, tail) = message.split_at(message.len() - 4);
        let expected = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]);
        if crc32c::checksum(covered) != expected {
            return err("OP_MSG checksum mismatch");
        }
    }
    let mut r = Reader::new(&body[..sections_end]);
    r.skip(4)?; // the flags, read above

    let mut command: Option<Document> = None;
    let mut sequences: Vec<(String, Vec<Bson>)> = Vec::new();
    while !r.is_empty() {
        match r.u8()? {
            0 => {
                let doc = r.document()?;
                if command.replace(doc).is_some() {
                    return err("OP_MSG has more than one kind 0 section");
                }
            }
            1 => {
                let size = r.i32()?;
                if size < 5 {
                    return err(format!("OP_MSG kind 1 section size {size} is too small"));
                }
                let section = r.take(size as usize - 4)?;
                let mut s = Reader::new(section);
                let identifier = s.cstring()?;
                let mut docs = Vec::new();
                while !s.is_empty() {
                    docs.push(Bson::Document(s.document()?));
                }
                sequences.push((identifier, docs));
            }
            kind => return err(format!("OP_MSG section kind {kind} is unknown")),
        }
    }
    let Some(mut command) = command else {
        return err("OP_MSG has no kind 0 section");
    };
    for (identifier, docs) in sequences {
        if command.contains_key(&identifier) {
            return err(format!(
                "OP_MSG field {identifier:?} is both in the body and a document sequence"
            ));
        }
        command.insert(identifier, Bson::Array(docs));
    }
    Ok(Request::Msg {
        request_id,
        flags,
        command,
    })
}

fn parse_op_query(body: &[u8], request_id: i32) -> Result<Request, WireError> {
    let mut r = Reader::new(body);
    let _flags = r.i32()?;
    let collection = r.cstring()?;
    let _skip = r.i32()?;
    let _number_to_return = r.i32()?;
    let query = r.document()?;
    // An optional field selector may follow; after it there must be nothing.
    if !r.is_empty() {
        let _selector = r.document()?;
    }
    if !r.is_empty() {
        return err("OP_QUERY has trailing bytes");
    }
    Ok(Request::Query {
        request_id,
        collection,
        query,
    })
}

/// Encodes a reply as an OP_MSG with one kind 0 section and no flags.
pub fn encode_op_msg(response_to: i32, request_id: i32, reply: &Document) -> Vec<u8> {
    let body = document_bytes(reply);
    let length = HEADER_LEN + 4 + 1 + body.len();
    let mut out = Vec::with_capacity(length);
    push_header(&mut out, length, request_id, response_to, OP_MSG);
    out.extend_from_slice(&0u32.to_le_bytes());
    out.push(0);
    out.extend_from_slice(&body);
    out
}

/// Encodes a reply to an OP_QUERY: an OP_REPLY carrying exactly one document.
pub fn encode_op_reply(response_to: i32, request_id: i32, reply: &Document) -> Vec<u8> {
    let body = document_bytes(reply);
    let length = HEADER_LEN + 4 + 8 + 4 + 4 + body.len();
    let mut out = Vec::with_capacity(length);
    push_header(&mut out, length, request_id, response_to, OP_REPLY);
    out.extend_from_slice(&0i32.to_le_bytes()); // responseFlags
    out.extend_from_slice(&0i64.to_le_bytes()); // cursorID
    out.extend_from_slice(&0i32.to_le_bytes()); // startingFrom
    out.extend_from_slice(&1i32.to_le_bytes()); // numberReturned
    out.extend_from_slice(&body);
    out
}

fn push_header(out: &mut Vec<u8>, length: usize, request_id: i32, response_to: i32, op: i32) {
    // A reply is built by us from documents under 16 MB, so it always fits an i32.
    let length = i32::try_from(length).unwrap_or(i32::MAX);
    out.extend_from_slice(&length.to_le_bytes());
    out.extend_from_slice(&request_id.to_le_bytes());
    out.extend_from_slice(&response_to.to_le_bytes());
    out.extend_from_slice(&op.to_le_bytes());
}

/// A cursor over a byte slice whose every read is bounds-checked.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        if n > self.bytes.len() {
            return err(format!(
                "truncated: needed {n} bytes, {} left",
                self.bytes.len()
            ));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    fn skip(&mut self, n: usize) -> Result<(), WireError> {
        self.take(n).map(|_| ())
    }

    fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, WireError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn i32(&mut self) -> Result<i32, WireError> {
        Ok(self.u32()? as i32)
    }

    fn cstring(&mut self) -> Result<String, WireError> {
        let Some(nul) = self.bytes.iter().position(|&b| b == 0) else {
            return err("unterminated C string");
        };
        let raw = self.take(nul + 1)?;
        match std::str::from_utf8(&raw[..nul]) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => err("C string is not UTF-8"),
        }
    }

    /// Reads one BSON document, checking its length prefix against what is left and validating
    /// every element while converting it. Every error here is refused content (InvalidBSON or a
    /// duplicate field), not a framing error: the message's own length is still right.
    fn document(&mut self) -> Result<Document, WireError> {
        let Some(prefix) = self.bytes.get(..4) else {
            return bad_bson("truncated BSON document length");
        };
        let len = i32::from_le_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]);
        if len < 5 || len as usize > self.bytes.len() {
            return bad_bson(format!("BSON document length {len} is invalid here"));
        }
        if len as usize > MAX_INTERNAL_BSON_SIZE {
            return Err(WireError::refuse(
                BSON_OBJECT_TOO_LARGE,
                format!(
                    "BSONObj size: {len} (0x{len:X}) is invalid. Size must be between 0 and \
                     {MAX_INTERNAL_BSON_SIZE}(16MB)"
                ),
            ));
        }
        let raw = self.take(len as usize)?;
        let raw =
            RawDocument::from_bytes(raw).or_else(|e| bad_bson(format!("invalid BSON: {e}")))?;
        // Converting is recursive: check the depth first, so that a message nested a million
        // levels deep is refused instead of overflowing the stack (which would abort the
        // whole server, not just this connection). The same walk finds duplicate fields.
        check_document(raw, 0, &mut Vec::new())?;
        Document::try_from(raw).or_else(|e| bad_bson(format!("invalid BSON: {e}")))
    }
}

/// MongoDB refuses documents nested more than 100 levels ("BSON Document" limits in the
/// MongoDB manual's "MongoDB Limits and Thresholds"); allow a little slack for command wrappers.
/// (A document to store is held to 100: see `store::MAX_STORED_DEPTH`.)
pub const MAX_DEPTH: usize = 120;

/// Checks one document's depth and fields (no key twice), recursively but at most
/// [`MAX_DEPTH`] levels deep. `path` is where we are, for the error message.
fn check_document<'a>(
    doc: &'a RawDocument,
    depth: usize,
    path: &mut Vec<&'a str>,
) -> Result<(), WireError> {
    if depth > MAX_DEPTH {
        return bad_bson(format!("BSON nested deeper than {MAX_DEPTH} levels"));
    }
    let mut seen = std::collections::HashSet::new();
    for element in doc {
        let (key, value) = element.or_else(|e| bad_bson(format!("invalid BSON: {e}")))?;
        if !seen.insert(key) {
            path.push(key);
            let message = format!("BSON field '{}' is a duplicate field", path.join("."));
            return Err(WireError::refuse(DUPLICATE_FIELD, message));
        }
        path.push(key);
        check_value(value, depth, path)?;
        path.pop();
    }
    Ok(())
}

fn check_value<'a>(
    value: RawBsonRef<'a>,
    depth: usize,
    path: &mut Vec<&'a str>,
) -> Result<(), WireError> {
    match value {
        RawBsonRef::Document(d) => check_document(d, depth + 1, path),
        RawBsonRef::JavaScriptCodeWithScope(c) => check_document(c.scope, depth + 1, path),
        RawBsonRef::Array(a) => {
            if depth + 1 > MAX_DEPTH {
                return bad_bson(format!("BSON nested deeper than {MAX_DEPTH} levels"));
            }
            for item in a {
                let item = item.or_else(|e| bad_bson(format!("invalid BSON: {e}")))?;
                check_value(item, depth + 1, path)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;

    fn op_msg(flags: u32, sections: &[u8], checksum: bool) -> Vec<u8> {
        let len = HEADER_LEN + 4 + sections.len() + if checksum { 4 } else { 0 };
        let mut out = Vec::new();
        push_header(&mut out, len, 7, 0, OP_MSG);
        out.extend_from_slice(&flags.to_le_bytes());
        out.extend_from_slice(sections);
        if checksum {
            let crc = crc32c::checksum(&out);
            out.extend_from_slice(&crc.to_le_bytes());
        }
        out
    }

    fn kind0(doc: &Document) -> Vec<u8> {
        let mut s = vec![0u8];
        s.extend(document_bytes(doc));
        s
    }

    #[test]
    fn deeply_nested_documents_are_refused_without_overflowing_the_stack() {
        // { a: { a: { ... } } }, 200,000 levels: built from the outside in, sizes precomputed.
        let levels = 200_000usize;
        let mut doc = Vec::with_capacity(levels * 9 + 5);
        for i in 0..levels {
            let size = 5 + 8 * (levels - i);
            doc.extend((size as i32).to_le_bytes());
            doc.extend([0x03, b'a', 0]);
        }
        doc.extend([5, 0, 0, 0, 0]);
        doc.extend(std::iter::repeat_n(0u8, levels));
        let mut sections = vec![0u8];
        sections.extend(doc);
        let e = parse_message(&op_msg(0, &sections, false)).unwrap_err();
        assert!(e.message.contains("nested"), "{e}");
        assert_eq!(e.refusal, Some(INVALID_BSON));
        // 50 levels is fine.
        let mut nested = doc! {"x": 1};
        for _ in 0..50 {
            nested = doc! {"a": nested, "list": [[1]]};
        }
        assert!(parse_message(&op_msg(0, &kind0(&nested), false)).is_ok());
    }

    #[test]
    fn kind1_sequences_become_arrays() {
        let mut sections = kind0(&doc! {"insert": "post", "$db": "t"});
        let docs = [doc! {"a": 1}, doc! {"a": 2}];
        let mut seq = b"documents\0".to_vec();
        for d in &docs {
            seq.extend(document_bytes(d));
        }
        sections.push(1);
        sections.extend(((seq.len() + 4) as i32).to_le_bytes());
        sections.extend(seq);
        let Request::Msg { command, .. } = parse_message(&op_msg(0, &sections, false)).unwrap()
        else {
            panic!("not an OP_MSG")
        };
        assert_eq!(
            command,
            doc! {"insert": "post", "$db": "t", "documents": [{"a": 1}, {"a": 2}]}
        );
    }

    #[test]
    fn checksum_is_verified() {
        let sections = kind0(&doc! {"ping": 1});
        let good = op_msg(FLAG_CHECKSUM_PRESENT, &sections, true);
        assert!(parse_message(&good).is_ok());
        let mut bad = good.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0xFF;
        assert!(parse_message(&bad).is_err());
    }

    #[test]
    fn malformed_messages_are_errors_not_panics() {
        let ping = kind0(&doc! {"ping": 1});
        let cases: Vec<Vec<u8>> = vec![
            op_msg(0, &[], false),                                    // no kind 0
            op_msg(0, &[ping.clone(), ping.clone()].concat(), false), // two kind 0
            op_msg(1 << 5, &ping, false),                             // unknown required bit
            op_msg(0, &[9, 1, 2, 3], false),                          // unknown section kind
            op_msg(0, &ping[..ping.len() - 2], false),                // truncated document
            op_msg(0, &[1, 3, 0, 0, 0], false),                       // tiny kind 1
            op_msg(0, &[0, 0xFF, 0xFF, 0xFF, 0x7F], false), // document length past the end
        ];
        for case in cases {
            assert!(parse_message(&case).is_err(), "accepted {case:?}");
        }
        assert!(parse_header(&[0xFF; 16]).is_err());
        assert!(parse_header(&[4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xDD, 7, 0, 0]).is_err());
        // Every prefix of a valid message is rejected too.
        let whole = op_msg(0, &ping, false);
        for cut in 0..whole.len() {
            assert!(parse_message(&whole[..cut]).is_err());
        }
    }
}
