//! Keeps the text true to the code (issue 12, part 2). `cargo test -p docs-check` checks:
//!
//! - every ```rust / ```js / ```html block of a lesson README has a marker on the line just
//!   before it: `<!-- from: PATH -->` / `<!-- from: PATH#item -->` (the block must be in that
//!   file, or in that item, verbatim: see `excerpt`), or `<!-- illustration: why -->` (listed,
//!   not checked);
//! - every block marked `<!-- wire: PATH -->` is bytes that PATH's string literals assert (see
//!   `wire_bytes` and `literals::asserts`);
//! - every `cargo …` and `curl …` in the READMEs (sh blocks and inline code) names packages,
//!   binaries, test targets, env vars and routes that exist (see `commands`);
//! - inline code that names a path or, in a lesson README, a function (`raw_body()`) names one
//!   that exists (see `check_name`);
//! - NOTES-MAP.md: its files exist, its line ranges are inside them and contain their anchors,
//!   and the tests it names exist (see `notes_map`).

pub mod commands;
pub mod excerpt;
pub mod literals;
pub mod markdown;
pub mod notes_map;
pub mod repo;

use markdown::Marker;
use repo::Repo;

/// What a check found: `errors` fail the test; `listed` are only shown (illustrations, blocks
/// that nothing checks).
#[derive(Debug, Default)]
pub struct Findings {
    pub errors: Vec<String>,
    pub listed: Vec<String>,
    /// How many excerpts, wire samples, commands and map rows were checked.
    pub counts: Counts,
}

#[derive(Debug, Default)]
pub struct Counts {
    pub excerpts: usize,
    pub wire: usize,
    pub commands: usize,
    pub names: usize,
    pub map_rows: usize,
}

/// The languages whose blocks must say where they come from.
const CODE: [&str; 5] = ["rust", "rs", "js", "javascript", "html"];
const SHELL: [&str; 4] = ["sh", "bash", "shell", "console"];

/// Checks one README (`path` relative to the repository root).
pub fn check_readme(repo: &Repo, path: &str, text: &str, out: &mut Findings) {
    let lesson = path
        .strip_prefix("lessons/")
        .and_then(|rest| rest.strip_suffix("/README.md"))
        .filter(|name| !name.contains('/'))
        .map(str::to_owned);
    let doc = markdown::parse(text);
    for (line, problem) in &doc.problems {
        out.errors.push(format!("{path}:{line}: {problem}"));
    }
    for block in &doc.blocks {
        let at = format!("{path}:{}", block.line);
        match &block.marker {
            Some(Marker::From { path: source, item }) => {
                check_excerpt(repo, path, block, source, item.as_deref(), out)
            }
            Some(Marker::Wire(source)) => check_wire(repo, &at, block, source, out),
            Some(Marker::Illustration(why)) => {
                out.listed.push(format!("{at}: illustration ({why})"))
            }
            None if CODE.contains(&block.lang.as_str()) && lesson.is_some() => out.errors.push(format!(
                "{at}: a ```{} block needs `<!-- from: PATH -->` (or `<!-- illustration: why -->`) on the line just before it",
                block.lang
            )),
            None if SHELL.contains(&block.lang.as_str()) => {
                // Packages named in the block tell which lesson a `curl` talks to.
                let named = block
                    .lines
                    .iter()
                    .flat_map(|(_, l)| commands::commands(l))
                    .filter_map(|c| commands::cargo(&c))
                    .flat_map(|c| c.packages);
                let lessons = context(&lesson, named, "");
                for (line, text) in &block.lines {
                    for command in commands::commands(text) {
                        out.counts.commands += 1;
                        for problem in commands::check(repo, &command, &lessons) {
                            out.errors.push(format!("{path}:{line}: {problem}"));
                        }
                    }
                }
            }
            None if !block.lang.is_empty() && block.lang != "text" => {}
            None => out.listed.push(format!(
                "{at}: a ```{} block with no marker: nothing checks it",
                block.lang
            )),
        }
    }
    for span in &doc.spans {
        check_name(repo, path, span, out);
        let cmds = commands::commands(&span.text);
        let named = cmds
            .iter()
            .filter_map(commands::cargo)
            .flat_map(|c| c.packages);
        let lessons = context(&lesson, named, &span.context);
        for command in cmds {
            if !matches!(
                command.words.first().map(String::as_str),
                Some("cargo" | "curl")
            ) {
                continue;
            }
            out.counts.commands += 1;
            for problem in commands::check(repo, &command, &lessons) {
                out.errors.push(format!("{path}:{}: {problem}", span.line));
            }
        }
    }
}

