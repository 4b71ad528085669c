//! Project automation, run as `cargo xtask <task>`.
//!
//! - `ci`: formatting check, clippy with warnings denied, tidy, then every test.
//!   This is the README's test command and what `.ci/run` calls.
//! - `tidy`: project conventions that no compiler checks (see [`tidy`]).
//! - `test`: the test suite alone.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

fn main() -> Result<()> {
    let task = std::env::args().nth(1).unwrap_or_else(|| "ci".to_owned());
    let root = project_root();
    match task.as_str() {
        "ci" => {
            run(&root, "cargo", &["fmt", "--all", "--check"])?;
            run(
                &root,
                "cargo",
                &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"],
            )?;
            tidy(&root)?;
            test(&root)
        }
        "tidy" => tidy(&root),
        "test" => test(&root),
        other => bail!("unknown task `{other}` (expected one of: ci, tidy, test)"),
    }
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn test(root: &Path) -> Result<()> {
    // The CLI tests drive the release binary on large trees; build it once.
    run(root, "cargo", &["build", "--release", "--bin", "vigil"])?;
    run(root, "cargo", &["test", "--workspace", "--all-targets", "--no-fail-fast"])
}

fn run(root: &Path, program: &str, args: &[&str]) -> Result<()> {
    eprintln!("$ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(root)
        .status()
        .with_context(|| format!("cannot start {program}"))?;
    if !status.success() {
        bail!("`{program} {}` failed with {status}", args.join(" "));
    }
    Ok(())
}

/// Every Rust file under `crates/` and `xtask/` opens with a `//!` doc saying
/// what it owns.
fn tidy(root: &Path) -> Result<()> {
    let mut missing = Vec::new();
    for top in ["crates", "xtask"] {
        walk(&root.join(top), &mut |path| {
            if path.extension().is_some_and(|ext| ext == "rs") {
                let text = std::fs::read_to_string(path).unwrap_or_default();
                let first = text.lines().find(|line| !line.trim().is_empty()).unwrap_or("");
                let is_fixture = path.components().any(|c| c.as_os_str() == "fixtures");
                if !first.starts_with("//!") && !is_fixture {
                    missing.push(path.strip_prefix(root).unwrap_or(path).display().to_string());
                }
            }
        })?;
    }
    if !missing.is_empty() {
        bail!(
            "tidy: these files do not open with a `//!` doc comment:\n  {}",
            missing.join("\n  ")
        );
    }
    eprintln!("tidy: ok");
    Ok(())
}

fn walk(dir: &Path, visit: &mut dyn FnMut(&Path)) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry?.path();
        if path.file_name().is_some_and(|name| name == "target") {
            continue;
        }
        if path.is_dir() {
            walk(&path, visit)?;
        } else {
            visit(&path);
        }
    }
    Ok(())
}
