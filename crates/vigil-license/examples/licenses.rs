//! Prints one JSON line `{"path","expression","score","detections"}` per file under the
//! directories given (every file, not only license-named ones), for
//! bench/license.sh; the index build time and totals go to stderr. With
//! `--explain` first, every detection and note is printed too.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use vigil_license::Detector;

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if dir.is_file() {
        out.push(dir.to_path_buf());
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&entry.path(), out)?;
        } else if kind.is_file() || kind.is_symlink() {
            out.push(entry.path());
        }
    }
    Ok(())
}

fn main() -> std::io::Result<()> {
    let started = Instant::now();
    let detector = Detector::new();
    let built = started.elapsed();
    let mut files = Vec::new();
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let explain = args.first().is_some_and(|a| a == "--explain");
    if explain {
        args.remove(0);
    }
    for dir in args {
        walk(Path::new(&dir), &mut files)?;
    }
    files.sort();
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut bytes = 0usize;
    for path in &files {
        let content = std::fs::read(path)?;
        bytes += content.len();
        let found = detector.detect(&content);
        if explain {
            writeln!(out, "{}: {}", path.display(), serde_json::to_string_pretty(&found)?)?;
            continue;
        }
        let line = serde_json::json!({
            "path": path.display().to_string(),
            "expression": found.expression,
            "score": found.score,
            "detections": found
                .detections
                .iter()
                .map(|d| serde_json::json!({"expression": d.expression, "kind": d.kind}))
                .collect::<Vec<_>>(),
        });
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    eprintln!(
        "vigil-license: index built in {:.1} ms; {} files, {} bytes in {:.1} ms total",
        built.as_secs_f64() * 1000.0,
        files.len(),
        bytes,
        started.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}
