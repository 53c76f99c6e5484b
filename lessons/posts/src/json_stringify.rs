//! A BSON document as the notes' Node server sends it: `JSON.stringify(result.fullDocument)`
//! (taught in lesson04).
//!
//! The browser only ever sees this text, so we write exactly what Node writes:
//!
//! | BSON value                  | what `JSON.stringify` writes                          | example                        |
//! |-----------------------------|-------------------------------------------------------|--------------------------------|
//! | ObjectId                    | its 24-digit hex string (`ObjectId.prototype.toJSON`) | `"6561f0c2a1b2c3d4e5f60718"`   |
//! | Date                        | `Date.prototype.toJSON`: UTC, milliseconds, `Z`        | `"2026-11-23T20:32:11.000Z"`   |
//! | String                      | a JSON string: `"`, `\` and control characters escaped, Korean kept as is | `"제목 \"인용\"\n"` |
//! | Int32, Int64                | a number                                              | `42`                           |
//! | Double                      | a number as JavaScript prints it; NaN and ±Infinity become `null` | `3.5`, `3`, `1e+21`  |
//! | Boolean, Null               | `true`, `false`, `null`                               |                                |
//! | embedded document, array    | an object (keys in document order) or an array        | `{"a":[1,2]}`                  |
//! | anything else               | MongoDB's relaxed Extended JSON (Node's output varies by type) | `{"$numberDecimal":"1.5"}` |
//!
//! A date outside JavaScript's range is `null`, as in Node (`toJSON` of an invalid date). One small
//! difference, on purpose: an Int64 beyond 2^53 is written exactly, where Node would round it.

use std::fmt::Write as _;

use mongodb::bson::{Bson, Document};

/// The whole document as one line of JSON (JSON never contains a raw line break, which is why it
/// fits in a single `data:` line).
pub fn to_json(document: &Document) -> String {
    let mut out = String::new();
    write_document(document, &mut out);
    out
}

fn write_document(document: &Document, out: &mut String) {
    out.push('{');
    for (i, (key, value)) in document.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(key, out);
        out.push(':');
        write_value(value, out);
    }
    out.push('}');
}

fn write_value(value: &Bson, out: &mut String) {
    match value {
        Bson::ObjectId(id) => write_string(&id.to_hex(), out),
        Bson::DateTime(date) => match js_date(date.timestamp_millis()) {
            Some(text) => write_string(&text, out),
            None => out.push_str("null"),
        },
        Bson::String(text) => write_string(text, out),
        Bson::Int32(n) => out.push_str(&n.to_string()),
        Bson::Int64(n) => out.push_str(&n.to_string()),
        Bson::Double(x) => out.push_str(&js_number(*x)),
        Bson::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Bson::Null | Bson::Undefined => out.push_str("null"),
        Bson::Document(inner) => write_document(inner, out),
        Bson::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.clone().into_relaxed_extjson().to_string()),
    }
}

/// A JSON string with the escapes `JSON.stringify` uses: `\"`, `\\`, the short forms
/// `\b \f \n \r \t`, and `\u00XX` (lower-case hex) for the other control characters.
fn write_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A number as JavaScript prints it (ECMAScript `Number::toString`): `3` not `3.0`,
/// `1e+21` not `1e21`, `1e-7` not `0.0000001`. Both languages use the shortest digits that
/// read back as the same number; only where the decimal point and exponent go differs.
fn js_number(x: f64) -> String {
    if !x.is_finite() {
        return "null".into(); // JSON.stringify(NaN) and JSON.stringify(Infinity) are "null"
    }
    if x == 0.0 {
        return "0".into(); // also for -0
    }
    // `{:e}` gives the shortest digits as `d.ddde<exp>`; value = 0.<digits> × 10^n.
    let scientific = format!("{:e}", x.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let digits = mantissa.replace('.', "");
    let k = digits.len() as i32;
    let n = exponent.parse::<i32>().unwrap_or(0) + 1;

    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize)) // 123000
    } else if 0 < n && n <= 21 {
        format!("{}.{}", &digits[..n as usize], &digits[n as usize..]) // 12.3
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize)) // 0.000123
    } else {
        let e = n - 1;
        let sign = if e < 0 { '-' } else { '+' };
        let (first, rest) = digits.split_at(1);
        let point = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        format!("{first}{point}e{sign}{}", e.abs()) // 1.23e+21
    };
    if x < 0.0 {
        format!("-{body}")
    } else {
        body
    }
}

