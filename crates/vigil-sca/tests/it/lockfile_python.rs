//! Tests of the Python parsers (`requirements`, `pipfile`, `poetry`, `uv`,
//! `pdm`) on the fixtures under `tests/fixtures/`, which describe one
//! project locked by each tool, and on small hostile texts.

use std::collections::BTreeSet;

use vigil_sca::Ecosystem;
use vigil_sca::lockfile::{Entry, Input, LockfileError, Parsed, Req, Scope, format_for};

use super::fixtures;

use Scope::{Dev, Normal, Optional};

/// Parses a fixture that must parse.
fn parse(rel: &str) -> Parsed {
    fixtures::parse(rel).unwrap_or_else(|error| panic!("{rel}: {error}"))
}

/// Parses `text` as the file `path` (its format found by name), with an
/// optional companion.
fn parse_text(
    path: &str,
    text: &str,
    companion: Option<(&str, &str)>,
) -> Result<Parsed, LockfileError> {
    let format = format_for(path).unwrap_or_else(|| panic!("{path}: no format"));
    let companion = companion.map(|(path, text)| Input { path, text });
    (format.parse)(Input { path, text }, companion)
}

/// The one entry named `name`.
fn entry<'p>(parsed: &'p Parsed, name: &str) -> &'p Entry {
    let mut found = parsed.packages.iter().filter(|entry| entry.name == name);
    let first = found.next().unwrap_or_else(|| panic!("no entry `{name}`"));
    assert!(found.next().is_none(), "two entries `{name}`");
    first
}

/// (name, version, scope, line) of an entry.
fn key(entry: &Entry) -> (&str, &str, Scope, u32) {
    (entry.name.as_str(), entry.version.as_str(), entry.scope, entry.line)
}

/// The names of an entry's edges.
fn edges(entry: &Entry) -> Vec<&str> {
    entry.dependencies.iter().map(|edge| edge.name.as_str()).collect()
}

/// (name, version, scope, declared line) of each root, declared in `path`.
fn roots<'p>(parsed: &'p Parsed, path: &str) -> Vec<(&'p str, Option<&'p str>, Scope, u32)> {
    parsed
        .roots
        .iter()
        .map(|root| {
            let (declared_path, line) = root.declared.clone().unwrap_or_default();
            assert_eq!(declared_path, path, "root `{}`", root.name);
            (root.name.as_str(), root.version.as_deref(), root.scope, line)
        })
        .collect()
}

/// (name, line, reason) of each unresolved item.
fn unresolved(parsed: &Parsed) -> Vec<(&str, u32, &str)> {
    parsed
        .unresolved
        .iter()
        .map(|item| (item.name.as_str(), item.line, item.reason.as_str()))
        .collect()
}

/// Normalised (name, version) of every entry.
fn package_set(parsed: &Parsed) -> BTreeSet<(String, String)> {
    parsed
        .packages
        .iter()
        .map(|entry| (Ecosystem::PyPI.normalise_name(&entry.name), entry.version.clone()))
        .collect()
}

/// How many entries have `scope`.
fn count(parsed: &Parsed, scope: Scope) -> usize {
    parsed.packages.iter().filter(|entry| entry.scope == scope).count()
}

/// The dev-only packages pytest 6.0.0 brings on every platform.
const PYTEST_TREE: [&str; 8] =
    ["attrs", "iniconfig", "more-itertools", "packaging", "pluggy", "py", "pytest", "toml"];

// ---------------------------------------------------------------- requirements

#[test]
fn pip_compile_output_pins_every_package_as_a_root() {
    let rel = "requirements/pip-compile/requirements.txt";
    let parsed = parse(rel);
    assert_eq!(parsed.packages.len(), 21);
    assert_eq!(count(&parsed, Normal), 21);
    assert_eq!(key(entry(&parsed, "asgiref")), ("asgiref", "3.13.0", Normal, 7));
    assert_eq!(key(entry(&parsed, "django")), ("django", "3.2", Normal, 22));
    assert_eq!(key(entry(&parsed, "more-itertools")), ("more-itertools", "11.2.1", Normal, 191));
    assert_eq!(key(entry(&parsed, "pytest")), ("pytest", "6.0.0", Normal, 211));
    assert_eq!(key(entry(&parsed, "urllib3")), ("urllib3", "1.23", Normal, 244));
    assert!(parsed.packages.iter().all(|entry| entry.dependencies.is_empty()));
    assert_eq!(parsed.roots.len(), 21);
    assert_eq!(
        parsed.roots.iter().find(|root| root.name == "requests"),
        Some(&Req {
            name: "requests".into(),
            version: Some("2.19.0".into()),
            scope: Normal,
            declared: Some((rel.into(), 232)),
        })
    );
    assert!(parsed.unresolved.is_empty());
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
}

