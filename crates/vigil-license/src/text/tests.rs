//! Unit tests of the normaliser, through one `check` helper.

use super::*;

fn check(input: &str, expected: &str) {
    let mut words = Vec::new();
    for_each_word(input, |word, line| words.push(format!("{word}@{line}")));
    assert_eq!(words.join(" "), expected, "input: {input:?}");
}

#[test]
fn words_are_lowercased_and_punctuation_dropped() {
    check(
        "Permission is hereby granted, FREE of charge.",
        "permission@1 is@1 hereby@1 granted@1 free@1 of@1 charge@1",
    );
}

#[test]
fn copyright_statements_and_numbering_are_dropped() {
    check(
        "Copyright (c) 2020 Jane Doe\n1. Redistributions of source\n   copyright notice, this list",
        "redistributions@2 of@2 source@2 copyright@3 notice@3 this@3 list@3",
    );
    check("(a) licence\n 2.0 of the", "license@1 2@2 0@2 of@2 the@2");
}

#[test]
fn placeholders_and_url_schemes_are_dropped() {
    check(
        "Copyright <year> x\nsee <https://a.b> https://www.apache.org/licenses",
        "see@2 apache@2 org@2 licenses@2",
    );
}

#[test]
fn binary_and_oversized_input_are_reported() {
    let decoded = decode(b"\x00\x01\x02abc", 1024);
    assert!(decoded.binary);
    let decoded = decode(b"abcdef", 3);
    assert_eq!(decoded.text, "abc");
    assert_eq!(decoded.notes, ["only the first 3 of 6 bytes were examined"]);
    let decoded = decode(b"caf\xe9", 100);
    assert_eq!(decoded.text, "caf\u{fffd}");
    assert!(!decoded.binary);
}