/// `Date.prototype.toJSON` for a time in milliseconds since 1970: `YYYY-MM-DDTHH:mm:ss.sssZ`,
/// with a signed six-digit year outside 0000–9999. `None` outside JavaScript's date range.
fn js_date(millis: i64) -> Option<String> {
    const MAX: i64 = 8_640_000_000_000_000; // ±100,000,000 days: the range of a JavaScript Date
    if !(-MAX..=MAX).contains(&millis) {
        return None;
    }
    let (days, ms) = (millis.div_euclid(86_400_000), millis.rem_euclid(86_400_000));
    let (year, month, day) = civil_from_days(days);
    let (h, m, s, ms) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    let year = if (0..=9999).contains(&year) {
        format!("{year:04}")
    } else {
        format!("{}{:06}", if year < 0 { '-' } else { '+' }, year.abs())
    };
    Some(format!(
        "{year}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{ms:03}Z"
    ))
}

/// Year, month, day of the day `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mongodb::bson::{doc, oid::ObjectId, DateTime};

    #[test]
    fn a_post_as_node_writes_it() {
        let id = ObjectId::parse_str("6561f0c2a1b2c3d4e5f60718").unwrap();
        let post = doc! {
            "_id": id,
            "title": "제목 \"인용\"\n둘째 줄\t탭",
            "views": 42,
            "score": 3.5,
            "whole": 3.0,
            "big": 9_007_199_254_740_993_i64,
            "tags": ["rust", "sse"],
            "author": { "name": "민지", "admin": false },
            "deleted": null,
            "createdAt": DateTime::from_millis(1_795_465_931_000),
        };
        assert_eq!(
            to_json(&post),
            r#"{"_id":"6561f0c2a1b2c3d4e5f60718","title":"제목 \"인용\"\n둘째 줄\t탭","views":42,"score":3.5,"whole":3,"big":9007199254740993,"tags":["rust","sse"],"author":{"name":"민지","admin":false},"deleted":null,"createdAt":"2026-11-23T20:32:11.000Z"}"#
        );
    }

    #[test]
    fn strings_escape_like_json_stringify() {
        let mut out = String::new();
        write_string("\\ \u{1} \u{1f} \u{7f} / \u{2028} é", &mut out);
        assert_eq!(out, "\"\\\\ \\u0001 \\u001f \u{7f} / \u{2028} é\"");
    }

    #[test]
    fn numbers_print_like_javascript() {
        let cases = [
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-2.5, "-2.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (123456789012345680000.0, "123456789012345680000"),
            (1e21, "1e+21"),
            (1.5e300, "1.5e+300"),
            (0.000001, "0.000001"),
            (1e-7, "1e-7"),
            (1.25e-7, "1.25e-7"),
            (f64::NAN, "null"),
            (f64::INFINITY, "null"),
        ];
        for (x, js) in cases {
            assert_eq!(js_number(x), js, "{x:?}");
        }
    }

    #[test]
    fn dates_print_like_date_to_json() {
        assert_eq!(js_date(0).unwrap(), "1970-01-01T00:00:00.000Z");
        assert_eq!(js_date(-1).unwrap(), "1969-12-31T23:59:59.999Z");
        assert_eq!(
            js_date(951_782_400_123).unwrap(),
            "2000-02-29T00:00:00.123Z"
        );
        assert_eq!(
            js_date(-62_198_755_200_000).unwrap(),
            "-000001-01-01T00:00:00.000Z"
        );
        assert_eq!(
            js_date(253_402_300_800_000).unwrap(),
            "+010000-01-01T00:00:00.000Z"
        );
        assert_eq!(js_date(8_640_000_000_000_001), None);
    }
}
