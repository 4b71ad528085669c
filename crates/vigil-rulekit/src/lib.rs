//! The rule kit: what makes an engine's rules trustworthy, shared by every
//! engine's tests (a dev-dependency, never linked into the product).
//!
//! An engine's test describes its rules as [`RuleCase`]s (the rule's
//! metadata, where it is defined, and its true and false samples) and
//! calls:
//!
//! - [`check_catalogue`]: ids are the engine's prefix and digits, unique,
//!   never one of the engine's retired ids; names kebab-case and unique;
//!   title, description and fix written; at least one true and one false
//!   sample each;
//! - [`check_samples`]: each true sample is found by its rule alone exactly
//!   once and by the full engine; each false sample by neither;
//! - [`snapshot`]: one line per sample with what the full engine reported,
//!   for an insta snapshot.
//!
//! Samples run through both phases of [`Engine`]: `scan_file` when the
//! engine wants the path, `scan_tree` with the sample alone when it keeps
//! it, so cross-file engines use the same kit.
#![deny(missing_docs)]

use std::collections::BTreeSet;
use std::fmt::Write as _;

use vigil_core::{Engine, FileOutput, Finding, Rule, SourceFile};

/// One sample file.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Its path (decides which engines and rules look at it).
    pub path: String,
    /// Its text.
    pub text: String,
}

impl Sample {
    /// A sample at `path`.
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> Sample {
        Sample { path: path.into(), text: text.into() }
    }
}

/// A rule with where it is defined and its samples.
#[derive(Debug, Clone)]
pub struct RuleCase {
    /// Its metadata.
    pub rule: Rule,
    /// Where it is defined (a data file, a module), for failure messages.
    pub origin: String,
    /// Samples it must find, once each.
    pub true_samples: Vec<Sample>,
    /// Samples it must not find.
    pub false_samples: Vec<Sample>,
}

/// Runs `engine` over one sample: `scan_file` if it wants the path, then
/// `scan_tree` with the sample alone if it keeps it.
pub fn scan(engine: &dyn Engine, sample: &Sample) -> FileOutput {
    let mut output = FileOutput::default();
    let file = SourceFile { path: &sample.path, content: sample.text.as_bytes() };
    if engine.wants(&sample.path) {
        engine.scan_file(file, &mut output);
    }
    if engine.keeps(&sample.path) {
        engine.scan_tree(&[file], &mut output);
    }
    output
}

/// Problems with the catalogue itself; empty when it is sound. `prefix`
/// is the engine's id prefix (`SEC`), `retired` its retired ids.
pub fn check_catalogue(cases: &[RuleCase], prefix: &str, retired: &[&str]) -> Vec<String> {
    let mut failures = Vec::new();
    let mut ids = BTreeSet::new();
    let mut names = BTreeSet::new();
    let well_formed = |id: &str| {
        id.strip_prefix(prefix)
            .is_some_and(|digits| digits.len() >= 3 && digits.bytes().all(|b| b.is_ascii_digit()))
    };
    let mut retired_seen = BTreeSet::new();
    for id in retired {
        if !well_formed(id) {
            failures.push(format!("retired id `{id}` is not {prefix} + 3 or more digits"));
        }
        if !retired_seen.insert(*id) {
            failures.push(format!("retired id {id} is listed twice"));
        }
    }
    for case in cases {
        let (rule, origin) = (&case.rule, &case.origin);
        if !well_formed(&rule.id) {
            failures.push(format!("{origin}: rule id `{}` is not {prefix} + digits", rule.id));
        }
        if retired_seen.contains(rule.id.as_str()) {
            failures.push(format!("{origin}: {} is a retired id and is never reused", rule.id));
        }
        let kebab = !rule.name.is_empty()
            && rule.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !kebab {
            failures.push(format!("{origin}: rule name `{}` is not kebab-case", rule.name));
        }
        if !ids.insert(rule.id.clone()) {
            failures.push(format!("{origin}: duplicate rule id {}", rule.id));
        }
        if !names.insert(rule.name.clone()) {
            failures.push(format!("{origin}: duplicate rule name {}", rule.name));
        }
        for (field, text) in [
            ("title", &rule.title),
            ("description", &rule.description),
            ("remediation", &rule.remediation),
        ] {
            if text.trim().is_empty() {
                failures.push(format!("{origin}: {} has no {field}", rule.id));
            }
        }
        if case.true_samples.is_empty() || case.false_samples.is_empty() {
            failures.push(format!("{origin}: {} lacks a true or a false sample", rule.id));
        }
    }
    failures
}

/// Sample failures; empty when every rule finds its true samples (alone
/// exactly once, and in the `full` engine) and none of its false ones.
/// `alone` builds an engine holding that one rule.
pub fn check_samples(
    cases: &[RuleCase],
    full: &dyn Engine,
    alone: impl Fn(&RuleCase) -> Box<dyn Engine>,
) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases {
        let id = &case.rule.id;
        let engine = alone(case);
        for sample in &case.true_samples {
            let found = scan(engine.as_ref(), sample).findings;
            if found.len() != 1 {
                failures.push(format!(
                    "{id}: true sample found {} times alone: {}",
                    found.len(),
                    sample.text
                ));
            }
            if !scan(full, sample).findings.iter().any(|finding| finding.rule_id == *id) {
                failures.push(format!(
                    "{id}: the full engine misses a true sample (another rule took it?): {}",
                    sample.text
                ));
            }
        }
        for sample in &case.false_samples {
            if !scan(engine.as_ref(), sample).findings.is_empty() {
                failures.push(format!("{id}: false sample reported: {}", sample.text));
            }
        }
    }
    failures
}

