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

/// Scoring from a written file reads each package's head (with the
/// summary of its releases) and the version in use only, and scores
/// exactly as the whole metadata does, for listed, unlisted, yanked and
/// pre-release versions.
#[test]
fn a_brief_scores_as_the_whole_metadata_does() {
    use vigil_sca::risk::{assess, assess_of};
    let temp = tempfile::tempdir().unwrap();
    let cache = filled(temp.path());
    cache.write().unwrap();
    let reopened = MetadataCache::open(temp.path());
    let mut compared = 0;
    for (ecosystem, name) in [
        (Ecosystem::Npm, "left-pad"),
        (Ecosystem::Npm, "react"),
        (Ecosystem::PyPI, "requests"),
        (Ecosystem::CratesIo, "serde"),
    ] {
        let whole = cache.get(ecosystem, name, FETCHED, DAY).metadata().unwrap();
        let mut versions: Vec<&str> = whole.versions.iter().map(|v| v.version.as_str()).collect();
        versions.push("9.9.9-not-listed");
        let yanked = whole.versions.iter().filter(|v| v.yanked).count();
        let prerelease = whole.versions.iter().filter(|v| v.prerelease).count();
        assert!(yanked + prerelease > 0 || name == "left-pad", "{name}: a varied sample");
        for version in versions.iter().step_by(7).chain(versions.last()) {
            for now in [FETCHED, FETCHED + 400 * DAY] {
                let brief = reopened.brief(ecosystem, name, version, now, 7 * DAY).unwrap();
                assert!(brief.package.versions.is_empty(), "{name}: versions not parsed");
                assert_eq!(brief.in_use.as_ref(), whole.version(version), "{name} {version}");
                assert_eq!(
                    assess_of(brief.package, brief.releases, brief.in_use.as_ref(), now),
                    assess(whole, version, now),
                    "{name} {version}"
                );
                assert_eq!(brief.stale, now - whole.fetched_at >= 7 * DAY);
                compared += 1;
            }
        }
        // The same from the cache in memory (inserted, not read from a file).
        let in_memory = cache.brief(ecosystem, name, versions[0], FETCHED, DAY).unwrap();
        assert_eq!(in_memory.in_use.as_ref(), whole.version(versions[0]));
    }
    assert!(compared > 100, "{compared}");
    assert_eq!(reopened.brief(Ecosystem::Npm, "lodash", "1.0.0", FETCHED, DAY), None);
}

#[test]
fn a_change_in_place_is_kept_by_the_next_write() {
    let temp = tempfile::tempdir().unwrap();
    filled(temp.path()).write().unwrap();
    let mut cache = MetadataCache::open(temp.path());
    assert_eq!(cache.get_mut(Ecosystem::CratesIo, "no-such-crate"), None);
    let serde = cache.get_mut(Ecosystem::CratesIo, "serde").unwrap();
    let version = serde.versions.last_mut().unwrap();
    assert_eq!(version.license, None, "the crates.io index gives no license");
    version.license = Some("MIT OR Apache-2.0".to_owned());
    let changed = version.version.clone();
    cache.write().unwrap();
    let reopened = MetadataCache::open(temp.path());
    let serde = reopened.get(Ecosystem::CratesIo, "serde", FETCHED, DAY).metadata().unwrap();
    assert_eq!(serde.license_of(&changed), Some("MIT OR Apache-2.0"));
    // The others, never looked up, are copied as they were.
    assert_eq!(reopened.len(), 4);
    assert!(reopened.get(Ecosystem::Npm, "react", FETCHED, DAY).metadata().is_some());
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

/// The lines of the npm file a filled cache writes: header, left-pad,
/// react, index, end marker.
fn written_npm_lines() -> Vec<String> {
    let temp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    filled(temp.path()).write().unwrap_or_else(|e| panic!("{e}"));
    let whole = std::fs::read_to_string(MetadataCache::file(temp.path(), Ecosystem::Npm))
        .unwrap_or_else(|e| panic!("{e}"));
    let lines: Vec<String> = whole.lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 5, "header, two packages, index, end marker");
    assert!(lines[1].contains("\"left-pad\"") && lines[2].contains("\"react\""));
    lines
}

