//! Hostile archives: traversal, absolute paths, links, bombs, garbage.

use super::*;

/// Writes a tar.gz whose entries are (path, type, content) exactly as
/// given, bypassing the tar crate's own path checks.
fn hostile(entries: &[(&str, tar::EntryType, &[u8])]) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    let encoder =
        flate2::write::GzEncoder::new(file.reopen().unwrap(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(encoder);
    for (path, kind, content) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(*kind);
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        let name = header.as_old_mut();
        name.name[..path.len()].copy_from_slice(path.as_bytes());
        if kind.is_symlink() {
            header.set_link_name("/etc/passwd").unwrap();
        }
        header.set_cksum();
        builder.append(&header, *content).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap();
    file
}

#[test]
fn traversal_links_and_absolute_paths_are_skipped_and_named() {
    let archive = hostile(&[
        ("app-main-abc/", tar::EntryType::Directory, b""),
        ("app-main-abc/ok.txt", tar::EntryType::Regular, b"fine"),
        ("app-main-abc/../../escape.txt", tar::EntryType::Regular, b"evil"),
        ("/etc/evil.conf", tar::EntryType::Regular, b"evil"),
        ("app-main-abc/link", tar::EntryType::Symlink, b""),
        ("app-main-abc/fifo", tar::EntryType::Fifo, b""),
    ]);
    let destination = tempfile::tempdir().unwrap();
    let unpacked = unpack(archive.path(), destination.path(), &ArchiveLimits::default()).unwrap();
    assert_eq!((unpacked.files, unpacked.bytes), (1, 4));
    assert_eq!(std::fs::read_to_string(unpacked.root.join("ok.txt")).unwrap(), "fine");
    assert_eq!(
        unpacked.skipped,
        [
            "app-main-abc/../../escape.txt: skipped because it climbs out of the archive (`..`)",
            "/etc/evil.conf: skipped because it has an absolute path",
            "app-main-abc/link: skipped because it is a link",
            "app-main-abc/fifo: skipped because it is not a regular file",
        ]
    );
    assert!(
        !destination.path().join("escape.txt").exists()
            && !destination.path().parent().unwrap().join("escape.txt").exists()
    );
    assert!(!unpacked.root.join("link").exists());
}

#[test]
fn limits_stop_bombs_and_garbage_is_an_error() {
    let big = vec![b'a'; 10_000];
    let archive = hostile(&[
        ("top/a", tar::EntryType::Regular, &big),
        ("top/b", tar::EntryType::Regular, &big),
    ]);
    let destination = tempfile::tempdir().unwrap();
    let limits = ArchiveLimits { max_unpacked_bytes: 15_000, ..ArchiveLimits::default() };
    let error = unpack(archive.path(), destination.path(), &limits).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the archive exceeds the limit of 15000 bytes; raise it or exclude large files"
    );
    let limits = ArchiveLimits { max_entries: 1, ..ArchiveLimits::default() };
    assert!(matches!(
        unpack(archive.path(), destination.path(), &limits),
        Err(ArchiveError::TooLarge { what: "entries", .. })
    ));

    let garbage = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(garbage.path(), b"this is not gzip").unwrap();
    let error = unpack(garbage.path(), destination.path(), &ArchiveLimits::default()).unwrap_err();
    assert!(error.to_string().starts_with("the archive is not a valid tar.gz"), "{error}");
}