/// One line per sample, `ID tpN: what the full engine reported`, each
/// finding written by `describe`; for an insta snapshot.
pub fn snapshot(
    cases: &[RuleCase],
    full: &dyn Engine,
    describe: impl Fn(&Finding) -> String,
) -> String {
    let mut table = String::new();
    for case in cases {
        for (label, samples) in [("tp", &case.true_samples), ("fp", &case.false_samples)] {
            for (index, sample) in samples.iter().enumerate() {
                let found: Vec<String> =
                    scan(full, sample).findings.iter().map(&describe).collect();
                let _ = writeln!(table, "{} {label}{index}: {}", case.rule.id, found.join(", "));
            }
        }
    }
    table
}

/// Fails the test with every failure listed.
#[track_caller]
pub fn assert_none(what: &str, failures: &[String]) {
    assert!(failures.is_empty(), "{} {what}:\n{}", failures.len(), failures.join("\n"));
}

#[cfg(test)]
mod tests {
    use vigil_core::{FindingKind, Location, Severity};

    use super::*;

    /// Reports the word `BAD` as TST001 and, for `.lock` files in the tree
    /// phase, `LOCK` as TST002.
    struct Toy(Vec<Rule>);

    impl Engine for Toy {
        fn name(&self) -> &'static str {
            "toy"
        }
        fn kinds(&self) -> &'static [FindingKind] {
            &[FindingKind::Iac]
        }
        fn rules(&self) -> &[Rule] {
            &self.0
        }
        fn wants(&self, path: &str) -> bool {
            !path.ends_with(".lock")
        }
        fn scan_file(&self, file: SourceFile<'_>, output: &mut FileOutput) {
            report(&self.0, "TST001", "BAD", file, output);
        }
        fn keeps(&self, path: &str) -> bool {
            path.ends_with(".lock")
        }
        fn scan_tree(&self, files: &[SourceFile<'_>], output: &mut FileOutput) {
            for file in files {
                report(&self.0, "TST002", "LOCK", *file, output);
            }
        }
    }

    fn report(rules: &[Rule], id: &str, word: &str, file: SourceFile<'_>, out: &mut FileOutput) {
        if !rules.iter().any(|rule| rule.id == id) {
            return;
        }
        let text = String::from_utf8_lossy(file.content);
        for (at, _) in text.match_indices(word) {
            let location = Location::from_byte_range(file.path, file.content, at, at + word.len());
            out.findings.push(Finding::new(
                FindingKind::Iac,
                id,
                "t",
                Severity::Low,
                location,
                word,
            ));
        }
    }

    fn case(
        id: &str,
        name: &str,
        true_samples: &[(&str, &str)],
        false_samples: &[&str],
    ) -> RuleCase {
        RuleCase {
            rule: Rule {
                id: id.into(),
                name: name.into(),
                kind: FindingKind::Iac,
                title: "t".into(),
                severity: Severity::Low,
                description: "d".into(),
                remediation: "r".into(),
                references: Vec::new(),
                aliases: Vec::new(),
                status: Default::default(),
            },
            origin: format!("{id}.toml"),
            true_samples: true_samples
                .iter()
                .map(|(path, text)| Sample::new(*path, *text))
                .collect(),
            false_samples: false_samples.iter().map(|text| Sample::new("a.txt", *text)).collect(),
        }
    }

    #[test]
    fn the_catalogue_check_names_each_problem() {
        let cases = [
            case("TST001", "bad-word", &[("a.txt", "BAD")], &["good"]),
            case("TST001", "Bad Word", &[], &["good"]),
            case("TST9", "short", &[("a.txt", "BAD")], &["good"]),
            case("TST004", "retired", &[("a.txt", "BAD")], &["good"]),
        ];
        let failures = check_catalogue(&cases, "TST", &["TST004", "TST004", "X1"]);
        assert_eq!(
            failures,
            [
                "retired id TST004 is listed twice",
                "retired id `X1` is not TST + 3 or more digits",
                "TST001.toml: rule name `Bad Word` is not kebab-case",
                "TST001.toml: duplicate rule id TST001",
                "TST001.toml: TST001 lacks a true or a false sample",
                "TST9.toml: rule id `TST9` is not TST + digits",
                "TST004.toml: TST004 is a retired id and is never reused",
            ]
        );
        assert!(check_catalogue(&cases[..1], "TST", &[]).is_empty());
    }

    #[test]
    fn samples_run_through_both_phases_and_failures_are_named() {
        let mut cases = [
            case("TST001", "bad-word", &[("a.txt", "BAD"), ("b.txt", "BAD BAD")], &["no BAD"]),
            case("TST002", "lock-word", &[("x.lock", "LOCK")], &[]),
        ];
        // Only the tree phase sees `.lock` files: this one must be reported there.
        cases[1].false_samples = vec![Sample::new("y.lock", "UNLOCKED")];
        let full = Toy(cases.iter().map(|case| case.rule.clone()).collect());
        let failures = check_samples(&cases, &full, |case| Box::new(Toy(vec![case.rule.clone()])));
        assert_eq!(
            failures,
            [
                "TST001: true sample found 2 times alone: BAD BAD",
                "TST001: false sample reported: no BAD",
                "TST002: false sample reported: UNLOCKED",
            ]
        );
        let table = snapshot(&cases, &full, |finding| finding.rule_id.clone());
        assert_eq!(
            table,
            "TST001 tp0: TST001\nTST001 tp1: TST001, TST001\nTST001 fp0: TST001\nTST002 tp0: TST002\nTST002 fp0: TST002\n"
        );
    }
}
