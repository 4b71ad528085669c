//! Embeds every `rules/*.toml` file into the crate, so that adding a rule file
//! needs no code change: `OUT_DIR/builtin_rules.rs` holds a sorted slice of
//! `(file name, contents)`.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let rules_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    println!("cargo::rerun-if-changed={}", rules_dir.display());
    let mut names: Vec<String> = std::fs::read_dir(&rules_dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .filter(|name| name.ends_with(".toml"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut code = String::from(
        "/// Built-in rule files: (file name, TOML text), sorted by name.\npub(crate) const BUILTIN_RULE_FILES: &[(&str, &str)] = &[\n",
    );
    for name in &names {
        let path = rules_dir.join(name);
        println!("cargo::rerun-if-changed={}", path.display());
        let _ = writeln!(code, "    ({name:?}, include_str!({:?})),", path.display().to_string());
    }
    code.push_str("];\n");
    // Build scripts learn their output directory from the environment; this is
    // not library code reading configuration.
    #[expect(
        clippy::disallowed_methods,
        reason = "cargo passes OUT_DIR to build scripts only this way"
    )]
    let out_dir = std::env::var_os("OUT_DIR").unwrap_or_default();
    let out = Path::new(&out_dir).join("builtin_rules.rs");
    if let Err(error) = std::fs::write(&out, code) {
        println!("cargo::error=cannot write {}: {error}", out.display());
    }
}
