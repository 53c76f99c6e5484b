//! The shell commands the READMEs show (`cargo run -p …`, `VAR=value cargo …`, `curl URL`), and
//! whether the packages, binaries, test targets, env vars and routes they name exist.

use crate::repo::{Package, Repo};

/// One command of a shell line (lines are split at `|`, `;`, `&&`).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Command {
    /// `VAR` of each leading `VAR=value`.
    pub env: Vec<String>,
    pub words: Vec<String>,
}

/// Splits a line into commands, with shell quoting and `#` comments; good enough for READMEs.
pub fn commands(line: &str) -> Vec<Command> {
    let mut all: Vec<Vec<String>> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                let w = word.get_or_insert_with(String::new);
                w.extend(chars.by_ref().take_while(|q| *q != c));
            }
            '#' if word.is_none() => break,
            '|' | ';' | '&' => {
                current.extend(word.take());
                all.push(std::mem::take(&mut current));
            }
            c if c.is_whitespace() => current.extend(word.take()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    current.extend(word.take());
    all.push(current);
    all.into_iter()
        .filter(|words| !words.is_empty())
        .map(|words| {
            let env_count = words.iter().take_while(|w| env_name(w).is_some()).count();
            Command {
                env: words[..env_count]
                    .iter()
                    .filter_map(|w| env_name(w).map(str::to_owned))
                    .collect(),
                words: words[env_count..].to_vec(),
            }
        })
        .collect()
}

/// `VAR` of a `VAR=value` word.
fn env_name(word: &str) -> Option<&str> {
    let (name, _) = word.split_once('=')?;
    let ok = !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    ok.then_some(name)
}

/// A `cargo` command's packages (`-p`), binaries (`--bin`), test targets (`--test`).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Cargo {
    pub subcommand: String,
    pub packages: Vec<String>,
    pub bins: Vec<String>,
    pub tests: Vec<String>,
}

pub fn cargo(command: &Command) -> Option<Cargo> {
    let mut words = command.words.iter();
    if words.next()? != "cargo" {
        return None;
    }
    let mut out = Cargo::default();
    while let Some(w) = words.next() {
        match w.as_str() {
            "--" => break,
            "-p" | "--package" => out.packages.extend(words.next().cloned()),
            "--bin" => out.bins.extend(words.next().cloned()),
            "--test" => out.tests.extend(words.next().cloned()),
            w if w.starts_with('-') => {}
            w if out.subcommand.is_empty() => out.subcommand = w.to_owned(),
            _ => {}
        }
    }
    Some(out)
}

/// The path of every `http://127.0.0.1:PORT/…` URL of a `curl` command, without the query.
pub fn curl_paths(command: &Command) -> Vec<String> {
    if command.words.first().map(String::as_str) != Some("curl") {
        return Vec::new();
    }
    command
        .words
        .iter()
        .filter_map(|w| w.strip_prefix("http://127.0.0.1:"))
        .map(|rest| {
            let path = rest.find('/').map_or("/", |n| &rest[n..]);
            let path = path.split(['?', '#']).next().unwrap_or("/");
            path.to_owned()
        })
        .collect()
}

/// Checks one command; `lessons` are the packages a `curl` may be talking to. Returns problems.
pub fn check(repo: &Repo, command: &Command, lessons: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(mut cargo) = cargo(command) {
        // `lessonNN`, `lessonNN-exK`: a pattern the text explains, not a name (Cargo names
        // here are lower case).
        let placeholder = |name: &String| name.chars().any(|c| c.is_ascii_uppercase());
        cargo.packages.retain(|n| !placeholder(n));
        cargo.bins.retain(|n| !placeholder(n));
        cargo.tests.retain(|n| !placeholder(n));
        problems.extend(check_cargo(repo, command, &cargo));
    }
    for path in curl_paths(command) {
        if let Err(why) = route_exists(repo, &path, lessons) {
            problems.push(why);
        }
    }
    problems
}

