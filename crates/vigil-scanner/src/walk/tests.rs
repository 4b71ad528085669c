//! Walk tests on real temporary trees, with a probe engine that reports every
//! `TOKEN_` word and records which files it was handed.

use std::path::Path;
use std::sync::Mutex;

use vigil_core::{Finding, FindingKind, Location, Rule, Severity};

use super::*;

struct Probe {
    seen: Mutex<Vec<String>>,
}

impl Engine for Probe {
    fn name(&self) -> &'static str {
        "probe"
    }
    fn kinds(&self) -> &'static [FindingKind] {
        &[FindingKind::Secret]
    }
    fn rules(&self) -> &[Rule] {
        &[]
    }
    fn scan_file(&self, file: SourceFile<'_>, output: &mut FileOutput) {
        self.seen.lock().unwrap().push(file.path.to_owned());
        let mut start = 0;
        while let Some(offset) = memchr::memmem::find(&file.content[start..], b"TOKEN_") {
            let at = start + offset;
            let end = file.content[at..]
                .iter()
                .position(|b| !b.is_ascii_alphanumeric() && *b != b'_')
                .map_or(file.content.len(), |n| at + n);
            let matched = String::from_utf8_lossy(&file.content[at..end]).into_owned();
            let location = Location::from_byte_range(file.path, file.content, at, end);
            output.findings.push(Finding::new(
                FindingKind::Secret,
                "PROBE",
                "probe",
                Severity::High,
                location,
                &matched,
            ));
            start = end;
        }
    }
}

struct Run {
    output: ScanOutput,
    seen: Vec<String>,
}

fn scan_with(root: &Path, options: ScanOptions) -> Run {
    let probe = std::sync::Arc::new(Probe { seen: Mutex::new(Vec::new()) });
    struct Shared(std::sync::Arc<Probe>);
    impl Engine for Shared {
        fn name(&self) -> &'static str {
            self.0.name()
        }
        fn kinds(&self) -> &'static [FindingKind] {
            self.0.kinds()
        }
        fn rules(&self) -> &[Rule] {
            &[]
        }
        fn scan_file(&self, file: SourceFile<'_>, output: &mut FileOutput) {
            self.0.scan_file(file, output)
        }
    }
    let scanner = Scanner::new(vec![Box::new(Shared(probe.clone()))], options);
    let output = scanner.scan(root, &Progress::default()).unwrap();
    let mut seen = probe.seen.lock().unwrap().clone();
    seen.sort();
    Run { output, seen }
}

fn write(root: &Path, path: &str, content: &[u8]) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

fn notes(output: &ScanOutput) -> Vec<String> {
    output
        .diagnostics
        .iter()
        .map(|d| format!("{:?} {}: {}", d.level, d.path.as_deref().unwrap_or("-"), d.message))
        .collect()
}

#[test]
fn honours_ignore_files_excludes_and_skips_git_binaries_and_large_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, ".gitignore", b"build/\n");
    write(root, ".vigilignore", b"*.snap\n");
    write(root, "build/out.txt", b"TOKEN_build");
    write(root, "a.snap", b"TOKEN_snap");
    write(root, ".git/config", b"TOKEN_git");
    write(root, "vendor/lib.js", b"TOKEN_vendor");
    write(root, "bin.dat", b"TOKEN_bin\0\0");
    write(root, "big.txt", &[b'x'; 2_000]);
    write(root, "src/.env", b"A=1\nB=TOKEN_env\n");
    write(root, "src/main.rs", b"\xff\xfe TOKEN_utf8 invalid");
    let options = ScanOptions {
        max_file_size: 1_000,
        excludes: vec!["vendor/".into()],
        ..ScanOptions::default()
    };
    let run = scan_with(root, options);
    assert_eq!(run.seen, [".gitignore", ".vigilignore", "src/.env", "src/main.rs"]);
    let found: Vec<_> = run
        .output
        .findings
        .iter()
        .map(|f| (f.location.path.as_str(), f.location.start_line))
        .collect();
    assert_eq!(found, [("src/.env", 2), ("src/main.rs", 1)]);
    assert_eq!(
        notes(&run.output),
        [
            "Note big.txt: skipped: 2 kB is over the 1 kB size limit",
            "Note bin.dat: skipped: binary file (NUL byte in the first 8 KiB)"
        ]
    );
    assert_eq!(run.output.stats.files_scanned, 4);
    assert_eq!(run.output.stats.files_skipped, 2);
}

