//! The crate-archive reader on archives recorded from static.crates.io
//! (`tests/fixtures/registry/crates-archive/`) and on bad ones.

use super::*;

fn recorded(file: &str) -> Vec<u8> {
    let path =
        format!("{}/tests/fixtures/registry/crates-archive/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

fn license(text: &str) -> Progress {
    Progress::Found(CrateLicense { license: Some(text.to_owned()), license_file: None })
}

#[test]
fn reads_the_license_of_recorded_archives() {
    let itoa = recorded("itoa-1.0.11.crate");
    assert_eq!(read(&itoa, true, "itoa", "1.0.11").unwrap(), license("MIT OR Apache-2.0"));
    let untrusted = recorded("untrusted-0.7.1.crate");
    assert_eq!(read(&untrusted, true, "untrusted", "0.7.1").unwrap(), license("ISC"));
    let cfg_if = recorded("cfg-if-1.0.0.crate");
    assert_eq!(read(&cfg_if, true, "cfg-if", "1.0.0").unwrap(), license("MIT/Apache-2.0"));
}

#[test]
fn a_license_file_is_named_instead() {
    let ring = recorded("ring-0.16.20.crate.first-64KiB");
    assert_eq!(
        read(&ring, false, "ring", "0.16.20").unwrap(),
        Progress::Found(CrateLicense { license: None, license_file: Some("LICENSE".to_owned()) })
    );
}

#[test]
fn a_prefix_too_short_asks_for_more_and_a_whole_one_answers() {
    let itoa = recorded("itoa-1.0.11.crate");
    // The first kilobyte holds the tar headers of the dotfiles, not Cargo.toml.
    for cut in [0, 1, 10, 100, 1024] {
        assert_eq!(
            read(&itoa[..cut], false, "itoa", "1.0.11").unwrap(),
            Progress::NeedMore,
            "{cut}"
        );
    }
    // The smallest prefix that answers is well short of the whole file.
    let enough = (1..=itoa.len())
        .find(|&cut| matches!(read(&itoa[..cut], false, "itoa", "1.0.11"), Ok(Progress::Found(_))))
        .unwrap();
    assert!(enough < itoa.len(), "{enough} of {}", itoa.len());
}

#[test]
fn another_version_or_name_is_not_its_manifest() {
    let itoa = recorded("itoa-1.0.11.crate");
    let error = read(&itoa, true, "itoa", "1.0.12").unwrap_err();
    assert_eq!(
        error.to_string(),
        "crates.io download answer has an unexpected shape: it holds no itoa-1.0.12/Cargo.toml"
    );
    // Without the whole download, it may yet come.
    assert_eq!(read(&itoa, false, "itoa", "1.0.12").unwrap(), Progress::NeedMore);
}

#[test]
fn hostile_archives_give_a_reason_not_a_panic() {
    let error = |bytes: &[u8]| read(bytes, true, "x", "1.0.0").unwrap_err().to_string();
    assert_eq!(error(b""), "crates.io download answer is empty");
    assert_eq!(
        error(b"<html>Not Found</html>"),
        "crates.io download answer has an unexpected shape: it is not a gzip file, so not a crate archive"
    );
    // A gzip header, then garbage.
    let mut garbage = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    garbage.extend(std::iter::repeat_n(0xAB, 4096));
    assert!(
        error(&garbage).starts_with("crates.io download answer has an unexpected shape: it is not")
    );
    // A recorded archive cut short and called complete.
    let itoa = recorded("itoa-1.0.11.crate");
    assert!(read(&itoa[..500], true, "itoa", "1.0.11").is_err());
    // Over the limit.
    let huge = vec![0x1f; MAX_BYTES + 1];
    assert!(error(&huge).contains("more than the 8388608 allowed"));
}

fn archive(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, data) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        // Written raw: the builder refuses a `..` in a path, a hostile archive need not.
        header.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
        header.set_cksum();
        builder.append(&header, *data).unwrap();
    }
    let tar = builder.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    gz.finish().unwrap()
}

#[test]
fn a_manifest_that_is_not_toml_or_too_large_is_named() {
    let bad = archive(&[("x-1.0.0/Cargo.toml", b"[package\nlicense = ")]);
    let error = read(&bad, true, "x", "1.0.0").unwrap_err().to_string();
    assert!(error.contains("its x-1.0.0/Cargo.toml is not valid TOML"), "{error}");
    let big = vec![b'#'; 1024 * 1024 + 1];
    let large = archive(&[("x-1.0.0/Cargo.toml", &big)]);
    let error = read(&large, true, "x", "1.0.0").unwrap_err().to_string();
    assert!(error.contains("1048577 bytes, more than the 1048576 read"), "{error}");
    let binary = archive(&[("x-1.0.0/Cargo.toml", &[0xff, 0xfe, 0x00, 0x80])]);
    let error = read(&binary, true, "x", "1.0.0").unwrap_err().to_string();
    assert!(error.contains("is not UTF-8 text"), "{error}");
    // No [package] table, an empty license: no license, not an error.
    let none = archive(&[("x-1.0.0/Cargo.toml", b"[lib]\nname = \"x\"\n")]);
    assert_eq!(read(&none, true, "x", "1.0.0").unwrap(), Progress::Found(CrateLicense::default()));
    let empty = archive(&[("x-1.0.0/Cargo.toml", b"[package]\nlicense = \"  \"\n")]);
    assert_eq!(read(&empty, true, "x", "1.0.0").unwrap(), Progress::Found(CrateLicense::default()));
    // A manifest of another crate's directory is not this one's.
    let other = archive(&[("../x-1.0.0/Cargo.toml", b"[package]\nlicense = \"MIT\"\n")]);
    assert!(read(&other, true, "x", "1.0.0").is_err());
}

#[test]
fn a_bomb_of_entries_stops_at_the_entry_limit() {
    let names: Vec<String> = (0..MAX_ENTRIES + 1).map(|index| format!("x-1.0.0/{index}")).collect();
    let entries: Vec<(&str, &[u8])> = names.iter().map(|name| (name.as_str(), &b""[..])).collect();
    let bomb = archive(&entries);
    let error = read(&bomb, true, "x", "1.0.0").unwrap_err().to_string();
    assert!(error.contains("no x-1.0.0/Cargo.toml among its first 10000 files"), "{error}");
}
