//! The edit block: the lines between an exercise file's `✏️ EDIT HERE` line and its
//! `✏️ END OF EDIT` line. An exercise's unsolved file and its solution are the same text apart from
//! this block, so the unsolved file is not kept anywhere: it is the solution with its block
//! replaced by the exercise's `unsolved` lines (from its `info.toml`).
//!
//! The markers are found inside whatever comment the file's language has (`// ✏️ EDIT HERE`,
//! `# ✏️ EDIT HERE`, `<!-- ✏️ EDIT HERE -->`), so a non-Rust exercise file works the same way.

/// Starts the block (the line itself stays, in the unsolved file and the solution alike).
pub const START: &str = "✏️ EDIT HERE";
/// Ends the block.
pub const END: &str = "✏️ END OF EDIT";

/// A file cut at its edit block: everything up to and with the `EDIT HERE` line, the block, and
/// everything from the `END OF EDIT` line on.
#[derive(Debug, PartialEq, Eq)]
pub struct Split<'a> {
    pub before: &'a str,
    pub block: &'a str,
    pub after: &'a str,
}

/// Cuts `text` at its one edit block, or says why the markers are wrong.
pub fn split(text: &str) -> Result<Split<'_>, String> {
    let mut starts = Vec::new();
    let mut ends = Vec::new();
    // Byte offsets of (start of the line, end of the line with its `\n`).
    let mut offset = 0;
    for (number, line) in text.split_inclusive('\n').enumerate() {
        if line.contains(START) {
            starts.push((number + 1, offset, offset + line.len()));
        }
        if line.contains(END) {
            ends.push((number + 1, offset, offset + line.len()));
        }
        offset += line.len();
    }
    match (starts.as_slice(), ends.as_slice()) {
        ([(start, _, block_from)], [(end, block_to, _)]) if start < end => Ok(Split {
            before: &text[..*block_from],
            block: &text[*block_from..*block_to],
            after: &text[*block_to..],
        }),
        _ => {
            let lines = |found: &[(usize, usize, usize)]| -> Vec<usize> {
                found.iter().map(|(line, _, _)| *line).collect()
            };
            Err(format!(
                "expected one `{START}` line and, below it, one `{END}` line; found `{START}` on lines {:?}, `{END}` on lines {:?}",
                lines(&starts),
                lines(&ends)
            ))
        }
    }
}

/// The unsolved file: `solution` with its edit block replaced by `unsolved`.
pub fn unsolved(solution: &str, unsolved: &str) -> Result<String, String> {
    let split = split(solution)?;
    Ok(format!("{}{unsolved}{}", split.before, split.after))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_block_is_found_in_any_comment_and_replaced_byte_for_byte() {
        let solution = "a\n    // ✏️ EDIT HERE · 여기를 고치세요 ───\nright();\n    // ✏️ END OF EDIT · 여기까지 ───\nb\n";
        let cut = split(solution).expect("one block");
        assert_eq!(cut.before, "a\n    // ✏️ EDIT HERE · 여기를 고치세요 ───\n");
        assert_eq!(cut.block, "right();\n");
        assert_eq!(cut.after, "    // ✏️ END OF EDIT · 여기까지 ───\nb\n");
        assert_eq!(
            unsolved(solution, "wrong();\nwrong();\n").expect("replaced"),
            "a\n    // ✏️ EDIT HERE · 여기를 고치세요 ───\nwrong();\nwrong();\n    // ✏️ END OF EDIT · 여기까지 ───\nb\n"
        );
        let config = "x 1;\n# ✏️ EDIT HERE\ny 2;\n# ✏️ END OF EDIT\n";
        assert_eq!(
            unsolved(config, "").expect("an empty block"),
            "x 1;\n# ✏️ EDIT HERE\n# ✏️ END OF EDIT\n"
        );
        // CRLF files keep their line ends: nothing is re-joined.
        let crlf = "<!-- ✏️ EDIT HERE -->\r\n<b>\r\n<!-- ✏️ END OF EDIT -->\r\n";
        assert_eq!(split(crlf).expect("one block").block, "<b>\r\n");
    }

    #[test]
    fn missing_doubled_or_reversed_markers_are_refused() {
        let error = split("no markers\n").expect_err("no block");
        assert!(error.contains("lines [], "), "{error}");
        let twice = format!("{START}\n{END}\n{START}\n{END}\n");
        let error = split(&twice).expect_err("two blocks");
        assert!(
            error.ends_with("on lines [1, 3], `✏️ END OF EDIT` on lines [2, 4]"),
            "{error}"
        );
        let reversed = format!("{END}\n{START}\n");
        assert!(split(&reversed).is_err());
    }
}