#[test]
fn hand_written_requirements_sort_every_kind_of_line() {
    let rel = "requirements/hand-written/requirements-dev.txt";
    let parsed = parse(rel);
    let packages: Vec<_> = parsed.packages.iter().map(key).collect();
    assert_eq!(
        packages,
        [
            ("Django", "3.2.0", Normal, 9),
            ("requests", "2.19.0", Normal, 10),
            ("PyYAML", "5.3", Normal, 11),
            ("Jinja2", "2.10", Normal, 12),
        ]
    );
    assert_eq!(
        roots(&parsed, rel),
        [
            ("Django", Some("3.2.0"), Normal, 9),
            ("requests", Some("2.19.0"), Normal, 10),
            ("PyYAML", Some("5.3"), Normal, 11),
            ("Jinja2", Some("2.10"), Normal, 12),
        ]
    );
    assert_eq!(
        unresolved(&parsed),
        [
            ("-r requirements.txt", 2, "an included file (read on its own)"),
            ("-c constraints.txt", 3, "a constraints file (read on its own)"),
            ("pytest", 16, "not pinned to one version (>=6.0)"),
            ("coverage", 17, "not pinned to one version (~=5.1)"),
            ("black", 18, "not pinned to one version (any version)"),
            (".", 19, "an editable install"),
            ("example-tool", 20, "an editable install"),
            ("./libs/shared", 21, "an editable install"),
            ("mylib", 22, "a URL"),
            ("otherlib", 23, "a git dependency"),
            ("./vendor/localpkg-0.1-py3-none-any.whl", 24, "a local path"),
            ("thing", 25, "a URL"),
        ]
    );
    assert_eq!(
        parsed.warnings,
        ["line 26: cannot read requirement `!!! not a requirement`; skipped"]
    );
}

#[test]
fn requirements_options_continuations_and_line_ends() {
    let text = "--requirement=base.txt\r\n--constraint c.txt\r\n# a comment \\\r\n\
                a==1.0 \\\r\n  --hash=sha256:00 # pinned\r\nb (==2.0)\r\nc==1.*\r\n\
                --pre\r\n--trusted-host example.com\r\nd==3 \\";
    let parsed = parse_text("requirements.txt", text, None).unwrap_or_else(|e| panic!("{e}"));
    let packages: Vec<_> = parsed.packages.iter().map(key).collect();
    assert_eq!(
        packages,
        [("a", "1.0", Normal, 4), ("b", "2.0", Normal, 6), ("d", "3", Normal, 10)]
    );
    assert_eq!(
        unresolved(&parsed),
        [
            ("-r base.txt", 1, "an included file (read on its own)"),
            ("-c c.txt", 2, "a constraints file (read on its own)"),
            ("c", 7, "not pinned to one version (==1.*)"),
        ]
    );
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
}

#[test]
fn requirements_warnings_are_capped() {
    let text = "???\n".repeat(1000);
    let parsed = parse_text("requirements.txt", &text, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed.warnings.len(), 201);
    assert_eq!(
        parsed.warnings.first().map(String::as_str),
        Some("line 1: cannot read requirement `???`; skipped")
    );
    assert_eq!(parsed.warnings.last().map(String::as_str), Some("800 more warnings not shown"));
}

// --------------------------------------------------------------------- pipfile

