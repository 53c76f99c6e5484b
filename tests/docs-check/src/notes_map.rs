//! NOTES-MAP.md's tables point into the code. In each table row:
//! - `` `PATH:N-M` `` is a line range: the file exists and has lines N to M;
//! - the row's "anchor" column names `` `strings` `` that must each be inside every range of the
//!   row, so a range that no longer covers its code fails;
//! - `` `PATH.rs::name` `` is a test: the file exists and has `fn name(`;
//! - in a table with a "test" column, each row names a test there, or says `pending`, or starts
//!   with `stated` (a fact about Node itself, stated in a lesson: no Node runs here).

use crate::{Findings, Repo};

pub fn check(repo: &Repo, map: &str, out: &mut Findings) {
    let mut header: Vec<String> = Vec::new();
    for (n, line) in map.lines().enumerate() {
        let at = format!("NOTES-MAP.md:{}", n + 1);
        let Some(row) = line.trim().strip_prefix('|') else {
            header.clear();
            continue;
        };
        let cells: Vec<&str> = row
            .trim_end_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        if header.is_empty() {
            header = cells.iter().map(|c| c.to_lowercase()).collect();
            continue;
        }
        if cells.iter().all(|c| c.chars().all(|ch| "-: ".contains(ch))) {
            continue;
        }
        out.counts.map_rows += 1;
        let column = |word: &str| header.iter().position(|h| h.contains(word));
        let mut ranges = Vec::new();
        for span in crate::markdown::code_spans(row) {
            let test = span
                .split_once("::")
                .filter(|(path, _)| path.ends_with(".rs"));
            if let Some((path, name)) = test {
                check_test(repo, &at, path, name, out);
            } else if let Some((path, lines)) = span.rsplit_once(':') {
                if let Some((first, last)) = lines.split_once('-') {
                    if let (Ok(first), Ok(last)) = (first.parse::<usize>(), last.parse::<usize>()) {
                        if let Some(range) = check_range(repo, &at, path, first, last, out) {
                            ranges.push((span.clone(), range));
                        }
                    }
                }
            }
        }
        let anchors = column("anchor")
            .and_then(|c| cells.get(c))
            .map(|cell| crate::markdown::code_spans(cell))
            .unwrap_or_default();
        if !ranges.is_empty() && anchors.is_empty() {
            out.errors.push(format!(
                "{at}: a row with a line range needs an anchor (`name`) in its anchor column"
            ));
        }
        for (span, text) in &ranges {
            for anchor in &anchors {
                if !text.contains(anchor.as_str()) {
                    out.errors.push(format!(
                        "{at}: `{anchor}` is not inside `{span}`: the lines have moved; find `{anchor}` and fix the range"
                    ));
                }
            }
        }
        if let Some(cell) = column("test").and_then(|c| cells.get(c)) {
            // A fact about Node itself is stated in a lesson, not tested: no Node runs here.
            if cell.contains("pending") || cell.starts_with("stated") {
                out.listed.push(format!(
                    "{at}: not tested ({cell}): {}",
                    cells.first().unwrap_or(&"")
                ));
            } else if !cell.contains(".rs::") {
                out.errors.push(format!(
                    "{at}: the test column names no `PATH::test_fn` and says neither pending nor stated"
                ));
            }
        }
    }
}

/// The text of lines `first..=last` of `path`, when they exist.
fn check_range(
    repo: &Repo,
    at: &str,
    path: &str,
    first: usize,
    last: usize,
    out: &mut Findings,
) -> Option<String> {
    let Some(file) = repo.files.get(path) else {
        out.errors.push(format!("{at}: `{path}`: no such file"));
        return None;
    };
    let count = file.lines().count();
    if first == 0 || first > last || last > count {
        out.errors.push(format!(
            "{at}: `{path}:{first}-{last}`: not a range of lines of the file (it has {count} lines)"
        ));
        return None;
    }
    Some(
        file.lines()
            .skip(first - 1)
            .take(last - first + 1)
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

fn check_test(repo: &Repo, at: &str, path: &str, name: &str, out: &mut Findings) {
    match repo.files.get(path) {
        None => out
            .errors
            .push(format!("{at}: `{path}`: no such test file")),
        Some(file) if !file.contains(&format!("fn {name}(")) => out.errors.push(format!(
            "{at}: `{path}` has no `fn {name}(`{}",
            crate::nearest(
                name,
                file.lines().enumerate().filter_map(|(n, l)| {
                    let rest = l
                        .trim_start()
                        .strip_prefix("async fn ")
                        .or(l.trim_start().strip_prefix("fn "))?;
                    Some((n + 1, rest.split('(').next()?))
                })
            )
            .map(|(n, f)| format!("; nearest: `{f}` (line {n})"))
            .unwrap_or_default()
        )),
        Some(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(map: &str) -> Findings {
        let mut repo = Repo::default();
        repo.files.insert(
            "a.rs".into(),
            "use x;\n\nfn serve() {\n    go();\n}\n".into(),
        );
        repo.files
            .insert("t.rs".into(), "#[test]\nfn leaks_nothing() {}\n".into());
        let mut out = Findings::default();
        check(&repo, map, &mut out);
        out
    }

    const HEAD: &str = "| notes | lines | anchor | test |\n|---|---|---|---|\n";

    #[test]
    fn a_true_map_passes() {
        let out = findings(&format!(
            "{HEAD}| a | `a.rs:3-5` | `fn serve` | `t.rs::leaks_nothing` |\n| b | `a.rs:4-4` | `go()` | pending |\n"
        ));
        assert_eq!(out.errors, Vec::<String>::new());
        assert_eq!(out.listed, vec!["NOTES-MAP.md:4: not tested (pending): b"]);
    }

    #[test]
    fn a_shifted_range_a_missing_file_and_a_wrong_test_fail() {
        let out = findings(&format!(
            "{HEAD}| a | `a.rs:1-2` | `fn serve` | `t.rs::leak_nothing` |\n| b | `b.rs:1-2` | `x` | pending |\n| c | `a.rs:4-9` | `go` | pending |\n| d | `a.rs:4-4` | | nothing |\n"
        ));
        let errors = out.errors.join("\n");
        assert!(
            errors.contains("NOTES-MAP.md:3: `fn serve` is not inside `a.rs:1-2`"),
            "{errors}"
        );
        assert!(errors.contains("NOTES-MAP.md:3: `t.rs` has no `fn leak_nothing(`; nearest: `leaks_nothing` (line 2)"), "{errors}");
        assert!(
            errors.contains("NOTES-MAP.md:4: `b.rs`: no such file"),
            "{errors}"
        );
        assert!(
            errors.contains("NOTES-MAP.md:5: `a.rs:4-9`: not a range"),
            "{errors}"
        );
        assert!(
            errors.contains("NOTES-MAP.md:6: a row with a line range needs an anchor"),
            "{errors}"
        );
        assert!(
            errors.contains("NOTES-MAP.md:6: the test column names no"),
            "{errors}"
        );
        assert_eq!(out.errors.len(), 6, "{errors}");
    }
}