/// A tar.gz of regular files whose names are raw bytes, written with GNU
/// long-name entries, so they may hold anything (NUL, 300-byte parts).
fn raw_named(entries: &[(&[u8], &[u8])]) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    let encoder =
        flate2::write::GzEncoder::new(file.reopen().unwrap(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(encoder);
    for (name, content) in entries {
        let mut long = tar::Header::new_gnu();
        long.set_entry_type(tar::EntryType::GNULongName);
        long.as_old_mut().name[..13].copy_from_slice(b"././@LongLink");
        let mut data = name.to_vec();
        data.push(0);
        long.set_size(data.len() as u64);
        long.set_mode(0o644);
        long.set_cksum();
        builder.append(&long, data.as_slice()).unwrap();
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.as_old_mut().name[..5].copy_from_slice(b"short");
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append(&header, *content).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap();
    file
}

/// Names the file system cannot hold do not stop the unpack (a pushed
/// branch could otherwise hide its secrets behind one): their content is
/// written under a safe name, named in the notes, and the rest unpacks.
#[test]
fn unwritable_names_are_renamed_and_the_rest_unpacks() {
    let long = format!("top/{}.env", "k".repeat(300));
    let archive = raw_named(&[
        (long.as_bytes(), b"AWS_SECRET=1"),
        (b"top/a\0b.txt", b"nul"),
        (b"top/fine.txt", b"fine"),
    ]);
    let destination = tempfile::tempdir().unwrap();
    let unpacked = unpack(archive.path(), destination.path(), &ArchiveLimits::default()).unwrap();
    assert_eq!(unpacked.files, 3, "{:?}", unpacked.skipped);
    assert_eq!(std::fs::read_to_string(unpacked.root.join("fine.txt")).unwrap(), "fine");
    let mut names: Vec<String> = std::fs::read_dir(&unpacked.root)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 3);
    assert!(names.iter().all(|name| name.len() <= 255), "{names:?}");
    let renamed = names.iter().find(|name| name.starts_with("kkkk")).unwrap();
    assert_eq!(std::fs::read_to_string(unpacked.root.join(renamed)).unwrap(), "AWS_SECRET=1");
    assert_eq!(unpacked.skipped_total, 2);
    assert!(
        unpacked.skipped.iter().all(|note| note.contains("written as")),
        "{:?}",
        unpacked.skipped
    );
}

/// 150,000 links cost a count, not 150,000 notes; thousands of directory
/// entries create nothing; every entry kind counts toward the limit.
#[test]
fn skip_bombs_are_counted_not_kept() {
    let mut entries: Vec<(String, tar::EntryType, &[u8])> = vec![];
    for n in 0..150_000 {
        entries.push((format!("t/l{n}"), tar::EntryType::Symlink, b""));
    }
    for n in 0..5_000 {
        entries.push((format!("t/d{n}/"), tar::EntryType::Directory, b""));
    }
    entries.push(("t/x.txt".into(), tar::EntryType::Regular, b"x"));
    let borrowed: Vec<(&str, tar::EntryType, &[u8])> =
        entries.iter().map(|(path, kind, content)| (path.as_str(), *kind, *content)).collect();
    let archive = hostile(&borrowed);
    let destination = tempfile::tempdir().unwrap();
    let unpacked = unpack(archive.path(), destination.path(), &ArchiveLimits::default()).unwrap();
    assert_eq!(unpacked.files, 1);
    assert_eq!(unpacked.skipped_total, 150_000);
    assert_eq!(unpacked.skipped.len(), MAX_SKIP_NOTES);
    assert_eq!(std::fs::read_dir(&unpacked.root).unwrap().count(), 1, "directories were created");
    let limits = ArchiveLimits { max_entries: 100_000, ..ArchiveLimits::default() };
    let error = unpack(archive.path(), destination.path(), &limits).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the archive exceeds the limit of 100000 entries; raise it or exclude large files"
    );
}

/// A file over the per-file limit is passed over without a byte written;
/// a gzip bomb stops at the unpacked limit however little it wrote.
#[test]
fn large_files_are_not_written_and_bombs_stop_at_the_unpacked_limit() {
    let big = vec![0_u8; 3 << 20];
    let archive = hostile(&[
        ("t/big.bin", tar::EntryType::Regular, &big),
        ("t/small.txt", tar::EntryType::Regular, b"small"),
    ]);
    let destination = tempfile::tempdir().unwrap();
    let limits = ArchiveLimits { max_file_bytes: 1 << 20, ..ArchiveLimits::default() };
    let unpacked = unpack(archive.path(), destination.path(), &limits).unwrap();
    assert_eq!((unpacked.files, unpacked.bytes), (1, 5));
    assert!(!unpacked.root.join("big.bin").exists());
    assert_eq!(
        unpacked.skipped,
        ["t/big.bin: skipped because it is larger than the per-file limit of 1048576 bytes"]
    );
    let limits = ArchiveLimits { max_file_bytes: 1 << 20, max_unpacked_bytes: 2 << 20, ..limits };
    let error = unpack(archive.path(), destination.path(), &limits).unwrap_err();
    assert!(matches!(error, ArchiveError::TooLarge { what: "bytes", .. }), "{error}");
}

#[test]
fn control_characters_in_names_are_escaped_in_notes() {
    let archive = hostile(&[("t/a\nINFO forged", tar::EntryType::Symlink, b"")]);
    let destination = tempfile::tempdir().unwrap();
    let unpacked = unpack(archive.path(), destination.path(), &ArchiveLimits::default()).unwrap();
    assert_eq!(unpacked.skipped, ["t/a\\nINFO forged: skipped because it is a link"]);
    assert_eq!(printable("plain"), "plain");
    assert_eq!(printable("a\r\nb\u{1b}[31m"), "a\\r\\nb\\u{1b}[31m");
}