#[test]
fn pipfile_lock_reads_both_categories_with_roots_from_the_pipfile() {
    let parsed = parse("pipfile/pipenv/Pipfile.lock");
    assert_eq!(parsed.packages.len(), 21);
    assert_eq!(count(&parsed, Normal), 13);
    assert_eq!(count(&parsed, Dev), 8);
    assert_eq!(key(entry(&parsed, "asgiref")), ("asgiref", "3.13.0", Normal, 19));
    assert_eq!(key(entry(&parsed, "django")), ("django", "3.2", Normal, 41));
    assert_eq!(key(entry(&parsed, "urllib3")), ("urllib3", "1.23", Normal, 271));
    assert_eq!(key(entry(&parsed, "attrs")), ("attrs", "26.1.0", Dev, 281));
    assert_eq!(key(entry(&parsed, "pytest")), ("pytest", "6.0.0", Dev, 329));
    assert_eq!(
        roots(&parsed, "pipfile/pipenv/Pipfile"),
        [
            ("django", Some("3.2"), Normal, 7),
            ("requests", Some("2.19.0"), Normal, 8),
            ("jinja2", Some("2.10"), Normal, 9),
            ("pyyaml", Some("5.3"), Normal, 10),
            ("pyjwt", Some("1.7.1"), Normal, 11),
            ("pytest", Some("6.0.0"), Dev, 14),
        ]
    );
    assert!(parsed.unresolved.is_empty());
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
}

#[test]
fn pipfile_lock_without_pipfile_makes_every_package_a_root() {
    let rel = "pipfile/pipenv/Pipfile.lock";
    let text = std::fs::read_to_string(fixtures::dir(rel)).unwrap_or_else(|e| panic!("{e}"));
    let parsed = parse_text(rel, &text, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed.roots.len(), 21);
    assert_eq!(
        parsed.roots.iter().find(|root| root.name == "pytest"),
        Some(&Req {
            name: "pytest".into(),
            version: Some("6.0.0".into()),
            scope: Dev,
            declared: Some((rel.into(), 329)),
        })
    );
}

#[test]
fn pipfile_lock_sorts_local_and_vcs_packages_and_duplicates() {
    let text = r#"{
    "_meta": {"pipfile-spec": 6},
    "default": {
        "a": {"version": "==1.0"},
        "tool": {"git": "https://example.com/tool.git", "ref": "abc"},
        "mine": {"editable": true, "path": "."},
        "vendored": {"path": "./vendor/v"},
        "remote": {"file": "https://example.com/remote-1.0.tar.gz"},
        "nover": {"hashes": []}
    },
    "develop": {
        "a": {"version": "==1.0"},
        "b": {"version": "===2.0"}
    }
}"#;
    let parsed = parse_text("Pipfile.lock", text, None).unwrap_or_else(|e| panic!("{e}"));
    let packages: Vec<_> = parsed.packages.iter().map(key).collect();
    assert_eq!(packages, [("a", "1.0", Normal, 4), ("b", "2.0", Dev, 13)]);
    let mut items = unresolved(&parsed);
    items.sort_by_key(|item| item.1);
    assert_eq!(
        items,
        [
            ("tool", 5, "a git dependency"),
            ("mine", 6, "an editable install"),
            ("vendored", 7, "a local path"),
            ("remote", 8, "a URL"),
        ]
    );
    assert_eq!(parsed.warnings, ["line 9: package `nover` has no exact version; skipped"]);
}

#[test]
fn pipfile_lock_errors_name_the_problem() {
    let error = parse_text("Pipfile.lock", "{\n \"_meta\": {\n  \"pipfile-spec\": 7\n }\n}", None);
    assert_eq!(error, Err(LockfileError::at(3, "pipfile-spec 7 is not one Vigil reads (1 to 6)")));
    let error = parse_text("Pipfile.lock", "{\n \"default\": {,\n}", None).err();
    let error = error.unwrap_or_else(|| panic!("invalid JSON parsed"));
    assert_eq!(error.line, Some(2));
    assert!(error.message.starts_with("not valid JSON at line 2: "), "{}", error.message);
    let error = parse_text("Pipfile.lock", "[1, 2]", None);
    assert_eq!(error, Err(LockfileError::at(1, "a Pipfile.lock must be a JSON object")));
}

// ---------------------------------------------------------------------- poetry

