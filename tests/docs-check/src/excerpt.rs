//! Is a README excerpt really in the file it names? Lines are compared with surrounding
//! whitespace trimmed and blank lines ignored; a line that is only `// …` (or `// ...`, or in HTML
//! `<!-- … -->`) splits the excerpt into pieces that must each appear, in order. `#item` limits
//! the search to that item.

/// A file's non-blank lines, trimmed, with their 1-based numbers.
fn numbered(text: &str) -> Vec<(usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(n, l)| (n + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
        .collect()
}

pub fn is_gap(line: &str) -> bool {
    matches!(
        line.trim(),
        "// …" | "// ..." | "<!-- … -->" | "<!-- ... -->"
    )
}

/// `Err` says which excerpt line is not there (its index in `excerpt`) and why.
pub fn check(excerpt: &[&str], file: &str, item: Option<&str>) -> Result<(), (usize, String)> {
    let mut lines = numbered(file);
    if let Some(item) = item {
        let Some((first, last)) = item_lines(file, item) else {
            return Err((0, format!("there is no item `{item}` in the file")));
        };
        lines.retain(|(n, _)| (first..=last).contains(n));
    }
    let mut cursor = 0;
    let mut piece: Vec<(usize, &str)> = Vec::new();
    let wanted = excerpt
        .iter()
        .enumerate()
        .map(|(i, l)| (i, l.trim()))
        .filter(|(_, l)| !l.is_empty());
    for (i, line) in wanted.chain([(usize::MAX, "// …")]) {
        if !is_gap(line) {
            piece.push((i, line));
            continue;
        }
        if piece.is_empty() {
            continue;
        }
        match find(&lines[cursor..], &piece) {
            Some(at) => cursor += at + piece.len(),
            None => {
                // The longest start of the piece found anywhere after the cursor tells which line drifted.
                let ok = (1..piece.len())
                    .rev()
                    .find(|k| find(&lines[cursor..], &piece[..*k]).is_some())
                    .unwrap_or(0);
                let (index, bad) = piece[ok];
                // Where the part that did match ends (or where the previous piece ended).
                let matched_end = match (ok > 0).then(|| find(&lines[cursor..], &piece[..ok])) {
                    Some(Some(at)) => cursor + at + ok,
                    _ => cursor,
                };
                let after = matched_end
                    .checked_sub(1)
                    .map(|c| format!(" after line {}", lines[c].0))
                    .unwrap_or_default();
                let scope = item.map(|i| format!(" in `{i}`")).unwrap_or_default();
                let nearest = crate::nearest(bad, lines[matched_end..].iter().copied())
                    .map(|(n, l)| format!("; nearest line {n}: `{l}`"))
                    .unwrap_or_default();
                return Err((
                    index,
                    format!("`{bad}` is not there{scope}{after}{nearest}"),
                ));
            }
        }
        piece.clear();
    }
    Ok(())
}

fn find(lines: &[(usize, &str)], piece: &[(usize, &str)]) -> Option<usize> {
    lines
        .windows(piece.len())
        .position(|w| w.iter().zip(piece).all(|((_, a), (_, b))| a == b))
}

/// The 1-based first and last lines of the item `name`: its doc comments and attributes, its
/// header line (`fn name(`, `struct name`, `const name`, `function name(`, …; a name with spaces
/// such as `impl Drop for ClientGuard` is matched as written) and its body up to the matching `}`
/// (or the `;` that ends it).
pub fn item_lines(file: &str, name: &str) -> Option<(usize, usize)> {
    let lines: Vec<&str> = file.lines().collect();
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let header = lines.iter().position(|line| {
        if name.contains(' ') {
            return line.contains(name);
        }
        let kinds = [
            "fn ",
            "struct ",
            "enum ",
            "trait ",
            "type ",
            "mod ",
            "const ",
            "static ",
            "impl ",
            "function ",
            "let ",
            "class ",
        ];
        kinds.iter().any(|kind| {
            line.match_indices(&format!("{kind}{name}")).any(|(at, m)| {
                let before_ok = line[..at].chars().last().is_none_or(|c| !ident(c));
                let after_ok = line[at + m.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| !ident(c));
                before_ok && after_ok
            })
        })
    })?;
    let mut first = header;
    while first > 0 {
        let above = lines[first - 1].trim_start();
        if above.starts_with("///") || above.starts_with("#[") || above.starts_with("/**") {
            first -= 1;
        } else {
            break;
        }
    }
    Some((first + 1, end_of_item(&lines, header) + 1))
}

/// The 0-based line where the item starting at `header` ends: braces are counted outside
/// strings and comments.
fn end_of_item(lines: &[&str], header: usize) -> usize {
    let mut depth = 0usize;
    let mut opened = false;
    for (n, line) in lines.iter().enumerate().skip(header) {
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '/' if chars.peek() == Some(&'/') => break,
                '"' | '`' => {
                    let mut escaped = false;
                    for s in chars.by_ref() {
                        if s == c && !escaped {
                            break;
                        }
                        escaped = s == '\\' && !escaped;
                    }
                }
                '{' => {
                    depth += 1;
                    opened = true;
                }
                '}' => {
                    depth = depth.saturating_sub(1);
                    if opened && depth == 0 {
                        return n;
                    }
                }
                ';' if !opened => return n,
                _ => {}
            }
        }
    }
    lines.len().saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "use x;\n\n/// Says hi.\nfn hello() {\n    let s = \"}\";\n    println!(\"hi\");\n\n    done();\n}\n\nfn other() {\n    println!(\"hi\");\n}\n";

    #[test]
    fn verbatim_excerpts_pass_with_gaps_and_indentation() {
        assert_eq!(
            check(
                &["fn hello() {", "  let s = \"}\";", "", "// …", "}"],
                FILE,
                None
            ),
            Ok(())
        );
        assert_eq!(
            check(&["println!(\"hi\");", "done();"], FILE, Some("hello")),
            Ok(())
        );
        assert_eq!(item_lines(FILE, "hello"), Some((3, 9)));
        assert_eq!(item_lines(FILE, "hell"), None);
    }

    #[test]
    fn a_drifted_excerpt_fails_with_the_nearest_line() {
        let err = check(&["fn hello() {", "    println!(\"hello\");"], FILE, None).unwrap_err();
        assert_eq!(err.0, 1);
        assert!(
            err.1.contains("`println!(\"hello\");` is not there"),
            "{}",
            err.1
        );
        assert!(
            err.1.contains("nearest line 6: `println!(\"hi\");`"),
            "{}",
            err.1
        );
    }

    #[test]
    fn pieces_must_come_in_order_and_items_must_contain_them() {
        assert!(check(&["fn other() {", "// ...", "fn hello() {"], FILE, None).is_err());
        let err = check(&["done();"], FILE, Some("other")).unwrap_err();
        assert!(err.1.contains("in `other`"), "{}", err.1);
        let err = check(&["done();"], FILE, Some("missing")).unwrap_err();
        assert!(err.1.contains("no item `missing`"), "{}", err.1);
    }
}
