//! The metadata cache: a round trip through its files, fresh and stale
//! entries, and files that are cut short or garbled, which are ignored
//! with the reason.

use vigil_sca::Ecosystem;
use vigil_sca::metadata_cache::{CacheError, Lookup, MetadataCache};
use vigil_sca::registry::{crates_index, npm, pypi};

use crate::fixtures::dir;

const FETCHED: i64 = 1_796_643_000;
const DAY: i64 = 86_400;

fn filled(cache_dir: &std::path::Path) -> MetadataCache {
    let read = |rel: &str| {
        std::fs::read(dir(&format!("registry/{rel}"))).unwrap_or_else(|e| panic!("{rel}: {e}"))
    };
    let parsed = [
        npm::parse(&read("npm/left-pad.json"), FETCHED),
        npm::parse(&read("npm/react.trimmed.json"), FETCHED - 10 * DAY),
        pypi::parse(&read("pypi/requests.json"), FETCHED),
        crates_index::parse(&read("crates-index/serde"), FETCHED),
    ];
    let mut cache = MetadataCache::open(cache_dir);
    for metadata in parsed {
        cache.insert(metadata.unwrap_or_else(|e| panic!("{e}")));
    }
    cache
}

#[test]
fn a_written_cache_reads_back_the_same() {
    let temp = tempfile::tempdir().unwrap();
    let cache_dir = MetadataCache::dir(temp.path());
    assert!(MetadataCache::open(&cache_dir).is_empty(), "no directory yet: empty, no problem");
    let cache = filled(&cache_dir);
    cache.write().unwrap();
    let mut files: Vec<String> = std::fs::read_dir(&cache_dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["PyPI.jsonl", "crates.io.jsonl", "npm.jsonl"]);

    let reopened = MetadataCache::open(&cache_dir);
    assert!(reopened.problems().is_empty(), "{:?}", reopened.problems());
    assert_eq!(reopened.len(), 4);
    for (ecosystem, name) in [
        (Ecosystem::Npm, "left-pad"),
        (Ecosystem::Npm, "react"),
        (Ecosystem::PyPI, "requests"),
        (Ecosystem::CratesIo, "serde"),
    ] {
        let before = cache.get(ecosystem, name, FETCHED, DAY).metadata().unwrap();
        let after = reopened.get(ecosystem, name, FETCHED, DAY).metadata().unwrap();
        assert_eq!(before, after, "{name}");
    }
    // PyPI names are looked up normalised.
    assert!(reopened.get(Ecosystem::PyPI, "Requests", FETCHED, DAY).metadata().is_some());
}

#[test]
fn entries_are_fresh_within_the_ttl_then_stale() {
    let temp = tempfile::tempdir().unwrap();
    let cache = filled(temp.path());
    let ttl = 7 * DAY;
    assert!(matches!(
        cache.get(Ecosystem::Npm, "left-pad", FETCHED + ttl - 1, ttl),
        Lookup::Fresh(_)
    ));
    assert!(matches!(cache.get(Ecosystem::Npm, "left-pad", FETCHED + ttl, ttl), Lookup::Stale(_)));
    // Fetched ten days before the others.
    assert!(matches!(cache.get(Ecosystem::Npm, "react", FETCHED, ttl), Lookup::Stale(_)));
    assert_eq!(cache.get(Ecosystem::Npm, "lodash", FETCHED, ttl), Lookup::Missing);
    assert_eq!(cache.get(Ecosystem::PyPI, "left-pad", FETCHED, ttl), Lookup::Missing);
}

#[test]
fn a_rewrite_replaces_the_file_and_leaves_nothing_beside_it() {
    let temp = tempfile::tempdir().unwrap();
    let mut cache = filled(temp.path());
    cache.write().unwrap();
    let mut newer = cache.get(Ecosystem::Npm, "left-pad", FETCHED, DAY).metadata().unwrap().clone();
    newer.fetched_at += DAY;
    cache.insert(newer);
    cache.write().unwrap();
    let reopened = MetadataCache::open(temp.path());
    let left_pad = reopened.get(Ecosystem::Npm, "left-pad", FETCHED, DAY).metadata().unwrap();
    assert_eq!(left_pad.fetched_at, FETCHED + DAY);
    assert_eq!(std::fs::read_dir(temp.path()).unwrap().count(), 3, "no partial file left");
}

fn problems_of(text: &str) -> (usize, Vec<String>) {
    let temp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    filled(temp.path()).write().unwrap_or_else(|e| panic!("{e}"));
    let npm_file = MetadataCache::file(temp.path(), Ecosystem::Npm);
    std::fs::write(&npm_file, text).unwrap_or_else(|e| panic!("{e}"));
    let cache = MetadataCache::open(temp.path());
    let prefix = format!("the metadata cache {} was ignored: ", npm_file.display());
    let problems = cache
        .problems()
        .iter()
        .map(|problem| {
            assert!(matches!(problem, CacheError::Corrupt { .. }));
            let text = problem.to_string();
            text.strip_prefix(&prefix).unwrap_or_else(|| panic!("{text}")).to_owned()
        })
        .collect();
    assert_eq!(cache.get(Ecosystem::Npm, "left-pad", FETCHED, DAY), Lookup::Missing);
    (cache.len(), problems)
}