/// What the three Poetry fixtures share: 23 packages with their scopes,
/// edges and roots.
fn check_poetry(dir: &str, lines: [u32; 4], root_lines: [u32; 6], pep621: bool) {
    let parsed = parse(&format!("poetry/{dir}/poetry.lock"));
    assert_eq!(parsed.packages.len(), 23);
    assert_eq!(count(&parsed, Normal), 12);
    assert_eq!(count(&parsed, Optional), 1);
    assert_eq!(count(&parsed, Dev), 10);
    assert_eq!(key(entry(&parsed, "asgiref")), ("asgiref", "3.13.0", Normal, lines[0]));
    let django = entry(&parsed, "django");
    assert_eq!(key(django), ("django", "3.2", Normal, lines[1]));
    assert_eq!(edges(django), ["asgiref", "pytz", "sqlparse"]);
    assert_eq!(key(entry(&parsed, "pyjwt")), ("pyjwt", "1.7.1", Optional, lines[2]));
    let pytest = entry(&parsed, "pytest");
    assert_eq!(key(pytest), ("pytest", "6.0.0", Dev, lines[3]));
    assert_eq!(
        edges(pytest),
        [
            "atomicwrites",
            "attrs",
            "colorama",
            "iniconfig",
            "more-itertools",
            "packaging",
            "pluggy",
            "py",
            "toml"
        ]
    );
    assert_eq!(edges(entry(&parsed, "jinja2")), ["MarkupSafe"]);
    assert_eq!(entry(&parsed, "colorama").scope, Dev);
    let names: [&str; 6] = if pep621 {
        ["django", "requests", "jinja2", "pyyaml", "pyjwt", "pytest"]
    } else {
        ["Django", "requests", "Jinja2", "PyYAML", "PyJWT", "pytest"]
    };
    let versions = ["3.2", "2.19.0", "2.10", "5.3", "1.7.1", "6.0.0"];
    let scopes = [Normal, Normal, Normal, Normal, Optional, Dev];
    let expected: Vec<_> =
        (0..6).map(|i| (names[i], Some(versions[i]), scopes[i], root_lines[i])).collect();
    assert_eq!(roots(&parsed, &format!("poetry/{dir}/pyproject.toml")), expected);
    assert!(parsed.unresolved.is_empty());
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
}

#[test]
fn poetry_lock_version_1_1_with_categories() {
    check_poetry("lock-1.1", [1, 53, 143, 156], [9, 10, 11, 12, 13, 19], false);
}

#[test]
fn poetry_lock_version_2_0_takes_scopes_from_the_graph() {
    check_poetry("lock-2.0", [3, 71, 337, 353], [9, 10, 11, 12, 13, 19], false);
}

#[test]
fn poetry_lock_version_2_1_with_groups_and_pep_621() {
    check_poetry("lock-2.1", [3, 79, 354, 372], [8, 9, 10, 11, 15, 18], true);
}

#[test]
fn poetry_lock_sorts_sources_and_warns_on_bad_entries() {
    let text = r#"[[package]]
name = "a"
version = "1.0"
optional = false
groups = ["main"]

[package.dependencies]
b = {version = ">=1", optional = true}

[[package]]
name = "tool"
version = "0.1.0"
develop = true

[package.source]
type = "directory"
url = "../tool"

[[package]]
name = "lib"
version = "2.0"

[package.source]
type = "git"
url = "https://example.com/lib.git"
reference = "main"
resolved_reference = "abc"

[[package]]
name = "nover"
optional = false

[[package]]
version = "1"

[metadata]
lock-version = "2.1"
"#;
    let parsed = parse_text("poetry.lock", text, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed.packages.len(), 1);
    let a = entry(&parsed, "a");
    assert_eq!(key(a), ("a", "1.0", Normal, 1));
    assert_eq!(
        a.dependencies,
        [Req { name: "b".into(), version: None, scope: Optional, declared: None }]
    );
    assert_eq!(
        unresolved(&parsed),
        [("tool", 10, "an editable install"), ("lib", 19, "a git dependency")]
    );
    assert_eq!(
        parsed.warnings,
        [
            "line 29: package `nover` has no version; skipped",
            "line 33: a package without a name; skipped",
        ]
    );
    assert!(parsed.roots.is_empty());
}

#[test]
fn poetry_lock_errors_name_the_problem() {
    let error = parse_text("poetry.lock", "[metadata]\nlock-version = \"3.0\"\n", None);
    assert_eq!(
        error,
        Err(LockfileError::at(2, "lock-version 3.0 is not one Vigil reads (1.x, 2.x)"))
    );
    let error = parse_text("a/poetry.lock", "[[package]]\nname = \"a\"\nversion = \n", None).err();
    let error = error.unwrap_or_else(|| panic!("invalid TOML parsed"));
    assert_eq!(error.line, Some(3));
    assert!(
        error.message.starts_with("a/poetry.lock: not valid TOML at line 3: "),
        "{}",
        error.message
    );
    // A lock cut before its `[metadata]` is read, with a warning.
    let parsed = parse_text("poetry.lock", "[[package]]\nname = \"a\"\nversion = \"1\"\n", None);
    let parsed = parsed.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed.packages.len(), 1);
    assert_eq!(
        parsed.warnings,
        ["no [metadata] lock-version (the file may be cut short); read as 2.x"]
    );
}

