//! Just enough Markdown for the checks: fenced blocks (with the marker line just before them) and
//! inline code spans, each with its line number.
//!
//! Hand-parsed on purpose: the READMEs use only fences, code spans and tables, and every message
//! must name the exact README line; a Markdown crate would add a dependency and hide line numbers.

/// What the `<!-- … -->` line just before a fence says about the block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marker {
    /// `<!-- from: PATH -->` or `<!-- from: PATH#item -->`: an excerpt of that file.
    From { path: String, item: Option<String> },
    /// `<!-- illustration: why -->`: code that is on purpose not in the repository.
    Illustration(String),
    /// `<!-- wire: PATH -->`: bytes that the test file PATH asserts.
    Wire(String),
}

#[derive(Debug, Clone)]
pub struct Block {
    /// 1-based line of the opening fence.
    pub line: usize,
    /// The fence's info string, lower-cased (`rust`, `sh`, `""`).
    pub lang: String,
    pub marker: Option<Marker>,
    /// The content lines, with the fence's indentation removed, each with its 1-based line.
    pub lines: Vec<(usize, String)>,
}

/// A `` `code span` `` outside fences.
#[derive(Debug, Clone)]
pub struct Span {
    pub line: usize,
    pub text: String,
    /// The whole Markdown line the span is on (for context such as a table row's lesson).
    pub context: String,
}

#[derive(Debug, Default)]
pub struct Doc {
    pub blocks: Vec<Block>,
    pub spans: Vec<Span>,
    /// Lines that are wrong in themselves: a marker not followed by a fence, an unclosed fence.
    pub problems: Vec<(usize, String)>,
}

/// Parses `<!-- kind: arg -->`; `None` when the line is not one of our markers.
pub fn parse_marker(line: &str) -> Option<Result<Marker, String>> {
    let inner = line
        .trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")?
        .trim();
    let (kind, arg) = inner.split_once(':')?;
    let arg = arg.trim().to_owned();
    let marker = match kind.trim() {
        "from" => {
            let (path, item) = match arg.split_once('#') {
                Some((path, item)) => (path.to_owned(), Some(item.to_owned())),
                None => (arg.clone(), None),
            };
            Marker::From { path, item }
        }
        "illustration" => Marker::Illustration(arg),
        "wire" => Marker::Wire(arg),
        _ => return None,
    };
    if matches!(&marker, Marker::From { path, .. } | Marker::Wire(path) if path.is_empty()) {
        return Some(Err(format!("marker `{}` names no file", line.trim())));
    }
    Some(Ok(marker))
}

pub fn parse(text: &str) -> Doc {
    let mut doc = Doc::default();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        if let Some(fence) = fence_of(trimmed) {
            let indent = line.len() - trimmed.len();
            // `rust,ignore` or `rust no_run` is still rust.
            let info = trimmed[fence.len()..].trim().to_lowercase();
            let lang = info.split([',', ' ']).next().unwrap_or("").to_owned();
            let marker = match i.checked_sub(1).and_then(|p| parse_marker(lines[p])) {
                Some(Ok(marker)) => Some(marker),
                Some(Err(problem)) => {
                    doc.problems.push((i, problem));
                    None
                }
                None => None,
            };
            let mut block = Block {
                line: i + 1,
                lang,
                marker,
                lines: Vec::new(),
            };
            i += 1;
            let mut closed = false;
            while i < lines.len() {
                let content = lines[i];
                if content.trim() == fence {
                    closed = true;
                    break;
                }
                // Remove the fence's own indentation (a block inside a list item), no more.
                let cut = content.len() - content.trim_start().len();
                block
                    .lines
                    .push((i + 1, content[cut.min(indent)..].to_owned()));
                i += 1;
            }
            if !closed {
                doc.problems
                    .push((block.line, "this fence is never closed".to_owned()));
            }
            doc.blocks.push(block);
        } else {
            let fence_next = lines
                .get(i + 1)
                .is_some_and(|l| fence_of(l.trim_start()).is_some());
            if parse_marker(line).is_some() && !fence_next {
                doc.problems.push((
                    i + 1,
                    "a marker must be on the line just before a fence (```)".to_owned(),
                ));
            }
            for text in code_spans(line) {
                doc.spans.push(Span {
                    line: i + 1,
                    text,
                    context: line.to_owned(),
                });
            }
        }
        i += 1;
    }
    doc
}

/// The fence (three or more backticks) that opens a block, if the line starts with one.
fn fence_of(trimmed: &str) -> Option<&str> {
    let ticks = trimmed.len() - trimmed.trim_start_matches('`').len();
    (ticks >= 3).then(|| &trimmed[..ticks])
}

/// The code spans of one line: `` `x` `` and ``` `` x `` ```, as CommonMark reads them on one line.
pub fn code_spans(line: &str) -> Vec<String> {
    let mut spans = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        let after = &rest[start..];
        let ticks = after.len() - after.trim_start_matches('`').len();
        let opener = &after[..ticks];
        let body = &after[ticks..];
        match body.find(opener) {
            Some(end) => {
                spans.push(body[..end].trim().to_owned());
                rest = &body[end + ticks..];
            }
            None => break,
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_markers_and_spans_with_their_lines() {
        let doc = parse(
            "Run `cargo run -p a`.\n<!-- from: src/a.rs#main -->\n```rust\nfn main() {}\n```\n\n- item:\n   <!-- wire: t.rs -->\n   ```\n   data: x\n\n   ```\n",
        );
        assert_eq!(doc.problems, vec![]);
        assert_eq!(doc.spans[0].text, "cargo run -p a");
        assert_eq!(doc.blocks.len(), 2);
        assert_eq!(doc.blocks[0].line, 3);
        assert_eq!(
            doc.blocks[0].marker,
            Some(Marker::From {
                path: "src/a.rs".into(),
                item: Some("main".into())
            })
        );
        assert_eq!(doc.blocks[1].marker, Some(Marker::Wire("t.rs".into())));
        assert_eq!(
            doc.blocks[1].lines,
            vec![(10, "data: x".to_owned()), (11, String::new())]
        );
    }

    #[test]
    fn a_marker_away_from_a_fence_is_a_problem() {
        let doc = parse("<!-- from: a.rs -->\n\n```rust\nx\n```\n");
        assert_eq!(doc.problems.len(), 1);
        assert_eq!(doc.problems[0].0, 1);
        assert_eq!(doc.blocks[0].marker, None);
    }

    #[test]
    fn double_backtick_spans() {
        assert_eq!(
            code_spans("a `` res.write(`x`) `` and `b`"),
            vec!["res.write(`x`)", "b"]
        );
    }
}