#[test]
fn never_follows_symlinks_so_loops_and_outside_files_are_not_read() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "secret.txt", b"TOKEN_outside");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "sub/file.txt", b"TOKEN_inside");
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), root.join("escape.txt")).unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join("escape-dir")).unwrap();
    std::os::unix::fs::symlink(root, root.join("sub/loop")).unwrap();
    let run = scan_with(root, ScanOptions::default());
    assert_eq!(run.seen, ["sub/file.txt"]);
    assert_eq!(
        notes(&run.output),
        [
            "Note escape-dir: skipped: symbolic link (links are not followed)",
            "Note escape.txt: skipped: symbolic link (links are not followed)",
            "Note sub/loop: skipped: symbolic link (links are not followed)",
        ]
    );
}

#[test]
fn a_two_gigabyte_file_is_skipped_without_being_read() {
    let dir = tempfile::tempdir().unwrap();
    let file = std::fs::File::create(dir.path().join("huge.log")).unwrap();
    file.set_len(2 * 1024 * 1024 * 1024).unwrap(); // sparse: costs no disk
    write(dir.path(), "small.txt", b"TOKEN_small");
    let run = scan_with(dir.path(), ScanOptions::default());
    assert_eq!(run.seen, ["small.txt"]);
    assert_eq!(notes(&run.output), ["Note huge.log: skipped: 2.1 GB is over the 10 MB size limit"]);
}

#[test]
fn results_are_sorted_and_identical_across_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    for index in 0..300 {
        write(
            dir.path(),
            &format!("d{}/f{index}.txt", index % 7),
            format!("x\nTOKEN_{}\nTOKEN_{}\n", index % 5, index % 5).as_bytes(),
        );
    }
    let one = scan_with(dir.path(), ScanOptions { threads: 1, ..ScanOptions::default() });
    let many = scan_with(dir.path(), ScanOptions { threads: 8, ..ScanOptions::default() });
    assert_eq!(one.output.findings, many.output.findings);
    assert_eq!(one.output.findings.len(), 600);
    let mut sorted = one.output.findings.clone();
    sorted.sort_by(Finding::report_order);
    assert_eq!(sorted, one.output.findings);
    // The same token twice in one file: two findings, two fingerprints.
    assert_ne!(one.output.findings[0].fingerprint, one.output.findings[1].fingerprint);
}

#[test]
fn a_single_file_root_is_reported_by_its_file_name() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "one.env", b"TOKEN_one");
    let run = scan_with(&dir.path().join("one.env"), ScanOptions::default());
    assert_eq!(run.output.findings[0].location.path, "one.env");
}

#[test]
fn missing_roots_and_bad_excludes_are_errors_that_say_what_is_wrong() {
    let scanner = Scanner::new(Vec::new(), ScanOptions::default());
    let error = scanner.scan(Path::new("/definitely/not/here"), &Progress::default()).unwrap_err();
    assert_eq!(error.to_string(), "cannot scan /definitely/not/here");
    let source = std::error::Error::source(&error).unwrap().to_string();
    assert_eq!(source, "No such file or directory (os error 2)");
    let dir = tempfile::tempdir().unwrap();
    let scanner = Scanner::new(
        Vec::new(),
        ScanOptions { excludes: vec!["a/[".into()], ..ScanOptions::default() },
    );
    let error = scanner.scan(dir.path(), &Progress::default()).unwrap_err();
    assert!(error.to_string().starts_with("invalid exclude pattern `a/[`"), "{error}");
}

#[test]
fn sizes_read_as_people_write_them() {
    assert_eq!(human_bytes(10_000_000), "10 MB");
    assert_eq!(human_bytes(2_147_483_648), "2.1 GB");
    assert_eq!(human_bytes(999), "999 bytes");
}