#[test]
fn pyproject_sections_all_declare_roots() {
    let manifest = r#"[project]
dependencies = ["a>=1", "b[x]==2; python_version < '4'"]

[project.optional-dependencies]
extra = ["c"]

[dependency-groups]
test = ["d", { include-group = "lint" }]
lint = ["e"]

[tool.poetry.dependencies]
python = "^3.11"
f = "*"
g = { version = "1", optional = true }

[tool.poetry.group.docs.dependencies]
h = "*"

[tool.poetry.group.main.dependencies]
i = "*"

[tool.pdm.dev-dependencies]
dev = ["j"]

[tool.uv]
dev-dependencies = ["k", "a"]
"#;
    let lock = "[metadata]\nlock-version = \"2.1\"\n";
    let parsed = parse_text("poetry.lock", lock, Some(("pyproject.toml", manifest)))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        roots(&parsed, "pyproject.toml"),
        [
            ("a", None, Normal, 2),
            ("b", None, Normal, 2),
            ("c", None, Optional, 5),
            ("f", None, Normal, 13),
            ("g", None, Optional, 14),
            ("h", None, Dev, 17),
            ("i", None, Normal, 20),
            ("d", None, Dev, 8),
            ("e", None, Dev, 9),
            ("j", None, Dev, 23),
            ("k", None, Dev, 26),
        ]
    );
    assert_eq!(parsed.warnings.len(), 11);
    assert_eq!(
        parsed.warnings.first().map(String::as_str),
        Some("pyproject.toml line 2: `a` is declared but not in the lockfile")
    );
}

// -------------------------------------------------------------------------- uv

#[test]
fn uv_lock_roots_are_the_projects_dependencies() {
    let parsed = parse("uv/project/uv.lock");
    assert_eq!(parsed.packages.len(), 23);
    assert!(parsed.packages.iter().all(|entry| entry.name != "demo-service"));
    assert_eq!(count(&parsed, Normal), 12);
    assert_eq!(count(&parsed, Optional), 1);
    assert_eq!(count(&parsed, Dev), 10);
    assert_eq!(key(entry(&parsed, "asgiref")), ("asgiref", "3.13.0", Normal, 5));
    let django = entry(&parsed, "django");
    assert_eq!(key(django), ("django", "3.2", Normal, 89));
    assert_eq!(edges(django), ["asgiref", "pytz", "sqlparse"]);
    assert_eq!(key(entry(&parsed, "pyjwt")), ("pyjwt", "1.7.1", Optional, 297));
    assert_eq!(key(entry(&parsed, "pytest")), ("pytest", "6.0.0", Dev, 306));
    assert_eq!(key(entry(&parsed, "colorama")), ("colorama", "0.4.6", Dev, 46));
    assert_eq!(edges(entry(&parsed, "requests")), ["certifi", "chardet", "idna", "urllib3"]);
    assert_eq!(
        roots(&parsed, "uv/project/pyproject.toml"),
        [
            ("django", Some("3.2"), Normal, 7),
            ("jinja2", Some("2.10"), Normal, 9),
            ("pyyaml", Some("5.3"), Normal, 10),
            ("requests", Some("2.19.0"), Normal, 8),
            ("pytest", Some("6.0.0"), Dev, 17),
            ("pyjwt", Some("1.7.1"), Optional, 14),
        ]
    );
    assert!(parsed.unresolved.is_empty());
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
}

#[test]
fn uv_lock_without_pyproject_declares_roots_in_the_lockfile() {
    let rel = "uv/project/uv.lock";
    let text = std::fs::read_to_string(fixtures::dir(rel)).unwrap_or_else(|e| panic!("{e}"));
    let parsed = parse_text(rel, &text, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        roots(&parsed, rel),
        [
            ("django", Some("3.2"), Normal, 60),
            ("jinja2", Some("2.10"), Normal, 61),
            ("pyyaml", Some("5.3"), Normal, 62),
            ("requests", Some("2.19.0"), Normal, 63),
            ("pytest", Some("6.0.0"), Dev, 73),
            ("pyjwt", Some("1.7.1"), Optional, 68),
        ]
    );
    assert_eq!(entry(&parsed, "pytest").scope, Dev);
}

