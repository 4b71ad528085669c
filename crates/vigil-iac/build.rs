//! Embeds every `policies/**/*.yaml` file into the crate, so that adding a
//! policy needs no code change: `OUT_DIR/builtin_policies.rs` holds a sorted
//! slice of `(path under policies/, contents)`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    println!("cargo::rerun-if-changed={}", dir.display());
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "yaml") {
            out.push(path);
        }
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    let mut code = String::from(
        "/// Built-in policy files: (path under `policies/`, YAML text), sorted.\npub(crate) const BUILTIN_POLICY_FILES: &[(&str, &str)] = &[\n",
    );
    for path in &files {
        println!("cargo::rerun-if-changed={}", path.display());
        let name = path.strip_prefix(&root).unwrap_or(path).to_string_lossy().replace('\\', "/");
        let _ = writeln!(code, "    ({name:?}, include_str!({:?})),", path.display().to_string());
    }
    code.push_str("];\n");
    #[expect(
        clippy::disallowed_methods,
        reason = "cargo passes OUT_DIR to build scripts only this way"
    )]
    let out_dir = std::env::var_os("OUT_DIR").unwrap_or_default();
    let out = Path::new(&out_dir).join("builtin_policies.rs");
    if let Err(error) = std::fs::write(&out, code) {
        println!("cargo::error=cannot write {}: {error}", out.display());
    }
}