/// Inline code that names our code must name something that exists:
/// - a path (`src/feed.rs`, `tests/lesson-tests/tests/lesson04.rs`, `exercises/`), from the
///   README's folder, from the root, or inside some folder (`src/serve.rs` of every lesson);
/// - in a lesson README, a function, `raw_body()` or `mongo::connect()`: some Rust, JS or HTML
///   file has `raw_body(`.
///
/// Not checked: JavaScript (a `.` before the parentheses as in `res.flushHeaders()`, or
/// camelCase), and patterns rather than names (`NN`, `<…>`, `…`).
fn check_name(repo: &Repo, readme: &str, span: &markdown::Span, out: &mut Findings) {
    let text = span.text.as_str();
    if text.contains("NN") || text.contains(['<', '…']) {
        return;
    }
    let at = format!("{readme}:{}", span.line);
    let is_path = text.contains('/')
        && !text.contains([' ', ':', '='])
        && !text.starts_with(['/', '.', '-'])
        && (text.ends_with('/') || text.rsplit('/').next().is_some_and(|f| f.contains('.')));
    if is_path {
        out.counts.names += 1;
        let folder = readme.rsplit_once('/').map_or("", |(dir, _)| dir);
        // A file, or a folder that holds one; `src/serve.rs` may also mean every lesson's.
        let exists = |p: &str| {
            let folder = format!("{}/", p.trim_end_matches('/'));
            repo.files.contains_key(p) || repo.files.keys().any(|f| f.starts_with(&folder))
        };
        let inside = format!("/{text}");
        let somewhere = repo.files.keys().any(|f| f.ends_with(&inside));
        if !exists(text) && !exists(&format!("{folder}/{text}")) && !somewhere {
            out.errors.push(format!("{at}: `{text}`: no such file or folder (from the root or from the README's folder)"));
        }
        return;
    }
    // Functions are checked in the lesson READMEs, which quote the lessons' code.
    let in_lesson = readme.starts_with("lessons/");
    let Some(call) = text.strip_suffix("()").filter(|_| in_lesson) else {
        return;
    };
    let name = call.rsplit("::").next().unwrap_or(call);
    let plain = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_');
    // camelCase is the notes' JavaScript (`setInterval()`), not a name of ours to check.
    let camel = name.chars().any(|c| c.is_ascii_uppercase());
    if camel || !plain(name) || !call.split("::").all(plain) {
        return;
    }
    out.counts.names += 1;
    let called = format!("{name}(");
    let found = repo.files.iter().any(|(path, code)| {
        [".rs", ".js", ".html"]
            .iter()
            .any(|ext| path.ends_with(ext))
            && code.contains(&called)
    });
    if !found {
        out.errors.push(format!(
            "{at}: `{text}`: no Rust, JS or HTML file has `{called}`: was it renamed?"
        ));
    }
}

/// The lessons a `curl` may be talking to: the README's own lesson, the lesson packages named
/// next to it, and (in the root README's tables) a `lessonNN` on the same line. Empty: any lesson.
fn context(
    lesson: &Option<String>,
    named: impl Iterator<Item = String>,
    line: &str,
) -> Vec<String> {
    let is_lesson = |name: &str| {
        name.strip_prefix("lesson")
            .is_some_and(|n| n.len() == 2 && n.chars().all(|c| c.is_ascii_digit()))
    };
    let mut lessons: Vec<String> = lesson.iter().cloned().collect();
    lessons.extend(named.filter(|p| is_lesson(p)));
    if lesson.is_none() {
        let words = line.split(|c: char| !c.is_ascii_alphanumeric());
        lessons.extend(words.filter(|w| is_lesson(w)).map(str::to_owned));
    }
    lessons
}