#[test]
fn uv_lock_workspaces_forks_and_local_sources() {
    let text = r#"version = 1
revision = 2

[manifest]
members = ["app", "helper"]

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "packages/app" }
dependencies = [
    { name = "helper" },
    { name = "numpy", version = "1.26.4", source = { registry = "https://pypi.org/simple" }, marker = "python_full_version < '3.12'" },
    { name = "tool" },
]

[[package]]
name = "helper"
version = "0.1.0"
source = { editable = "packages/helper" }
dependencies = [{ name = "numpy", version = "2.1.0", source = { registry = "https://pypi.org/simple" }, marker = "python_full_version >= '3.12'" }]

[[package]]
name = "numpy"
version = "1.26.4"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "numpy"
version = "2.1.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "tool"
version = "0.3.0"
source = { git = "https://example.com/tool.git?rev=v0.3#abc" }

[[package]]
name = "vendored"
version = "1.0"
source = { directory = "../vendored" }

[[package]]
name = "remote"
version = "1.0"
source = { url = "https://example.com/remote-1.0.tar.gz" }

[[package]]
name = "nover"
source = { registry = "https://pypi.org/simple" }
"#;
    let parsed = parse_text("uv.lock", text, None).unwrap_or_else(|e| panic!("{e}"));
    let packages: Vec<_> = parsed.packages.iter().map(key).collect();
    assert_eq!(packages, [("numpy", "1.26.4", Normal, 23), ("numpy", "2.1.0", Normal, 28)]);
    assert_eq!(
        roots(&parsed, "uv.lock"),
        [
            ("numpy", Some("1.26.4"), Normal, 13),
            ("tool", None, Normal, 14),
            ("numpy", Some("2.1.0"), Normal, 21),
        ]
    );
    assert_eq!(
        unresolved(&parsed),
        [
            ("tool", 33, "a git dependency"),
            ("vendored", 38, "a local path"),
            ("remote", 43, "a URL")
        ]
    );
    assert_eq!(parsed.warnings, ["line 48: package `nover` has no version; skipped"]);
}

#[test]
fn uv_lock_errors_name_the_problem() {
    let error = parse_text("uv.lock", "# uv\nversion = 2\n", None);
    assert_eq!(error, Err(LockfileError::at(2, "uv.lock version 2 is not one Vigil reads (1)")));
    let error = parse_text("uv.lock", "version = 1\n[[package]\n", None).err();
    assert_eq!(error.and_then(|error| error.line), Some(2));
}

// ------------------------------------------------------------------------- pdm

#[test]
fn pdm_lock_reads_groups_as_scopes() {
    let parsed = parse("pdm/project/pdm.lock");
    assert_eq!(parsed.packages.len(), 23);
    assert_eq!(count(&parsed, Normal), 12);
    assert_eq!(count(&parsed, Optional), 1);
    assert_eq!(count(&parsed, Dev), 10);
    assert_eq!(key(entry(&parsed, "asgiref")), ("asgiref", "3.13.0", Normal, 13));
    let django = entry(&parsed, "django");
    assert_eq!(key(django), ("django", "3.2", Normal, 78));
    assert_eq!(edges(django), ["asgiref", "pytz", "sqlparse"]);
    assert_eq!(key(entry(&parsed, "pyjwt")), ("pyjwt", "1.7.1", Optional, 305));
    let pytest = entry(&parsed, "pytest");
    assert_eq!(key(pytest), ("pytest", "6.0.0", Dev, 315));
    // `importlib-metadata` and `pathlib2` (for old Pythons) are not locked.
    assert_eq!(
        edges(pytest),
        [
            "atomicwrites",
            "attrs",
            "colorama",
            "iniconfig",
            "more-itertools",
            "packaging",
            "pluggy",
            "py",
            "toml"
        ]
    );
    assert!(entry(&parsed, "pluggy").dependencies.is_empty());
    assert_eq!(
        roots(&parsed, "pdm/project/pyproject.toml"),
        [
            ("django", Some("3.2"), Normal, 7),
            ("requests", Some("2.19.0"), Normal, 8),
            ("jinja2", Some("2.10"), Normal, 9),
            ("pyyaml", Some("5.3"), Normal, 10),
            ("pyjwt", Some("1.7.1"), Optional, 14),
            ("pytest", Some("6.0.0"), Dev, 20),
        ]
    );
    assert!(parsed.unresolved.is_empty());
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
}