/// A format 2 npm file of `packages` (name, line) with its index and end
/// marker, as the cache writes one, and the index's offset.
fn format_2(packages: &[(&str, &str)]) -> (String, usize) {
    let mut text =
        format!("{{\"vigil_metadata\":2,\"ecosystem\":\"Npm\",\"count\":{}}}\n", packages.len());
    let mut index = Vec::new();
    for (name, line) in packages {
        // The head: every field before the versions (none in a garbled line).
        let head = line.find(",\"versions\":").unwrap_or(0);
        index.push(serde_json::json!([name, text.len(), line.len(), head]));
        text.push_str(line);
        text.push('\n');
    }
    let index_at = text.len();
    text.push_str(&serde_json::json!({ "index": index }).to_string());
    text.push_str(&format!("\n{{\"end\":{},\"index_at\":{index_at}}}\n", packages.len()));
    (text, index_at)
}

#[test]
fn a_cut_short_or_garbled_file_is_ignored_with_the_reason() {
    let lines = written_npm_lines();
    let whole = lines.join("\n") + "\n";
    let (rebuilt, index_at) = format_2(&[("left-pad", &lines[1]), ("react", &lines[2])]);
    assert_eq!(rebuilt, whole, "the test builds files as the cache writes them");
    let before_end = &whole[..whole.len() - lines[4].len() - 1];
    let with_end = |end: &str| format!("{before_end}{end}\n");
    let with_index = |index: &str| {
        format!(
            "{}\n{}\n{}\n{index}\n{{\"end\":2,\"index_at\":{index_at}}}\n",
            lines[0], lines[1], lines[2]
        )
    };
    let cut_short = "it has no end marker (a write was cut short)";
    let cases = [
        ("".to_owned(), "the file is empty"),
        (format!("{}\n{}\n", lines[0], lines[1]), cut_short),
        (whole[..whole.len() - 20].to_owned(), cut_short),
        (before_end.to_owned(), cut_short),
        (
            "garbage\n".to_owned(),
            "the first line is not a cache header: expected value at line 1 column 1",
        ),
        (
            "{\"vigil_metadata\":9,\"ecosystem\":\"Npm\",\"count\":0}\n{\"end\":0}\n".to_owned(),
            "it is format 9, this build reads formats 1 and 2",
        ),
        (
            "{\"vigil_metadata\":2,\"ecosystem\":\"PyPI\",\"count\":0}\n{\"end\":0}\n".to_owned(),
            "it holds PyPI packages, not npm",
        ),
        (
            with_end(&format!("{{\"end\":3,\"index_at\":{index_at}}}")),
            "the end marker counts 3, the header 2",
        ),
        (with_end("{\"end\":2}"), "its end marker does not say where its index is"),
        (
            with_end("{\"end\":2,\"index_at\":999999999}"),
            "its end marker places the index at byte 999999999, outside the file",
        ),
        (with_index("{\"index\":7}"), "its index cannot be read: invalid type: integer `7`"),
        (
            with_index("{\"index\":[[\"left-pad\",49,10,5]]}"),
            "its index lists 1 packages, the header 2",
        ),
        (
            with_index("{\"index\":[[\"left-pad\",0,10,5],[\"react\",60,10,5]]}"),
            "its index places left-pad outside the package lines",
        ),
        (
            with_index(&format!(
                "{{\"index\":[[\"left-pad\",60,10,5],[\"react\",60,{index_at},5]]}}"
            )),
            "its index places react outside the package lines",
        ),
        (
            with_index("{\"index\":[[\"left-pad\",60,10,11],[\"react\",80,10,5]]}"),
            "its index places left-pad outside the package lines",
        ),
    ];
    for (text, expected) in cases {
        let (left, problems) = problems_of(&text);
        let problems: Vec<String> =
            problems.into_iter().map(|p| p.chars().take(expected.len()).collect()).collect();
        assert_eq!(problems, [expected], "{text:.200}");
        assert_eq!(left, 2, "the other ecosystems' files are still used");
    }
}

