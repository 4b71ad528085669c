//! Input that is not a license: binary, garbled, huge, not UTF-8. Each
//! gives no expression and a note saying why, never a panic.

use vigil_license::Detector;

#[test]
fn binary_content_is_not_examined() {
    let mut bytes = b"\x7fELF\x02\x01\x01\x00".to_vec();
    bytes.extend(std::iter::repeat_n(0u8, 512));
    bytes.extend_from_slice(b"Permission is hereby granted, free of charge");
    let found = Detector::shared().detect(&bytes);
    assert_eq!(found.expression, None);
    assert_eq!(found.notes, ["the content looks binary (NUL or control bytes); not examined"]);
}

#[test]
fn garbled_text_finds_nothing() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let garbled: String = (0..20_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(b" abcdefghijklmnopqrstuvwxyz.,\n"[(state % 30) as usize])
        })
        .collect();
    let found = Detector::shared().detect(garbled.as_bytes());
    assert_eq!(found.expression, None, "{found:#?}");
    assert_eq!(found.notes, ["no license text, notice or identifier recognised"]);
    let empty = Detector::shared().detect(b"");
    assert_eq!(empty.notes, ["no words to match (empty or not text)"]);
}

#[test]
fn huge_files_are_bounded() {
    let mit = spdx::text::LICENSE_TEXTS.iter().find(|(id, _)| *id == "MIT").unwrap().1;
    let mut big = mit.as_bytes().to_vec();
    big.extend(std::iter::repeat_n(b'x', 3 << 20));
    big.extend_from_slice(b"\nLicensed under the Apache License, Version 2.0\n");
    let found = Detector::shared().detect(&big);
    assert_eq!(found.expression.as_deref(), Some("MIT"), "the Apache notice lies past the bound");
    assert_eq!(
        found.notes,
        [format!("only the first 1048576 of {} bytes were examined", big.len())]
    );
}

#[test]
fn invalid_utf8_is_decoded_lossily() {
    let mut bytes = b"Licensed under the MIT license. Auteur: Ren\xe9\n".to_vec();
    bytes.extend_from_slice(b"\xff\xfe garbage");
    let found = Detector::shared().detect(&bytes);
    assert_eq!(found.expression.as_deref(), Some("MIT"));
    assert_eq!(found.notes, ["the content is not valid UTF-8; decoded lossily"]);
}