#[test]
fn pdm_lock_merges_extras_entries_and_sorts_sources() {
    let text = r#"[metadata]
groups = ["default"]
lock_version = "4.4.1"

[[package]]
name = "requests"
version = "2.19.0"
groups = ["default"]
dependencies = ["idna<2.8,>=2.5"]

[[package]]
name = "requests"
version = "2.19.0"
extras = ["socks"]
groups = ["default"]
dependencies = ["requests==2.19.0", "PySocks!=1.5.7,>=1.5.6"]

[[package]]
name = "idna"
version = "2.7"
groups = ["default"]

[[package]]
name = "pysocks"
version = "1.7.1"
groups = ["default"]

[[package]]
name = "tool"
version = "0.3.0"
git = "https://example.com/tool.git"
revision = "abc"
groups = ["default"]

[[package]]
name = "mine"
version = "0.1.0"
path = "./mine"
editable = true
groups = ["default"]

[[package]]
name = "nover"
groups = ["default"]
"#;
    let parsed = parse_text("pdm.lock", text, None).unwrap_or_else(|e| panic!("{e}"));
    let packages: Vec<_> = parsed.packages.iter().map(key).collect();
    assert_eq!(
        packages,
        [
            ("requests", "2.19.0", Normal, 5),
            ("idna", "2.7", Normal, 18),
            ("pysocks", "1.7.1", Normal, 23)
        ]
    );
    assert_eq!(edges(entry(&parsed, "requests")), ["idna", "PySocks"]);
    assert_eq!(
        unresolved(&parsed),
        [("tool", 28, "a git dependency"), ("mine", 35, "an editable install")]
    );
    assert_eq!(parsed.warnings, ["line 42: package `nover` has no version; skipped"]);
}

#[test]
fn pdm_lock_errors_name_the_problem() {
    let error = parse_text("pdm.lock", "[metadata]\nlock_version = \"5.0\"\n", None);
    assert_eq!(error, Err(LockfileError::at(2, "lock_version 5.0 is not one Vigil reads (4.x)")));
    let error = parse_text("pdm.lock", "[metadata]\nlock_version = 4.1 4\n", None).err();
    assert_eq!(error.and_then(|error| error.line), Some(2));
}

// ---------------------------------------------------------------------- shared

#[test]
fn every_format_locks_the_same_packages() {
    let universal = package_set(&parse("uv/project/uv.lock"));
    assert_eq!(universal.len(), 23);
    for rel in [
        "poetry/lock-1.1/poetry.lock",
        "poetry/lock-2.0/poetry.lock",
        "poetry/lock-2.1/poetry.lock",
        "pdm/project/pdm.lock",
    ] {
        assert_eq!(package_set(&parse(rel)), universal, "{rel}");
    }
    // pip-compile and pipenv resolve for the running platform (Linux), so
    // the Windows-only pytest dependencies are missing.
    let mut linux = universal.clone();
    linux.retain(|(name, _)| name != "atomicwrites" && name != "colorama");
    assert_eq!(linux.len(), 21);
    for rel in ["requirements/pip-compile/requirements.txt", "pipfile/pipenv/Pipfile.lock"] {
        assert_eq!(package_set(&parse(rel)), linux, "{rel}");
    }
    // Dev scope means the same packages wherever a format records it.
    for rel in [
        "pipfile/pipenv/Pipfile.lock",
        "poetry/lock-2.0/poetry.lock",
        "uv/project/uv.lock",
        "pdm/project/pdm.lock",
    ] {
        let parsed = parse(rel);
        let dev: BTreeSet<String> = parsed
            .packages
            .iter()
            .filter(|entry| entry.scope == Dev)
            .map(|entry| entry.name.clone())
            .filter(|name| name != "atomicwrites" && name != "colorama")
            .collect();
        let expected: BTreeSet<String> =
            PYTEST_TREE.iter().map(|name| (*name).to_owned()).collect();
        assert_eq!(dev, expected, "{rel}");
    }
}