fn check_cargo(repo: &Repo, command: &Command, cargo: &Cargo) -> Vec<String> {
    let mut problems = Vec::new();
    let mut found: Vec<&Package> = Vec::new();
    for name in &cargo.packages {
        match repo.package(name) {
            Some(p) => found.push(p),
            None => problems.push(format!(
                "`cargo … -p {name}`: no package `{name}` in the workspace{}",
                nearest_name(name, repo.packages.iter().map(|p| p.name.as_str()))
            )),
        }
    }
    // `cargo run -p startup`: cargo would answer "a bin target must be available"; say it here,
    // where the README can still be fixed.
    if cargo.subcommand == "run" {
        for package in &found {
            if !package.targets.iter().any(|(kind, _)| kind == "bin") {
                problems.push(format!(
                    "`cargo run -p {0}`: `{0}` is a library with no binary to run; run a lesson \
                     that uses it, or test it with `cargo test -p {0}`",
                    package.name
                ));
            }
        }
    }
    // Where cargo looks for `--bin` and `--test`: the named packages, or with no `-p`, all.
    // (When every named package is missing, that was reported above; nothing more to say.)
    let pool: Vec<&Package> = if cargo.packages.is_empty() {
        repo.packages.iter().collect()
    } else {
        found.clone()
    };
    let targets = [
        ("bin", "--bin", &cargo.bins),
        ("test", "--test", &cargo.tests),
    ];
    for (kind, flag, names) in targets.into_iter().filter(|_| !pool.is_empty()) {
        let known: Vec<&str> = pool
            .iter()
            .flat_map(|p| p.targets.iter())
            .filter(|(k, _)| k == kind)
            .map(|(_, n)| n.as_str())
            .collect();
        for name in names.iter().filter(|name| !known.contains(&name.as_str())) {
            let place = if cargo.packages.is_empty() {
                "the workspace".to_owned()
            } else {
                cargo.packages.join(", ")
            };
            problems.push(format!(
                "`{flag} {name}`: no such {kind} target in {place}; there are: {}",
                known.join(", ")
            ));
        }
    }
    // The packages whose code may read the variables: the named ones and their workspace
    // dependencies; with no `-p` (a plain `cargo test`), any package.
    let readers: Vec<&Package> = if cargo.packages.is_empty() {
        repo.packages.iter().collect()
    } else {
        found.iter().flat_map(|p| repo.closure(&p.name)).collect()
    };
    if readers.is_empty() {
        return problems;
    }
    let files = repo.rust_files(&readers);
    for var in &command.env {
        let quoted = format!("\"{var}\"");
        // tracing-subscriber's `EnvFilter::…from_default_env()` reads RUST_LOG for us.
        let read = files.iter().any(|(_, text)| {
            text.contains(&quoted) || var == "RUST_LOG" && text.contains("from_default_env")
        });
        if !read {
            let dirs: Vec<&str> = readers.iter().map(|p| p.dir.as_str()).collect();
            let place = if cargo.packages.is_empty() {
                "the workspace".to_owned()
            } else {
                dirs.join(", ")
            };
            problems.push(format!(
                "`{var}=…`: no Rust file of {place} contains the string \"{var}\", so nothing reads it"
            ));
        }
    }
    problems
}

/// A route exists in a lesson when, for each segment of its path, some Rust file of the lesson
/// (or of a workspace crate it depends on) has that segment as a string literal (`"sse"`,
/// `path!("sse" / "warp")`), or has the whole path as one (`"/stats"`). `/` always exists
/// (every lesson serves its page there).
pub fn route_exists(repo: &Repo, path: &str, lessons: &[String]) -> Result<(), String> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segments.is_empty() {
        return Ok(());
    }
    let pool: Vec<String> = if lessons.is_empty() {
        let lessons = repo
            .packages
            .iter()
            .filter(|p| p.dir.starts_with("lessons/"));
        lessons.map(|p| p.name.clone()).collect()
    } else {
        lessons.to_vec()
    };
    let mut looked = Vec::new();
    let mut missing = Vec::new();
    for lesson in &pool {
        let closure = repo.closure(lesson);
        let files = repo.rust_files(&closure);
        let has = |lit: &str| {
            let quoted = format!("\"{lit}\"");
            files.iter().any(|(_, text)| text.contains(&quoted))
        };
        if has(path) || segments.iter().all(|s| has(s)) {
            return Ok(());
        }
        looked.extend(closure.iter().map(|p| p.dir.clone()));
        missing.extend(
            segments
                .iter()
                .filter(|s| !has(s))
                .map(|s| format!("\"{s}\"")),
        );
    }
    looked.dedup();
    missing.sort();
    missing.dedup();
    Err(format!(
        "`curl …{path}`: no such route: no Rust file of {} has the string literal {}",
        looked.join(", "),
        missing.join(" or ")
    ))
}

