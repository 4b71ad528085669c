//! Bad input: missing paths, unreadable files and directories, invalid UTF-8,
//! huge and binary files, symlink loops, and very large trees. Each gives a
//! message naming the file and the reason, and the scan goes on.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::process::Command;

use crate::harness::{AWS_KEY_ID, GITHUB_TOKEN, Project, Run, binary, run};

#[test]
fn a_missing_path_is_exit_2_naming_it() {
    let run = Project::new().vigil(&["scan", "no/such/dir"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("error: cannot scan no/such/dir: No such file or directory"),
        "{run:?}"
    );
}

#[test]
fn invalid_utf8_is_still_scanned() {
    let project = Project::new();
    let mut content = b"\xff\xfe\xfd garbage \xc3\x28 then ".to_vec();
    content.extend_from_slice(format!("KEY={AWS_KEY_ID}\n").as_bytes());
    project.write("latin1.properties", content);
    let run = project.vigil(&["scan", "-f", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.json()["findings"][0]["location"]["path"], "latin1.properties");
}

#[test]
fn huge_and_binary_files_are_skipped_with_a_note_and_the_rest_is_scanned() {
    let project = Project::new();
    let huge = std::fs::File::create(project.path("dump.sql")).unwrap();
    huge.set_len(2 * 1024 * 1024 * 1024).unwrap(); // sparse 2 GiB
    project.write("image.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    project.write("app.env", format!("TOKEN={GITHUB_TOKEN}\n"));
    let run = project.vigil(&["scan", "--verbose"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("note: dump.sql: skipped: 2.1 GB is over the 10 MB size limit"),
        "{run:?}"
    );
    assert!(run.stderr.contains("note: image.png: skipped: binary file"), "{run:?}");
    let terse = project.vigil(&["scan"]);
    assert!(
        terse.stderr.contains(
            "2 files skipped (too large, binary or symbolic links); --verbose lists them"
        ),
        "{terse:?}"
    );
    // Raising the limit reads the 2 GiB file's head only: it is all NUL bytes.
    let raised = project.vigil(&["scan", "--max-file-size", "3GB", "--verbose"]);
    assert!(raised.stderr.contains("note: dump.sql: skipped: binary file"), "{raised:?}");
    let lowered = project.vigil(&["scan", "--max-file-size", "10B", "--verbose"]);
    assert_eq!(lowered.code, 0, "{lowered:?}");
    assert!(
        lowered.stderr.contains("note: app.env: skipped: 47 bytes is over the 10 bytes size limit"),
        "{lowered:?}"
    );
}

#[test]
fn symlink_loops_and_links_out_of_the_root_are_not_followed() {
    let outside = Project::new();
    outside.write("secret.env", format!("KEY={AWS_KEY_ID}\n"));
    let project = Project::new();
    project.write("sub/ok.txt", "nothing");
    std::os::unix::fs::symlink(project.root(), project.path("sub/loop")).unwrap();
    std::os::unix::fs::symlink(outside.path("secret.env"), project.path("escape.env")).unwrap();
    let run = project.vigil(&["scan", "--verbose"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("note: sub/loop: skipped: symbolic link (links are not followed)"),
        "{run:?}"
    );
    assert!(run.stderr.contains("note: escape.env: skipped: symbolic link"), "{run:?}");
}

/// Runs vigil as an unprivileged user when the tests run as root (root reads
/// everything, so permissions would prove nothing).
fn vigil_unprivileged(project: &Project, args: &[&str]) -> Run {
    let probe = project.path(".uid-probe");
    std::fs::write(&probe, "").unwrap();
    let is_root = std::fs::metadata(&probe).unwrap().uid() == 0;
    std::fs::remove_file(probe).unwrap();
    let mut command = if is_root {
        let mut command = Command::new("setpriv");
        command.args(["--reuid=65534", "--regid=65534", "--clear-groups", binary()]);
        command
    } else {
        Command::new(binary())
    };
    run(command.args(args).current_dir(project.root()))
}

fn chmod(path: &std::path::Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn unreadable_files_and_directories_are_errors_naming_them_and_the_scan_goes_on() {
    let project = Project::new();
    chmod(project.root(), 0o755);
    project.write("readable.env", format!("TOKEN={GITHUB_TOKEN}\n"));
    project.write("locked.env", format!("KEY={AWS_KEY_ID}\n"));
    project.write("private/inner.env", "x");
    chmod(&project.path("readable.env"), 0o644);
    chmod(&project.path("locked.env"), 0o000);
    chmod(&project.path("private"), 0o000);
    let run = vigil_unprivileged(&project, &["scan", "."]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("error: locked.env: cannot read: permission denied"), "{run:?}");
    assert!(run.stderr.contains("error: private: cannot read: permission denied"), "{run:?}");
    assert!(run.stdout.contains("readable.env"), "{run:?}");
    // --quiet still prints errors, and nothing else.
    let quiet = vigil_unprivileged(&project, &["scan", ".", "-q"]);
    assert!(
        quiet.stderr.contains("error: locked.env: cannot read: permission denied"),
        "{quiet:?}"
    );
    assert!(!quiet.stderr.contains("Scanned"), "{quiet:?}");
    chmod(&project.path("private"), 0o755);
}

#[test]
fn nothing_scannable_is_exit_2() {
    let project = Project::new();
    chmod(project.root(), 0o755);
    project.write("only.env", "x");
    chmod(&project.path("only.env"), 0o000);
    let run = vigil_unprivileged(&project, &["scan", "only.env"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("error: only.env: cannot read: permission denied"), "{run:?}");
    assert!(run.stderr.contains("nothing could be scanned"), "{run:?}");
}

#[test]
fn a_directory_of_100k_files_is_scanned_completely() {
    let project = Project::new();
    for directory in 0..500 {
        let path = project.path(&format!("d{directory:03}"));
        std::fs::create_dir(&path).unwrap();
        for file in 0..200 {
            std::fs::write(path.join(format!("f{file:03}.txt")), "let x = 1;\n").unwrap();
        }
    }
    project.write("d499/f199.txt", format!("KEY={AWS_KEY_ID}\n"));
    let run = project.vigil(&["scan", "-f", "json", "-q"]);
    assert_eq!(run.code, 1, "{run:?}");
    let report = run.json();
    assert_eq!(report["stats"]["files_scanned"], 100_000);
    assert_eq!(report["findings"][0]["location"]["path"], "d499/f199.txt");
}

#[test]
fn the_transporter_agent_names_what_is_wrong_with_its_settings() {
    let project = Project::new();
    project.write("credential", "vgtc_example\n");
    let credential = project.path("credential");
    let missing = project.path("missing.credential");
    let cases: [(Vec<&str>, String); 4] = [
        (
            vec!["--hub", "wss://vigil.example/transporter", "--gitlab", "https://gitlab.internal", "--credentials", missing.to_str().unwrap()],
            format!("error: the credentials file {} does not exist; give --enrolment-token", missing.display()),
        ),
        (
            vec!["--hub", "ws://127.0.0.1:9/transporter", "--gitlab", "https://gitlab.internal", "--credentials", missing.to_str().unwrap(), "--enrolment-token", "vgle_x"],
            "error: enrolment failed: cannot reach the hub at 127.0.0.1:9: Connection refused".to_owned(),
        ),
        (
            vec!["--hub", "wss://vigil.example/transporter", "--gitlab", "https://gitlab.internal/group", "--credentials", credential.to_str().unwrap()],
            "error: --gitlab `https://gitlab.internal/group`: give GitLab's base URL, like https://gitlab.internal".to_owned(),
        ),
        (
            vec!["--hub", "ftp://vigil.example/transporter", "--gitlab", "https://gitlab.internal", "--credentials", credential.to_str().unwrap()],
            "error: --hub: hub URL `ftp://vigil.example/transporter`: scheme `ftp` is not wss://".to_owned(),
        ),
    ];
    for (args, expected) in cases {
        let run = project.vigil(&[&["transporter"], args.as_slice()].concat());
        assert_eq!(run.code, 2, "{run:?}");
        assert!(run.stderr.contains(&expected), "expected `{expected}` in {run:?}");
    }
    assert!(!missing.exists(), "no credential file is written when enrolment fails");
}
