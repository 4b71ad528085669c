//! Import tests: a realistic custom gitleaks config imports and its rule
//! finds what gitleaks would; unsupported fields are named.

use vigil_core::{Engine, FileOutput, SourceFile};

use super::*;
use crate::SecretsEngine;

const CONFIG: &str = r#"
title = "acme secrets"

[extend]
useDefault = true
disabledRules = ["generic-api-key"]

[[rules]]
id = "acme-internal-token"
description = "Acme internal API token"
regex = '''\b(acme_[a-z0-9]{32})\b'''
entropy = 3.0
keywords = ["ACME_"]
tags = ["internal"]
[[rules.allowlists]]
regexes = ['''acme_0{32}''']
stopwords = ["sample"]

[[rules]]
id = "acme-legacy"
regex = '''legacy-key-[0-9]{8}'''
path = '''\.cfg$'''

[allowlist]
description = "test fixtures"
paths = ['''^fixtures/''']
"#;

fn scan(engine: &SecretsEngine, path: &str, text: &str) -> Vec<String> {
    let mut output = FileOutput::default();
    engine.scan_file(SourceFile { path, content: text.as_bytes() }, &mut output);
    output.findings.into_iter().map(|finding| finding.rule_id).collect()
}

#[test]
fn imports_rules_allowlists_and_extend() {
    let imported = import_gitleaks(CONFIG).unwrap();
    assert!(imported.use_default);
    assert_eq!(imported.disabled, ["generic-api-key"]);
    assert_eq!(imported.rules.len(), 2);
    assert_eq!(imported.rules[0].keywords, ["acme_"]);
    assert_eq!((imported.rules[0].secret_group, imported.rules[1].secret_group), (1, 0));
    assert_eq!(imported.global_allowlist.paths, ["^fixtures/"]);
    let specs: Vec<(&str, RuleSpec)> =
        imported.rules.iter().map(|rule| (".gitleaks.toml", rule.clone())).collect();
    let engine = SecretsEngine::from_specs(&specs).unwrap();
    assert_eq!(
        scan(&engine, "a.py", "t = 'acme_k3j9x2m7q8w1z5v4b6n0p3l7r9t2y8u1'"),
        ["acme-internal-token"]
    );
    assert!(scan(&engine, "a.py", "t = 'acme_00000000000000000000000000000000'").is_empty());
    assert_eq!(scan(&engine, "app.cfg", "key = legacy-key-12345678"), ["acme-legacy"]);
    assert!(scan(&engine, "app.py", "key = legacy-key-12345678").is_empty(), "path filter");
}

#[test]
fn unsupported_fields_are_named() {
    for (text, expected) in [
        (
            "[[rules]]\nid = 'x'\nregex = 'a'\nseverity = 'high'\n",
            "rules[0] (id x): field `severity` is not supported",
        ),
        (
            "[[rules]]\nid = 'x'\npath = 'a'\n",
            "rules[0] (id x): rules without `regex` (path-only rules) are not supported",
        ),
        (
            "[[rules]]\nid = 'x'\nregex = 'a'\n[rules.allowlist]\nregexTarget = 'line'\n",
            "regexTarget = \"line\" is not supported",
        ),
        (
            "[[rules]]\nid = 'x'\nregex = 'a'\n[[rules.allowlists]]\ncondition = 'AND'\n",
            "condition = \"AND\" is not supported",
        ),
        ("[allowlist]\ncommits = ['abc']\n", "allowlist: `commits` is not supported"),
        ("[extend]\npath = 'base.toml'\n", "extend: extending another file"),
        ("[[rules]]\nid = 'x'\nregex = '(unclosed'\n", "rules[0] (id x): invalid regex"),
        (
            "[[rules]]\nid = 'x'\nregex = 'a'\n[rules.allowlist]\nregex = ['a']\n",
            "unknown field `regex`",
        ),
        ("colour = 'blue'\n", "top level: field `colour` is not supported"),
    ] {
        let error = import_gitleaks(text).unwrap_err().to_string();
        assert!(error.contains(expected), "{text:?}: {error}");
    }
}