/// Opening reads the index; a package's line is read and parsed when
/// looked up. A line that does not parse, or is another package's, loses
/// only that package (it is fetched again) and a rewrite drops it; lines
/// never looked up are copied as they were.
#[test]
fn a_garbled_package_line_loses_only_that_package() {
    let lines = written_npm_lines();
    let garbled = format!("{}, \"versions\": [tru", &lines[1][..60]);
    let temp = tempfile::tempdir().unwrap();
    filled(temp.path()).write().unwrap();
    let path = MetadataCache::file(temp.path(), Ecosystem::Npm);
    let (text, _) =
        format_2(&[("left-pad", &garbled), ("lodash", &lines[2]), ("react", &lines[2])]);
    std::fs::write(&path, text).unwrap();

    let cache = MetadataCache::open(temp.path());
    assert!(cache.problems().is_empty(), "{:?}", cache.problems());
    assert_eq!(cache.len(), 5);
    // Read first through the heads: a garbled line has no head, and
    // react's head names react, not lodash.
    assert_eq!(cache.brief(Ecosystem::Npm, "lodash", "1.0.0", FETCHED, DAY), None);
    assert_eq!(cache.brief(Ecosystem::Npm, "left-pad", "1.3.0", FETCHED, DAY), None);
    assert!(cache.brief(Ecosystem::Npm, "react", "19.3.1", FETCHED, DAY).is_some());
    assert_eq!(cache.get(Ecosystem::Npm, "left-pad", FETCHED, DAY), Lookup::Missing);
    assert_eq!(cache.get(Ecosystem::Npm, "lodash", FETCHED, DAY), Lookup::Missing, "react's line");
    let react = cache.get(Ecosystem::Npm, "react", FETCHED, 100 * DAY).metadata().unwrap();
    assert_eq!(react.versions.len(), 2963);
    cache.write().unwrap();

    let again = MetadataCache::open(temp.path());
    assert!(again.problems().is_empty(), "{:?}", again.problems());
    assert_eq!(again.len(), 3, "left-pad and lodash dropped, to be fetched again");
    // Never looked up before the write: copied from the old file.
    assert!(again.get(Ecosystem::PyPI, "requests", FETCHED, DAY).metadata().is_some());
    assert!(again.get(Ecosystem::CratesIo, "serde", FETCHED, DAY).metadata().is_some());
    assert_eq!(
        again.get(Ecosystem::Npm, "react", FETCHED, 100 * DAY).metadata().unwrap().versions.len(),
        2963
    );
}

/// A cache written by an earlier build (format 1: no index) is read whole:
/// names when opened, each line when looked up; the next write turns it
/// into format 2. Its own damage is reported as before.
#[test]
fn a_format_1_file_is_read_whole_and_rewritten_in_format_2() {
    let lines = written_npm_lines();
    let header = "{\"vigil_metadata\":1,\"ecosystem\":\"Npm\",\"count\":2}";
    // left-pad's line keeps its name and loses its end; react's keys are
    // written in another order (the name is then read by a full parse).
    let garbled = format!("{}, \"versions\": [tru", &lines[1][..60]);
    let mut react_value: serde_json::Value = serde_json::from_str(&lines[2]).unwrap();
    let name = react_value.as_object_mut().unwrap().remove("name").unwrap();
    let mut reordered = serde_json::Map::new();
    reordered.insert("name".into(), name);
    reordered.extend(react_value.as_object().unwrap().clone());
    let reordered = serde_json::to_string(&reordered).unwrap();

    let temp = tempfile::tempdir().unwrap();
    filled(temp.path()).write().unwrap();
    let path = MetadataCache::file(temp.path(), Ecosystem::Npm);
    std::fs::write(&path, format!("{header}\n{garbled}\n{reordered}\n{{\"end\":2}}\n")).unwrap();
    let cache = MetadataCache::open(temp.path());
    assert!(cache.problems().is_empty(), "{:?}", cache.problems());
    assert_eq!(cache.len(), 4);
    assert_eq!(cache.get(Ecosystem::Npm, "left-pad", FETCHED, DAY), Lookup::Missing);
    assert!(cache.get(Ecosystem::Npm, "react", FETCHED, DAY).metadata().is_some());
    cache.write().unwrap();
    let rewritten = std::fs::read_to_string(&path).unwrap();
    assert!(rewritten.starts_with("{\"vigil_metadata\":2,"), "{rewritten:.80}");
    let again = MetadataCache::open(temp.path());
    assert!(again.problems().is_empty(), "{:?}", again.problems());
    assert_eq!(again.len(), 3);
    assert_eq!(
        again.get(Ecosystem::Npm, "react", FETCHED, DAY).metadata().unwrap().versions.len(),
        2963
    );

    let cases = [
        (
            format!("{header}\n{}\n", lines[1]),
            "it ends after 1 of 2 packages, without its end marker (a write was cut short)",
        ),
        (
            format!("{header}\n{}\n{}\n{{\"end\":3}}\n", lines[1], lines[2]),
            "line 4: the end marker counts 3, the header 2",
        ),
    ];
    for (text, expected) in cases {
        let (_, problems) = problems_of(&text);
        assert_eq!(problems, [expected]);
    }
}
