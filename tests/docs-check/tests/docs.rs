//! The READMEs and NOTES-MAP.md against the code of this very repository.

use std::path::Path;

#[test]
fn readmes_and_the_notes_map_match_the_code() {
    // tests/docs-check → the repository root.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("tests/docs-check is two folders below the root");
    let repo = docs_check::repo::Repo::load(root).expect("read the repository");
    let findings = docs_check::check_all(&repo);
    // Shown with `--nocapture`: what is on purpose not checked.
    for line in &findings.listed {
        println!("not checked: {line}");
    }
    let counts = &findings.counts;
    println!("checked: {counts:?}");
    // A check that finds nothing to check would pass for the wrong reason.
    assert!(
        counts.wire > 0 && counts.commands > 50 && counts.names > 50 && counts.map_rows > 20,
        "too little was checked: {counts:?}"
    );
    assert!(
        findings.errors.is_empty(),
        "\n{} place(s) where the text no longer matches the code:\n\n{}\n",
        findings.errors.len(),
        findings.errors.join("\n")
    );
}