#[test]
fn truncated_python_lockfiles_never_panic() {
    for rel in [
        "requirements/pip-compile/requirements.txt",
        "requirements/hand-written/requirements-dev.txt",
        "pipfile/pipenv/Pipfile.lock",
        "poetry/lock-1.1/poetry.lock",
        "poetry/lock-2.0/poetry.lock",
        "poetry/lock-2.1/poetry.lock",
        "uv/project/uv.lock",
        "pdm/project/pdm.lock",
    ] {
        fixtures::truncations_never_panic(rel, 151);
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!("version = 1\nx = {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    assert!(parse_text("uv.lock", &deep, None).is_err());
    let deep = format!("{{\"default\": {}{}}}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(parse_text("Pipfile.lock", &deep, None).is_err());
}

/// A lockfile of `count` packages in `format`, as its tool writes it.
fn synthetic(format: &str, count: usize) -> String {
    let mut text = String::new();
    match format {
        "requirements.txt" => {
            for i in 0..count {
                text.push_str(&format!(
                    "pkg-{i}==1.0.{i} \\\n    --hash=sha256:{i:064}\n    # via app\n"
                ));
            }
        }
        "Pipfile.lock" => {
            text.push_str("{\n    \"_meta\": {\"pipfile-spec\": 6},\n    \"default\": {\n");
            for i in 0..count {
                let comma = if i + 1 == count { "" } else { "," };
                text.push_str(&format!(
                    "        \"pkg-{i}\": {{\n            \"hashes\": [\"sha256:{i:064}\"],\n            \"version\": \"==1.0.{i}\"\n        }}{comma}\n"
                ));
            }
            text.push_str("    },\n    \"develop\": {}\n}\n");
        }
        "poetry.lock" => {
            for i in 0..count {
                text.push_str(&format!(
                    "[[package]]\nname = \"pkg-{i}\"\nversion = \"1.0.{i}\"\noptional = false\ngroups = [\"main\"]\nfiles = [\n    {{file = \"pkg-{i}.tar.gz\", hash = \"sha256:{i:064}\"}},\n]\n\n[package.dependencies]\npkg-{} = \">=1\"\n\n",
                    (i + 1) % count
                ));
            }
            text.push_str("[metadata]\nlock-version = \"2.1\"\n");
        }
        "uv.lock" => {
            text.push_str("version = 1\nrevision = 3\n\n");
            for i in 0..count {
                text.push_str(&format!(
                    "[[package]]\nname = \"pkg-{i}\"\nversion = \"1.0.{i}\"\nsource = {{ registry = \"https://pypi.org/simple\" }}\ndependencies = [\n    {{ name = \"pkg-{}\" }},\n]\nwheels = [\n    {{ url = \"https://files/pkg-{i}.whl\", hash = \"sha256:{i:064}\", size = 1 }},\n]\n\n",
                    (i + 1) % count
                ));
            }
        }
        _ => {
            text.push_str("[metadata]\nlock_version = \"4.5.0\"\n\n");
            for i in 0..count {
                text.push_str(&format!(
                    "[[package]]\nname = \"pkg-{i}\"\nversion = \"1.0.{i}\"\ngroups = [\"default\"]\ndependencies = [\n    \"pkg-{}>=1\",\n]\nfiles = [\n    {{file = \"pkg-{i}.tar.gz\", hash = \"sha256:{i:064}\"}},\n]\n\n",
                    (i + 1) % count
                ));
            }
        }
    }
    text
}

#[test]
fn five_thousand_packages_parse_in_one_pass() {
    for format in ["requirements.txt", "Pipfile.lock", "poetry.lock", "uv.lock", "pdm.lock"] {
        let text = synthetic(format, 5_000);
        let parsed = parse_text(format, &text, None).unwrap_or_else(|e| panic!("{format}: {e}"));
        assert_eq!(parsed.packages.len(), 5_000, "{format}");
        let last =
            parsed.packages.last().map(|entry| (entry.name.as_str(), entry.version.as_str()));
        assert_eq!(last, Some(("pkg-4999", "1.0.4999")), "{format}");
        assert!(parsed.warnings.is_empty(), "{format}: {:?}", parsed.warnings.first());
    }
}
