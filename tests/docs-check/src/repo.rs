//! The repository as the checks see it: its text files in memory, and its packages (from
//! `cargo metadata`). Unit tests build one by hand from a few inline files.

use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Default)]
pub struct Package {
    pub name: String,
    /// The package's folder, relative to the repository root (`lessons/lesson03`).
    pub dir: String,
    /// `(kind, name)`: `("bin", "insert-post")`, `("test", "lesson02")`, `("lib", "lesson04")`.
    pub targets: Vec<(String, String)>,
    /// Names of the workspace packages it depends on (path dependencies, all kinds).
    pub deps: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Repo {
    /// Relative path (with `/`) → text, for every UTF-8 file outside `target/` and `.git/`.
    pub files: BTreeMap<String, String>,
    pub packages: Vec<Package>,
}

impl Repo {
    /// Reads the repository at `root` and asks `cargo metadata` for its packages.
    pub fn load(root: &Path) -> Result<Repo, String> {
        let mut repo = Repo::default();
        read_dir(root, root, &mut repo.files)?;
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let output = std::process::Command::new(cargo)
            .args([
                "metadata",
                "--no-deps",
                "--format-version",
                "1",
                "--offline",
            ])
            .current_dir(root)
            .output()
            .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "cargo metadata failed: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let meta: serde_json::Value = serde_json::from_slice(&output.stdout)
            .map_err(|e| format!("cargo metadata printed something that is not JSON: {e}"))?;
        // Paths in the metadata are relative to its own `workspace_root` (spelled as cargo spells
        // it, which on Windows need not be how `root` is spelled).
        let workspace_root = meta["workspace_root"]
            .as_str()
            .map(Path::new)
            .unwrap_or(root);
        repo.packages = packages_from_metadata(&meta, workspace_root);
        Ok(repo)
    }

    pub fn package(&self, name: &str) -> Option<&Package> {
        self.packages.iter().find(|p| p.name == name)
    }

    /// The package and, transitively, the workspace packages it depends on.
    pub fn closure(&self, name: &str) -> Vec<&Package> {
        let mut seen: Vec<&Package> = Vec::new();
        let mut todo = vec![name.to_owned()];
        while let Some(next) = todo.pop() {
            if let Some(p) = self.package(&next) {
                if !seen.iter().any(|s| s.name == p.name) {
                    seen.push(p);
                    todo.extend(p.deps.iter().cloned());
                }
            }
        }
        seen
    }

    /// The Rust files under the folders of `packages`.
    pub fn rust_files<'a>(&'a self, packages: &[&Package]) -> Vec<(&'a str, &'a str)> {
        self.files
            .iter()
            .filter(|(path, _)| {
                path.ends_with(".rs")
                    && packages
                        .iter()
                        .any(|p| path.starts_with(&format!("{}/", p.dir)))
            })
            .map(|(path, text)| (path.as_str(), text.as_str()))
            .collect()
    }
}

fn read_dir(root: &Path, dir: &Path, files: &mut BTreeMap<String, String>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name == "target" || name.starts_with('.') && name != ".cargo" {
            continue;
        }
        if path.is_dir() {
            read_dir(root, &path, files)?;
        } else if let Ok(text) = std::fs::read_to_string(&path) {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            let rel = rel.to_string_lossy().replace('\\', "/");
            files.insert(rel, text);
        }
    }
    Ok(())
}

fn packages_from_metadata(meta: &serde_json::Value, root: &Path) -> Vec<Package> {
    let rel = |abs: &str| {
        let path = Path::new(abs);
        path.strip_prefix(root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/")
    };
    let list = meta["packages"].as_array().cloned().unwrap_or_default();
    let dirs: BTreeMap<String, String> = list
        .iter()
        .filter_map(|p| {
            let manifest = rel(p["manifest_path"].as_str()?);
            let dir = manifest.strip_suffix("/Cargo.toml")?.to_owned();
            Some((dir, p["name"].as_str()?.to_owned()))
        })
        .collect();
    list.iter()
        .filter_map(|p| {
            let manifest = rel(p["manifest_path"].as_str()?);
            let targets = p["targets"]
                .as_array()?
                .iter()
                .flat_map(|t| {
                    let name = t["name"].as_str().unwrap_or_default().to_owned();
                    t["kind"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|k| k.as_str())
                        .map(move |k| (k.to_owned(), name.clone()))
                })
                .collect();
            let deps = p["dependencies"]
                .as_array()?
                .iter()
                .filter_map(|d| dirs.get(&rel(d["path"].as_str()?)).cloned())
                .collect();
            Some(Package {
                name: p["name"].as_str()?.to_owned(),
                dir: manifest.strip_suffix("/Cargo.toml")?.to_owned(),
                targets,
                deps,
            })
        })
        .collect()
}