/// `; did you mean `x`?` for the closest name, when one is close.
fn nearest_name<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> String {
    names
        .map(|n| (crate::distance(name, n), n))
        .min()
        .filter(|(d, _)| *d <= name.chars().count() / 2 + 1)
        .map(|(_, n)| format!("; did you mean `{n}`?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::Package;

    fn repo() -> Repo {
        let mut repo = Repo {
            packages: vec![
                Package {
                    name: "lesson03".into(),
                    dir: "lessons/lesson03".into(),
                    targets: vec![
                        ("bin".into(), "lesson03".into()),
                        ("bin".into(), "lesson03-ex1".into()),
                    ],
                    deps: vec!["helper".into()],
                },
                Package {
                    name: "helper".into(),
                    dir: "tests/helper".into(),
                    ..Package::default()
                },
            ],
            ..Repo::default()
        };
        repo.files.insert(
            "lessons/lesson03/src/main.rs".into(),
            r#"let t = std::env::var("TICK_MS"); let r = warp::path!("sse").or(warp::path!("stats"));"#.into(),
        );
        repo.files.insert(
            "tests/helper/src/lib.rs".into(),
            r#"std::env::var("PORT")"#.into(),
        );
        repo
    }

    #[test]
    fn cargo_run_of_a_library_is_a_problem() {
        let p = problems("cargo run -p helper");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].contains("`helper` is a library with no binary to run"),
            "{p:?}"
        );
        assert!(problems("cargo test -p helper").is_empty());
        assert!(problems("cargo run -p lesson03").is_empty());
    }

    fn problems(line: &str) -> Vec<String> {
        let repo = repo();
        commands(line)
            .iter()
            .flat_map(|c| check(&repo, c, &["lesson03".to_owned()]))
            .collect()
    }

    #[test]
    fn splits_quotes_comments_and_env() {
        let cmds = commands(r#"A_B='x y' cargo run -p p -- "z # not a comment" | head # comment"#);
        assert_eq!(cmds.len(), 2);
        assert_eq!(cmds[0].env, vec!["A_B"]);
        assert_eq!(
            cmds[0].words,
            vec!["cargo", "run", "-p", "p", "--", "z # not a comment"]
        );
        assert_eq!(cmds[1].words, vec!["head"]);
    }

    #[test]
    fn placeholders_are_not_names() {
        assert_eq!(
            problems("cargo run -p lessonNN --bin lessonNN-exK"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn what_exists_passes() {
        assert_eq!(
            problems("TICK_MS=200 PORT=0 cargo run -p lesson03 --bin lesson03-ex1"),
            Vec::<String>::new()
        );
        assert_eq!(
            problems("curl -N 'http://127.0.0.1:3000/sse?ms=5' && curl http://127.0.0.1:3000/"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_wrong_package_fails_and_suggests_the_nearest() {
        let p = problems("cargo run -p lesson3");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].contains("no package `lesson3`") && p[0].contains("did you mean `lesson03`"),
            "{p:?}"
        );
    }

    #[test]
    fn a_wrong_binary_fails_and_lists_the_real_ones() {
        let p = problems("cargo run -p lesson03 --bin lesson03-ex9");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].contains("lesson03-ex9") && p[0].contains("lesson03, lesson03-ex1"),
            "{p:?}"
        );
    }

    #[test]
    fn a_wrong_env_var_fails() {
        let p = problems("TICK=200 cargo run -p lesson03");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].contains("`TICK=…`"), "{p:?}");
    }

    #[test]
    fn a_wrong_route_fails() {
        let p = problems("curl -N http://127.0.0.1:3000/events");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].contains("\"events\"") && p[0].contains("lessons/lesson03"),
            "{p:?}"
        );
    }
}
