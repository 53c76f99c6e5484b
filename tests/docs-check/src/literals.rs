//! The string literals of a Rust file, decoded to the bytes they stand for: `"…"` with escapes
//! (including `\` + newline), `b"…"`, `r#"…"#`, `br"…"`. Comments and char literals are skipped.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal {
    /// Byte offsets of the literal in the source, quotes and prefixes included.
    pub start: usize,
    pub end: usize,
    pub bytes: Vec<u8>,
}

pub fn literals(src: &str) -> Vec<Literal> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let ident_before = i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = src[i..].find('\n').map_or(b.len(), |n| i + n);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = src[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
            }
            b'\'' => i = skip_char_literal(b, i),
            b'"' => {
                let (bytes, end) = cooked(src, i + 1);
                out.push(Literal {
                    start: i,
                    end,
                    bytes,
                });
                i = end;
            }
            b'b' | b'r' if !ident_before => {
                let raw_at = if b[i] == b'b' && b.get(i + 1) == Some(&b'r') {
                    i + 1
                } else {
                    i
                };
                if b[raw_at] == b'r' {
                    let hashes = b[raw_at + 1..].iter().take_while(|c| **c == b'#').count();
                    if b.get(raw_at + 1 + hashes) == Some(&b'"') {
                        let open = raw_at + 2 + hashes;
                        let close = format!("\"{}", "#".repeat(hashes));
                        let end = src[open..].find(&close).map_or(b.len(), |n| open + n);
                        out.push(Literal {
                            start: i,
                            end: (end + close.len()).min(b.len()),
                            bytes: b[open..end].to_vec(),
                        });
                        i = end + close.len();
                        continue;
                    }
                } else if b.get(i + 1) == Some(&b'"') {
                    let (bytes, end) = cooked(src, i + 2);
                    out.push(Literal {
                        start: i,
                        end,
                        bytes,
                    });
                    i = end;
                    continue;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// `'x'`, `'\n'`, `'\u{..}'` are skipped; a lifetime (`'a`) is not a literal.
fn skip_char_literal(b: &[u8], i: usize) -> usize {
    if b.get(i + 1) == Some(&b'\\') {
        return b[i + 2..]
            .iter()
            .position(|c| *c == b'\'')
            .map_or(b.len(), |n| i + 2 + n + 1);
    }
    // One UTF-8 character, then the closing quote.
    let len = match b.get(i + 1) {
        Some(c) if *c >= 0xF0 => 4,
        Some(c) if *c >= 0xE0 => 3,
        Some(c) if *c >= 0xC0 => 2,
        _ => 1,
    };
    if b.get(i + 1 + len) == Some(&b'\'') {
        i + 2 + len
    } else {
        i + 1
    }
}

/// Decodes a non-raw literal whose body starts at `open`; returns the bytes and the offset after
/// the closing quote.
fn cooked(src: &str, open: usize) -> (Vec<u8>, usize) {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'"' => return (out, i + 1),
            b'\\' => {
                let Some(&kind) = b.get(i + 1) else { break };
                i += 2;
                match kind {
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'0' => out.push(0),
                    b'\\' | b'"' | b'\'' => out.push(kind),
                    b'x' => {
                        let hex = src.get(i..i + 2).unwrap_or("");
                        out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                        i += 2;
                    }
                    b'u' => {
                        let close = src[i..].find('}').map_or(b.len(), |n| i + n);
                        let code = src.get(i + 1..close).unwrap_or("");
                        let ch = u32::from_str_radix(code, 16)
                            .ok()
                            .and_then(char::from_u32)
                            .unwrap_or('\u{FFFD}');
                        out.extend_from_slice(ch.to_string().as_bytes());
                        i = close + 1;
                    }
                    // `\` at the end of a line: the newline and the next line's indentation vanish.
                    b'\n' | b'\r' => {
                        while i < b.len() && b[i].is_ascii_whitespace() {
                            i += 1;
                        }
                    }
                    other => out.push(other),
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    (out, b.len())
}

/// Groups literals that stand next to each other: only whitespace, commas, brackets, `&`, `+`
/// or `concat!` between them (`concat!("a\n", "b")`, `["frame 1", "frame 2"]`).
pub fn runs(src: &str, lits: &[Literal]) -> Vec<Vec<usize>> {
    let mut runs: Vec<Vec<usize>> = Vec::new();
    for (n, lit) in lits.iter().enumerate() {
        let joined = n > 0 && {
            let between = src[lits[n - 1].end..lit.start].replace("concat!", "");
            between
                .chars()
                .all(|c| c.is_whitespace() || ",()[]&+".contains(c))
        };
        match runs.last_mut() {
            Some(run) if joined => run.push(n),
            _ => runs.push(vec![n]),
        }
    }
    runs
}

/// Whether `want` is one literal of `src`, or several adjacent ones put together.
pub fn asserts(src: &str, want: &[u8]) -> bool {
    let lits = literals(src);
    runs(src, &lits).iter().any(|run| {
        (0..run.len()).any(|from| {
            let mut acc = Vec::new();
            for &n in &run[from..] {
                acc.extend_from_slice(&lits[n].bytes);
                if acc == want {
                    return true;
                }
                if !want.starts_with(&acc) {
                    return false;
                }
            }
            false
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<String> {
        literals(src)
            .into_iter()
            .map(|l| String::from_utf8(l.bytes).unwrap())
            .collect()
    }

    #[test]
    fn normal_raw_byte_and_continued_literals() {
        let src = r###"
            // "not this"
            let a = "x\n\"y\"\u{AC00}";
            let b = r#"{"a":"abc"}"#;
            let c = b"\xeb\x8d\xb0";
            let d = "one\n\
                     two";
            fn f<'a>(c: char) -> bool { c == '"' || c == 'ä' }
            /* "nor this" */
        "###;
        assert_eq!(
            texts(src),
            vec!["x\n\"y\"가", r#"{"a":"abc"}"#, "데", "one\ntwo"]
        );
    }

    #[test]
    fn adjacent_literals_join_but_others_do_not() {
        let src = r#"const F: &str = concat!("event: a\n", "data: b\n", "\n"); let x = f("data: c\n\n");"#;
        assert!(asserts(src, b"event: a\ndata: b\n\n"));
        assert!(asserts(src, b"data: b\n"));
        assert!(asserts(src, b"data: c\n\n"));
        assert!(!asserts(src, b"event: a\ndata: c\n\n"));
        assert!(!asserts(src, b"\ndata: c\n\n"), "f( is not a separator");
    }
}
