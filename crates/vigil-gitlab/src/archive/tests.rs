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
    let limits = ArchiveLimits { max_files: 1, ..ArchiveLimits::default() };
    assert!(matches!(
        unpack(archive.path(), destination.path(), &limits),
        Err(ArchiveError::TooLarge { what: "files", .. })
    ));

    let garbage = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(garbage.path(), b"this is not gzip").unwrap();
    let error = unpack(garbage.path(), destination.path(), &ArchiveLimits::default()).unwrap_err();
    assert!(error.to_string().starts_with("the archive is not a valid tar.gz"), "{error}");
}