/// A cross-file engine: every `*.lock` file is kept for the tree phase,
/// which reports one finding naming the lockfiles it saw together and a
/// positioned diagnostic per lockfile without a manifest beside it.
struct Lockfiles {
    per_file: Mutex<Vec<String>>,
}

impl Engine for Lockfiles {
    fn name(&self) -> &'static str {
        "lockfiles"
    }
    fn kinds(&self) -> &'static [FindingKind] {
        &[FindingKind::Vulnerability]
    }
    fn rules(&self) -> &[Rule] {
        &[]
    }
    fn wants(&self, path: &str) -> bool {
        path.ends_with(".lock") || path.ends_with(".toml")
    }
    fn scan_file(&self, file: SourceFile<'_>, _output: &mut FileOutput) {
        self.per_file.lock().unwrap().push(file.path.to_owned());
    }
    fn keeps(&self, path: &str) -> bool {
        path.ends_with(".lock") || path.ends_with("Cargo.toml")
    }
    fn scan_tree(&self, files: &[SourceFile<'_>], output: &mut FileOutput) {
        let paths: Vec<&str> = files.iter().map(|file| file.path).collect();
        let joined = paths.join(",");
        for rule in ["TREE", "TREE_OFF"] {
            output.findings.push(Finding::new(
                FindingKind::Vulnerability,
                rule,
                "tree",
                Severity::Low,
                Location::line_span(files[0].path, 1, 1, 1, 1),
                &joined,
            ));
        }
        for file in files.iter().filter(|file| file.path.ends_with(".lock")) {
            let manifest = file.path.replace(".lock", ".toml");
            if !paths.contains(&manifest.as_str()) {
                output.diagnostics.push(
                    Diagnostic::for_file(DiagnosticLevel::Warning, file.path, "no manifest")
                        .at(2, Some(5)),
                );
            }
        }
    }
}

#[test]
fn the_tree_phase_sees_kept_files_together_sorted_after_the_per_file_pass() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "b/Cargo.lock", b"[[package]]\nname = \"x\"\n");
    write(dir.path(), "b/Cargo.toml", b"[package]\n");
    write(dir.path(), "a/orphan.lock", b"x\n");
    write(dir.path(), "a/notes.txt", b"TOKEN_not_for_this_engine\n");
    for threads in [1, 4] {
        let engine = std::sync::Arc::new(Lockfiles { per_file: Mutex::new(Vec::new()) });
        let options = ScanOptions {
            threads,
            disabled_rules: ["TREE_OFF".to_owned()].into(),
            ..ScanOptions::default()
        };
        let scanner = Scanner::new(vec![Box::new(engine.clone())], options);
        let output = scanner.scan(dir.path(), &Progress::default()).unwrap();
        let mut per_file = engine.per_file.lock().unwrap().clone();
        per_file.sort();
        assert_eq!(per_file, ["a/orphan.lock", "b/Cargo.lock", "b/Cargo.toml"]);
        assert_eq!(output.stats.files_scanned, 3, "each file read once, whatever phase needs it");
        let rules: Vec<&str> = output.findings.iter().map(|f| f.rule_id.as_str()).collect();
        assert_eq!(rules, ["TREE"], "a disabled rule is dropped in the tree phase too");
        assert_eq!(output.stats.rule_skipped, 1);
        assert_eq!(
            output.diagnostics.iter().map(Diagnostic::describe).collect::<Vec<_>>(),
            ["a/orphan.lock:2:5: no manifest"]
        );
    }
    // Nothing may be kept past the budget: the file is named and left out.
    let engine = Lockfiles { per_file: Mutex::new(Vec::new()) };
    let options = ScanOptions { threads: 1, max_kept_bytes: 10, ..ScanOptions::default() };
    let output =
        Scanner::new(vec![Box::new(engine)], options).scan(dir.path(), &Progress::default());
    let output = output.unwrap();
    let left_out: Vec<String> = output
        .diagnostics
        .iter()
        .filter(|d| d.message.starts_with("left out of the cross-file checks"))
        .map(|d| d.path.clone().unwrap())
        .collect();
    assert_eq!(left_out.len(), 2, "{:?}", output.diagnostics);
}