#[test]
fn a_cut_short_or_garbled_file_is_ignored_with_the_reason() {
    let temp = tempfile::tempdir().unwrap();
    filled(temp.path()).write().unwrap();
    let whole = std::fs::read_to_string(MetadataCache::file(temp.path(), Ecosystem::Npm)).unwrap();
    let lines: Vec<&str> = whole.lines().collect();
    assert_eq!(lines.len(), 4, "header, two packages, end marker");

    let cut_after_one = format!("{}\n{}\n", lines[0], lines[1]);
    let cut_mid_line = &whole[..whole.len() - lines[3].len() - 40];
    let cases = [
        ("", "the file is empty".to_owned()),
        (
            cut_after_one.as_str(),
            "it ends after 1 of 2 packages, without its end marker (a write was cut short)"
                .to_owned(),
        ),
        (
            cut_mid_line,
            "it ends after 2 of 2 packages, without its end marker (a write was cut short)"
                .to_owned(),
        ),
        (
            "garbage\n",
            "the first line is not a cache header: expected value at line 1 column 1".to_owned(),
        ),
        (
            "{\"vigil_metadata\":9,\"ecosystem\":\"Npm\",\"count\":0}\n{\"end\":0}\n",
            "it is format 9, this build reads format 1".to_owned(),
        ),
        (
            "{\"vigil_metadata\":1,\"ecosystem\":\"PyPI\",\"count\":0}\n{\"end\":0}\n",
            "it holds PyPI packages, not npm".to_owned(),
        ),
        (
            &format!("{}\n{}\n{}\n{{\"end\":3}}\n", lines[0], lines[1], lines[2]),
            "line 4: the end marker counts 3, the header 2".to_owned(),
        ),
    ];
    for (text, expected) in cases {
        let (left, problems) = problems_of(text);
        let problems: Vec<String> =
            problems.into_iter().map(|p| p.chars().take(expected.len()).collect()).collect();
        assert_eq!(problems, [expected]);
        assert_eq!(left, 2, "the other ecosystems' files are still used");
    }
}

/// Opening reads only the names; a package's line is parsed when looked
/// up. A line whose name reads but whose rest does not loses only that
/// package (it is fetched again), and a rewrite drops it; lines never
/// looked up are copied as they were.
#[test]
fn a_garbled_package_line_loses_only_that_package() {
    let temp = tempfile::tempdir().unwrap();
    filled(temp.path()).write().unwrap();
    let path = MetadataCache::file(temp.path(), Ecosystem::Npm);
    let whole = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = whole.lines().collect();
    let (left_pad, react) = if lines[1].contains("\"left-pad\"") { (1, 2) } else { (2, 1) };
    // left-pad's line keeps its name and loses its end; react's keys are
    // written in another order (the name is then read by a full parse).
    let garbled = format!("{}, \"versions\": [tru", &lines[left_pad][..60]);
    let mut react_value: serde_json::Value = serde_json::from_str(lines[react]).unwrap();
    let name = react_value.as_object_mut().unwrap().remove("name").unwrap();
    let mut reordered = serde_json::Map::new();
    reordered.insert("name".into(), name);
    reordered.extend(react_value.as_object().unwrap().clone());
    let reordered = serde_json::to_string(&reordered).unwrap();
    let mut text = [lines[0].to_owned(), String::new(), String::new(), lines[3].to_owned()];
    text[left_pad] = garbled;
    text[react] = reordered;
    std::fs::write(&path, text.join("\n") + "\n").unwrap();

    let cache = MetadataCache::open(temp.path());
    assert!(cache.problems().is_empty(), "{:?}", cache.problems());
    assert_eq!(cache.len(), 4);
    assert_eq!(cache.get(Ecosystem::Npm, "left-pad", FETCHED, DAY), Lookup::Missing);
    let react = cache.get(Ecosystem::Npm, "react", FETCHED, 100 * DAY).metadata().unwrap();
    assert_eq!(react.versions.len(), 2963);
    cache.write().unwrap();

    let again = MetadataCache::open(temp.path());
    assert!(again.problems().is_empty(), "{:?}", again.problems());
    assert_eq!(again.len(), 3, "left-pad dropped, to be fetched again");
    assert!(again.get(Ecosystem::PyPI, "requests", FETCHED, DAY).metadata().is_some());
    assert_eq!(
        again.get(Ecosystem::Npm, "react", FETCHED, 100 * DAY).metadata().unwrap().versions.len(),
        2963
    );
}