fn check_excerpt(
    repo: &Repo,
    readme: &str,
    block: &markdown::Block,
    source: &str,
    item: Option<&str>,
    out: &mut Findings,
) {
    let Some(file) = repo.files.get(source) else {
        out.errors.push(format!(
            "{readme}:{}: `<!-- from: {source} -->`: there is no such file",
            block.line - 1
        ));
        return;
    };
    out.counts.excerpts += 1;
    let lines: Vec<&str> = block.lines.iter().map(|(_, l)| l.as_str()).collect();
    if let Err((index, why)) = excerpt::check(&lines, file, item) {
        let line = block.lines.get(index).map_or(block.line, |(n, _)| *n);
        out.errors.push(format!(
            "{readme}:{line}: this excerpt has drifted from {source}: {why}"
        ));
    }
}

/// The bytes a wire block stands for. Written out, its lines are joined by `\n`, plus a final
/// `\n` (so a trailing blank line inside the block is the frame's blank line). Written escaped,
/// every line ending in a literal `\n` (`data: x\n`), the lines are put together and the escapes
/// `\n`, `\r`, `\t`, `\\`, `\"` decoded.
pub fn wire_bytes(lines: &[&str]) -> Vec<Vec<u8>> {
    let escaped = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .all(|l| l.trim_end().ends_with("\\n"));
    if escaped {
        let joined: String = lines.iter().map(|l| l.trim_end()).collect();
        let mut bytes = Vec::new();
        let mut chars = joined.chars();
        while let Some(c) = chars.next() {
            let decoded = match c {
                '\\' => match chars.next() {
                    Some('n') => '\n',
                    Some('r') => '\r',
                    Some('t') => '\t',
                    Some(other) => other,
                    None => '\\',
                },
                c => c,
            };
            bytes.extend_from_slice(decoded.to_string().as_bytes());
        }
        return vec![bytes];
    }
    ["\n", "\r\n"]
        .iter()
        .map(|eol| {
            let mut text = lines.join(eol);
            text.push_str(eol);
            text.into_bytes()
        })
        .collect()
}

fn check_wire(repo: &Repo, at: &str, block: &markdown::Block, source: &str, out: &mut Findings) {
    let Some(file) = repo.files.get(source) else {
        out.errors.push(format!(
            "{at}: `<!-- wire: {source} -->`: there is no such file"
        ));
        return;
    };
    out.counts.wire += 1;
    let lines: Vec<&str> = block.lines.iter().map(|(_, l)| l.as_str()).collect();
    let wanted = wire_bytes(&lines);
    if wanted.iter().any(|w| literals::asserts(file, w)) {
        return;
    }
    let shown = String::from_utf8_lossy(&wanted[0]);
    // The nearest of the literals, and of the runs of adjacent literals put together.
    let lits = literals::literals(file);
    let singles = (0..lits.len()).map(|n| vec![n]);
    let nearest = singles
        .chain(literals::runs(file, &lits))
        .map(|run| {
            let bytes: Vec<u8> = run.iter().flat_map(|n| lits[*n].bytes.clone()).collect();
            let line = file[..lits[run[0]].start].matches('\n').count() + 1;
            (line, String::from_utf8_lossy(&bytes).into_owned())
        })
        .filter(|(_, text)| text.len() < 4096)
        .map(|(line, text)| (distance(&shown, &text), line, text))
        .min()
        .map(|(_, line, text)| format!("; nearest literal, {source}:{line}: {text:?}"))
        .unwrap_or_default();
    out.errors.push(format!(
        "{at}: this wire sample {shown:?} is not asserted by {source}: no string literal, or run of adjacent literals, is these bytes{nearest}"
    ));
}

/// Levenshtein distance in characters.
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1)
                .min(row[j] + 1)
                .min(diag + usize::from(ca != *cb));
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// The line most like `wanted`, when it is at least half the same.
pub fn nearest<'a>(
    wanted: &str,
    lines: impl Iterator<Item = (usize, &'a str)>,
) -> Option<(usize, &'a str)> {
    let len = wanted.chars().count();
    lines
        .map(|(n, l)| (distance(wanted, l), n, l))
        .filter(|(d, _, l)| *d * 2 <= len.max(l.chars().count()))
        .min()
        .map(|(_, n, l)| (n, l))
}

/// Every check on the repository: each Markdown file (the lesson READMEs with the code-block
/// rules), then NOTES-MAP.md.
pub fn check_all(repo: &Repo) -> Findings {
    let mut out = Findings::default();
    // Every Markdown file of ours (the lesson READMEs also get the code-block rules).
    let readmes: Vec<&String> = repo
        .files
        .keys()
        .filter(|p| p.ends_with(".md") && !p.starts_with("tutor/tests/fixtures/"))
        .filter(|p| *p != "NOTES-MAP.md")
        .collect();
    for path in readmes {
        check_readme(repo, path, &repo.files[path], &mut out);
    }
    match repo.files.get("NOTES-MAP.md") {
        Some(map) => notes_map::check(repo, map, &mut out),
        None => out.errors.push("NOTES-MAP.md: missing".to_owned()),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_with(files: &[(&str, &str)]) -> Repo {
        let mut repo = Repo::default();
        for (path, text) in files {
            repo.files.insert((*path).to_owned(), (*text).to_owned());
        }
        repo.packages.push(repo::Package {
            name: "lesson09".into(),
            dir: "lessons/lesson09".into(),
            targets: vec![("bin".into(), "lesson09".into())],
            deps: vec![],
        });
        repo
    }

    const MAIN: &str = "fn main() {\n    let port = std::env::var(\"PORT\");\n    serve(warp::path!(\"sse\"));\n}\n";
    const TEST: &str =
        "const HELLO: &str = concat!(\n    \"event: hi\\n\",\n    \"data: 1\\n\\n\"\n);\n";

    fn check(readme: &str) -> Findings {
        let repo = repo_with(&[
            ("lessons/lesson09/src/main.rs", MAIN),
            ("tests/t/lesson09.rs", TEST),
        ]);
        let mut out = Findings::default();
        check_readme(&repo, "lessons/lesson09/README.md", readme, &mut out);
        out
    }

    #[test]
    fn a_true_readme_passes_and_lists_its_illustrations() {
        let out = check(concat!(
            "Run `PORT=0 cargo run -p lesson09` and `curl -N http://127.0.0.1:3000/sse`.\n",
            "<!-- from: lessons/lesson09/src/main.rs#main -->\n```rust\nfn main() {\n// …\n}\n```\n",
            "<!-- illustration: the wrong way -->\n```js\nres.write(x)\n```\n",
            "<!-- wire: tests/t/lesson09.rs -->\n```text\nevent: hi\ndata: 1\n\n```\n",
            "<!-- wire: tests/t/lesson09.rs -->\n```\nevent: hi\\n\ndata: 1\\n\\n\n```\n",
        ));
        assert_eq!(out.errors, Vec::<String>::new());
        assert_eq!(
            out.listed,
            vec!["lessons/lesson09/README.md:9: illustration (the wrong way)"]
        );
    }

    #[test]
    fn a_drifted_excerpt_fails_at_its_readme_line() {
        let out = check("<!-- from: lessons/lesson09/src/main.rs -->\n```rust\nfn main() {\n    serve(warp::path!(\"events\"));\n```\n");
        assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
        assert!(out.errors[0].starts_with("lessons/lesson09/README.md:4: this excerpt has drifted from lessons/lesson09/src/main.rs: `serve(warp::path!(\"events\"));` is not there after line 1; nearest line 3: `serve(warp::path!(\"sse\"));`"), "{}", out.errors[0]);
    }

    #[test]
    fn a_missing_marker_fails() {
        let out = check("text\n```rust\nfn main() {}\n```\n");
        assert_eq!(out.errors.len(), 1);
        assert!(
            out.errors[0].starts_with("lessons/lesson09/README.md:2: a ```rust block needs"),
            "{}",
            out.errors[0]
        );
    }

    #[test]
    fn a_wrong_source_file_fails() {
        let out =
            check("<!-- from: lessons/lesson09/src/mian.rs -->\n```rust\nfn main() {}\n```\n");
        assert!(
            out.errors[0].contains(
                "README.md:1: `<!-- from: lessons/lesson09/src/mian.rs -->`: there is no such file"
            ),
            "{:?}",
            out.errors
        );
    }

    #[test]
    fn a_wrong_wire_sample_fails_with_the_nearest_literal() {
        let out = check("<!-- wire: tests/t/lesson09.rs -->\n```text\nevent: hi\ndata: 2\n\n```\n");
        assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
        assert!(
            out.errors[0]
                .contains("\"event: hi\\ndata: 2\\n\\n\" is not asserted by tests/t/lesson09.rs"),
            "{}",
            out.errors[0]
        );
        assert!(
            out.errors[0]
                .contains("nearest literal, tests/t/lesson09.rs:2: \"event: hi\\ndata: 1\\n\\n\""),
            "{}",
            out.errors[0]
        );
        // A frame without its blank line is not the frame either.
        assert_eq!(
            check("<!-- wire: tests/t/lesson09.rs -->\n```text\nevent: hi\ndata: 1\n```\n")
                .errors
                .len(),
            1
        );
    }

    #[test]
    fn wrong_package_env_var_and_route_fail_in_blocks_and_spans() {
        let out = check(concat!(
            "```sh\nTICKS=5 cargo run -p lesson09\ncurl http://127.0.0.1:3000/stats\n```\n",
            "Or `cargo run -p lesson9`.\n",
        ));
        assert_eq!(out.errors.len(), 3, "{:?}", out.errors);
        assert!(
            out.errors[0].starts_with("lessons/lesson09/README.md:2: `TICKS=…`"),
            "{}",
            out.errors[0]
        );
        assert!(
            out.errors[1]
                .starts_with("lessons/lesson09/README.md:3: `curl …/stats`: no such route"),
            "{}",
            out.errors[1]
        );
        assert!(
            out.errors[2]
                .starts_with("lessons/lesson09/README.md:5: `cargo … -p lesson9`: no package"),
            "{}",
            out.errors[2]
        );
    }

    #[test]
    fn quoted_functions_and_paths_must_exist() {
        let out = check(concat!(
            "`main()`, `serve()`, `lessons/lesson09/src/main.rs`, `src/main.rs`, `src/` and ",
            "`res.flushHeaders()`, `lessons/lessonNN/`: fine.\n",
            "`start()` and `src/mian.rs` are not.\n",
        ));
        assert_eq!(out.errors.len(), 2, "{:?}", out.errors);
        assert!(
            out.errors[0].starts_with("lessons/lesson09/README.md:2: `start()`: no Rust"),
            "{}",
            out.errors[0]
        );
        assert!(
            out.errors[1].starts_with("lessons/lesson09/README.md:2: `src/mian.rs`: no such file"),
            "{}",
            out.errors[1]
        );
    }

    #[test]
    fn wire_blocks_written_out_or_escaped() {
        assert_eq!(wire_bytes(&["a", ""])[0], b"a\n\n");
        assert_eq!(wire_bytes(&["a", ""])[1], b"a\r\n\r\n");
        assert_eq!(wire_bytes(&["a\\n", "\\n"]), vec![b"a\n\n".to_vec()]);
    }
}
