//! Tests of the Go, Ruby, PHP, Elixir, Dart, Swift and Conan parsers: each
//! hand-written fixture (see each `tests/fixtures/<format>/README.md`) read
//! to exact values, and hostile input (truncations, unknown versions,
//! broken syntax, entries without a version).

use vigil_sca::lockfile::{Entry, Input, Parsed, Req, Scope, Unresolved, format_for};

use crate::fixtures;

/// The entry `name`@`version`, or a panic listing what there is.
fn entry<'a>(parsed: &'a Parsed, name: &str, version: &str) -> &'a Entry {
    parsed.packages.iter().find(|e| e.name == name && e.version == version).unwrap_or_else(|| {
        let all: Vec<String> =
            parsed.packages.iter().map(|e| format!("{}@{}", e.name, e.version)).collect();
        panic!("no {name}@{version} in {all:?}")
    })
}

/// (name, version, scope, line) of an entry.
fn summary(entry: &Entry) -> (&str, &str, Scope, u32) {
    (entry.name.as_str(), entry.version.as_str(), entry.scope, entry.line)
}

/// The edges of an entry as `name@version` (`name@?` when unknown).
fn edges(entry: &Entry) -> Vec<String> {
    entry
        .dependencies
        .iter()
        .map(|d| format!("{}@{}", d.name, d.version.as_deref().unwrap_or("?")))
        .collect()
}

/// The roots as (name, version, scope, declared path, declared line).
fn roots(parsed: &Parsed) -> Vec<(String, Option<String>, Scope, String, u32)> {
    parsed
        .roots
        .iter()
        .map(|Req { name, version, scope, declared }| {
            let (path, line) = declared.clone().unwrap_or_default();
            (name.clone(), version.clone(), *scope, path, line)
        })
        .collect()
}

/// Unresolved items as (name, line, reason).
fn unresolved(parsed: &Parsed) -> Vec<(&str, u32, &str)> {
    parsed
        .unresolved
        .iter()
        .map(|Unresolved { name, line, reason }| (name.as_str(), *line, reason.as_str()))
        .collect()
}

/// A root tuple for comparisons.
fn root(
    name: &str,
    version: &str,
    scope: Scope,
    path: &str,
    line: u32,
) -> (String, Option<String>, Scope, String, u32) {
    (name.to_owned(), Some(version.to_owned()), scope, path.to_owned(), line)
}

/// Parses `text` as the file `path` (no companion).
fn parse_text(path: &str, text: &str) -> Result<Parsed, String> {
    let format = format_for(path).unwrap_or_else(|| panic!("{path}: no format"));
    (format.parse)(Input { path, text }, None).map_err(|error| error.message)
}

/// Parses `text` as `path` with a companion.
fn parse_with(path: &str, text: &str, companion: &str, companion_text: &str) -> Parsed {
    let format = format_for(path).unwrap_or_else(|| panic!("{path}: no format"));
    (format.parse)(Input { path, text }, Some(Input { path: companion, text: companion_text }))
        .unwrap_or_else(|error| panic!("{path}: {error}"))
}

// ---------------------------------------------------------------- Go

#[test]
fn go_mod_requires_direct_and_indirect() {
    let parsed = fixtures::parse("go/gin-app/go.mod").unwrap();
    assert_eq!(parsed.packages.len(), 17);
    let path = "go/gin-app/go.mod";
    assert_eq!(
        summary(entry(&parsed, "github.com/gin-gonic/gin", "v1.6.0")),
        ("github.com/gin-gonic/gin", "v1.6.0", Scope::Normal, 8)
    );
    assert_eq!(
        entry(&parsed, "golang.org/x/crypto", "v0.0.0-20200622213623-75b288015ac9").line,
        11
    );
    assert_eq!(entry(&parsed, "github.com/ugorji/go/codec", "v1.1.7").line, 26);
    assert_eq!(
        roots(&parsed),
        vec![
            root("github.com/gin-gonic/gin", "v1.6.0", Scope::Normal, path, 8),
            root("github.com/go-sql-driver/mysql", "v1.5.0", Scope::Normal, path, 9),
            root("github.com/golang-jwt/jwt/v4", "v4.4.1", Scope::Normal, path, 10),
            root(
                "golang.org/x/crypto",
                "v0.0.0-20200622213623-75b288015ac9",
                Scope::Normal,
                path,
                11
            ),
            root("gopkg.in/yaml.v2", "v2.2.8", Scope::Normal, path, 12),
        ]
    );
    // The toolchain and the go version are not packages (no stdlib entry).
    assert!(parsed.packages.iter().all(|e| e.name != "stdlib" && e.name != "go"));
    assert!(parsed.unresolved.is_empty());
    assert_eq!(parsed.warnings, Vec::<String>::new());
}

#[test]
fn go_mod_replace_exclude_and_incompatible() {
    let parsed = fixtures::parse("go/replace/go.mod").unwrap();
    assert_eq!(parsed.packages.len(), 7);
    assert_eq!(
        summary(entry(&parsed, "github.com/docker/docker", "v20.10.7+incompatible")),
        ("github.com/docker/docker", "v20.10.7+incompatible", Scope::Normal, 5)
    );
    // The version-specific replace swaps the version; the line is the replace's.
    assert_eq!(entry(&parsed, "gopkg.in/yaml.v3", "v3.0.1").line, 22);
    assert!(!parsed.packages.iter().any(|e| e.version == "v3.0.0-20200313102051-9f266ea9e77c"));
    assert_eq!(
        unresolved(&parsed),
        vec![("example.com/internal/shared", 20, "a local replacement")]
    );
    let names: Vec<&str> = parsed.roots.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["github.com/docker/docker", "github.com/sirupsen/logrus", "github.com/stretchr/testify"]
    );
    // The exclude names v1.8.0; v1.8.1 is built.
    assert_eq!(entry(&parsed, "github.com/sirupsen/logrus", "v1.8.1").line, 9);
    assert_eq!(parsed.warnings, Vec::<String>::new());
}

#[test]
fn go_mod_edge_cases_in_text() {
    let text = "module example.com/m\n\
                go 1.21\n\
                require (\n\
                \tgithub.com/a/b v1.0.0 // indirect; kept for a test\n\
                \tgithub.com/c/d v1.2.0\n\
                \tgithub.com/no/version\n\
                \trequire (\n\
                )\n\
                require \"github.com/e/f\" v0.3.0\n\
                replace github.com/e/f => github.com/fork/f v0.3.1\n\
                exclude github.com/c/d v1.2.0\n\
                frobnicate x\n";
    let parsed = parse_text("go.mod", text).unwrap();
    let summaries: Vec<_> = parsed.packages.iter().map(summary).collect();
    assert_eq!(
        summaries,
        [
            ("github.com/a/b", "v1.0.0", Scope::Normal, 4),
            ("github.com/fork/f", "v0.3.1", Scope::Normal, 10),
        ]
    );
    let root_names: Vec<(&str, Option<u32>)> =
        parsed.roots.iter().map(|r| (r.name.as_str(), r.declared.as_ref().map(|d| d.1))).collect();
    assert_eq!(root_names, [("github.com/fork/f", Some(9))]);
    assert_eq!(
        unresolved(&parsed),
        [(
            "github.com/c/d",
            5,
            "an excluded version (v1.2.0): Go builds a later one not named in go.mod"
        )]
    );
    assert_eq!(
        parsed.warnings,
        [
            "line 6: a require needs a module path and a version; skipped",
            "line 7: a block inside the `require` block; skipped",
            "line 12: unknown directive `frobnicate`; skipped",
        ]
    );
}

#[test]
fn go_mod_unclosed_block_and_no_module() {
    let parsed = parse_text("go.mod", "require (\n\tgithub.com/a/b v1.0.0\n").unwrap();
    assert_eq!(parsed.packages.len(), 1);
    assert_eq!(
        parsed.warnings,
        ["line 1: the `require` block is not closed", "the file has no `module` line"]
    );
}

#[test]
fn go_truncations_never_panic() {
    fixtures::truncations_never_panic("go/gin-app/go.mod", 7);
    fixtures::truncations_never_panic("go/replace/go.mod", 3);
}

// ---------------------------------------------------------------- Ruby

#[test]
fn gemfile_lock_gems_roots_and_sources() {
    let parsed = fixtures::parse("gemfile/rails-app/Gemfile.lock").unwrap();
    let path = "gemfile/rails-app/Gemfile.lock";
    assert_eq!(parsed.packages.len(), 42);
    assert_eq!(summary(entry(&parsed, "rails", "5.2.0")), ("rails", "5.2.0", Scope::Normal, 96));
    assert_eq!(summary(entry(&parsed, "loofah", "2.2.2")), ("loofah", "2.2.2", Scope::Normal, 74));
    // The platform spec `nokogiri (1.10.0-x64-mingw32)` is the same version.
    assert_eq!(parsed.packages.iter().filter(|e| e.name == "nokogiri").count(), 1);
    assert_eq!(entry(&parsed, "nokogiri", "1.10.0").line, 87);
    assert_eq!(edges(entry(&parsed, "loofah", "2.2.2")), ["crass@1.0.4", "nokogiri@1.10.0"]);
    let rails_edges = edges(entry(&parsed, "rails", "5.2.0"));
    assert_eq!(rails_edges.len(), 12);
    assert!(rails_edges.contains(&"bundler@?".to_owned()));
    assert!(rails_edges.contains(&"railties@5.2.0".to_owned()));
    assert_eq!(
        edges(entry(&parsed, "railties", "5.2.0")),
        [
            "actionpack@5.2.0",
            "activesupport@5.2.0",
            "method_source@0.9.0",
            "rake@12.3.1",
            "thor@0.20.0"
        ]
    );
    assert_eq!(
        roots(&parsed),
        vec![
            root("nokogiri", "1.10.0", Scope::Normal, path, 143),
            root("pg", "1.0.0", Scope::Normal, path, 144),
            root("puma", "3.11.4", Scope::Normal, path, 145),
            root("rails", "5.2.0", Scope::Normal, path, 146),
        ]
    );
    // `storefront` is the project's own gem (PATH remote `.`): not listed.
    assert_eq!(
        unresolved(&parsed),
        [("audit_log", 6, "a git source"), ("billing", 18, "a local path")]
    );
    assert_eq!(parsed.warnings, Vec::<String>::new());
}

#[test]
fn gemfile_bad_entries_warn_with_lines() {
    let text = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (2.0.5)\n    broken\n    \
                rack-test ()\n\nDEPENDENCIES\n  rack\n  ghost (>= 1)\n";
    let parsed = parse_text("Gemfile.lock", text).unwrap();
    assert_eq!(
        parsed.packages.iter().map(summary).collect::<Vec<_>>(),
        [("rack", "2.0.5", Scope::Normal, 4)]
    );
    assert_eq!(
        parsed.warnings,
        [
            "line 5: gem `broken` has no version; skipped",
            "line 6: gem `rack-test` has no version; skipped",
            "line 10: dependency `ghost` is not pinned in any section",
        ]
    );
    assert_eq!(roots(&parsed), vec![root("rack", "2.0.5", Scope::Normal, "Gemfile.lock", 9)]);
}

#[test]
fn gemfile_garbage_is_an_error() {
    let error = parse_text("Gemfile.lock", "{\"not\": \"a lockfile\"}\n").unwrap_err();
    assert_eq!(error, "not a Gemfile.lock: it has no GEM, DEPENDENCIES or PLATFORMS section");
    assert_eq!(parse_text("gems.locked", "").unwrap(), Parsed::default());
}

#[test]
fn gemfile_truncations_never_panic() {
    fixtures::truncations_never_panic("gemfile/rails-app/Gemfile.lock", 5);
}

// ---------------------------------------------------------------- Composer

#[test]
fn composer_lock_packages_dev_and_roots() {
    let parsed = fixtures::parse("composer/symfony-app/composer.lock").unwrap();
    let manifest = "composer/symfony-app/composer.json";
    assert_eq!(parsed.packages.len(), 23);
    assert_eq!(parsed.packages.iter().filter(|e| e.scope == Scope::Dev).count(), 3);
    assert_eq!(
        summary(entry(&parsed, "symfony/http-kernel", "v4.4.0")),
        ("symfony/http-kernel", "v4.4.0", Scope::Normal, 432)
    );
    assert_eq!(
        summary(entry(&parsed, "guzzlehttp/guzzle", "6.5.0")),
        ("guzzlehttp/guzzle", "6.5.0", Scope::Normal, 59)
    );
    assert_eq!(entry(&parsed, "psr/log", "1.1.2").line, 215);
    assert_eq!(
        summary(entry(&parsed, "mockery/mockery", "1.3.0")),
        ("mockery/mockery", "1.3.0", Scope::Dev, 716)
    );
    // Platform requirements (php, ext-json, lib-pcre) are not edges.
    assert_eq!(
        edges(entry(&parsed, "guzzlehttp/guzzle", "6.5.0")),
        [
            "guzzlehttp/promises@v1.3.1",
            "guzzlehttp/psr7@1.6.1",
            "symfony/polyfill-intl-idn@v1.13.1"
        ]
    );
    assert_eq!(edges(entry(&parsed, "mockery/mockery", "1.3.0")), ["hamcrest/hamcrest-php@v2.0.0"]);
    let mut found = roots(&parsed);
    found.sort_by_key(|r| r.4);
    assert_eq!(
        found,
        vec![
            root("guzzlehttp/guzzle", "6.5.0", Scope::Normal, manifest, 21),
            root("symfony/http-kernel", "v4.4.0", Scope::Normal, manifest, 22),
            root("mockery/mockery", "1.3.0", Scope::Dev, manifest, 25),
            root("symfony/phpunit-bridge", "v4.4.0", Scope::Dev, manifest, 26),
        ]
    );
    assert_eq!(
        unresolved(&parsed),
        [
            ("acme/legacy-client", 10, "a development branch (dev-master)"),
            ("acme/shared-utils", 34, "a local path"),
        ]
    );
    assert_eq!(parsed.warnings, Vec::<String>::new());
}

#[test]
fn composer_bad_input() {
    let error =
        parse_text("composer.lock", "{\n  \"packages\": [\n    {\"name\": }\n").unwrap_err();
    assert!(error.starts_with("not valid JSON at line 3: "), "{error}");
    let error = parse_text("composer.lock", "[1, 2]").unwrap_err();
    assert_eq!(error, "not a composer.lock: the top level is not a JSON object");
    let text = "{\n    \"packages\": [\n        {\n            \"name\": \"a/b\"\n        },\n        \
                {\n            \"name\": \"c/d\",\n            \"version\": \"1.0.0\"\n        }\n    ]\n}\n";
    let parsed = parse_text("composer.lock", text).unwrap();
    assert_eq!(
        parsed.packages.iter().map(summary).collect::<Vec<_>>(),
        [("c/d", "1.0.0", Scope::Normal, 7)]
    );
    assert_eq!(parsed.warnings, ["line 4: package `a/b` has no version; skipped"]);
    let with_manifest = parse_with(
        "composer.lock",
        text,
        "composer.json",
        "{\n    \"require\": {\n        \"php\": \"^8.1\",\n        \"c/d\": \"^1.0\",\n        \"e/f\": \"^2\"\n    }\n}\n",
    );
    let mut found = roots(&with_manifest);
    found.sort_by_key(|r| r.4);
    assert_eq!(found[0], root("c/d", "1.0.0", Scope::Normal, "composer.json", 4));
    assert_eq!(found[1], ("e/f".to_owned(), None, Scope::Normal, "composer.json".to_owned(), 5));
    assert_eq!(
        with_manifest.warnings[1..],
        ["composer.json: `e/f` is required but not in composer.lock".to_owned()]
    );
}

#[test]
fn composer_truncations_never_panic() {
    fixtures::truncations_never_panic("composer/symfony-app/composer.lock", 97);
}

// ---------------------------------------------------------------- Mix

#[test]
fn mix_lock_hex_entries_edges_and_roots() {
    let parsed = fixtures::parse("mix/phoenix-app/mix.lock").unwrap();
    let manifest = "mix/phoenix-app/mix.exs";
    assert_eq!(parsed.packages.len(), 20);
    assert_eq!(summary(entry(&parsed, "plug", "1.10.0")), ("plug", "1.10.0", Scope::Normal, 17));
    assert_eq!(summary(entry(&parsed, "cowboy", "2.8.0")), ("cowboy", "2.8.0", Scope::Normal, 3));
    assert_eq!(entry(&parsed, "telemetry", "0.4.2").line, 22);
    assert_eq!(
        edges(entry(&parsed, "plug", "1.10.0")),
        ["mime@1.3.1", "plug_crypto@1.1.2", "telemetry@0.4.2"]
    );
    assert_eq!(
        edges(entry(&parsed, "ecto_sql", "3.4.4")),
        ["db_connection@2.2.2", "ecto@3.4.5", "postgrex@0.15.5", "telemetry@0.4.2"]
    );
    assert_eq!(
        roots(&parsed),
        vec![
            root("phoenix", "1.5.3", Scope::Normal, manifest, 31),
            root("phoenix_ecto", "4.1.0", Scope::Normal, manifest, 32),
            root("ecto_sql", "3.4.4", Scope::Normal, manifest, 33),
            root("postgrex", "0.15.5", Scope::Normal, manifest, 34),
            root("phoenix_html", "2.14.2", Scope::Normal, manifest, 35),
            root("jason", "1.2.1", Scope::Normal, manifest, 36),
            root("plug_cowboy", "2.3.0", Scope::Normal, manifest, 37),
            root("plug", "1.10.0", Scope::Normal, manifest, 38),
            root("ex_machina", "2.4.0", Scope::Dev, manifest, 41),
        ]
    );
    assert_eq!(
        unresolved(&parsed),
        [("my_lib", 12, "a git dependency"), ("shop_core", 40, "a local path")]
    );
    assert_eq!(parsed.warnings, Vec::<String>::new());
}

#[test]
fn mix_hex_name_differs_from_app_and_old_tuples() {
    // An app pulled under another Hex name, a 6-element tuple of old Mix,
    // `only: [:dev, :test]` and `optional: true`.
    let lock = "%{\n  \"my_json\": {:hex, :jason, \"1.2.1\", \"abc\", [:mix], []},\n  \
                \"old\": {:hex, :old, \"0.1.0\", \"def\", [:mix], [{:my_json, \"~> 1.0\", [hex: :jason, repo: \"hexpm\", optional: false]}], \"hexpm\"},\n  \
                \"nover\": {:hex, :nover},\n}\n";
    let exs = "defmodule M.MixProject do\n  defp deps do\n    [\n      {:my_json, \"~> 1.0\", hex: :jason, only: [:dev, :test]},\n      \
               {:old, \"~> 0.1\", optional: true}\n    ]\n  end\nend\n";
    let parsed = parse_with("mix.lock", lock, "mix.exs", exs);
    assert_eq!(
        parsed.packages.iter().map(summary).collect::<Vec<_>>(),
        [("jason", "1.2.1", Scope::Normal, 2), ("old", "0.1.0", Scope::Normal, 3),]
    );
    assert_eq!(edges(entry(&parsed, "old", "0.1.0")), ["jason@1.2.1"]);
    assert_eq!(
        roots(&parsed),
        vec![
            root("jason", "1.2.1", Scope::Dev, "mix.exs", 4),
            root("old", "0.1.0", Scope::Optional, "mix.exs", 5),
        ]
    );
    assert_eq!(parsed.warnings, ["line 4: package `nover` has no version; skipped"]);
}

#[test]
fn mix_bad_input() {
    let error = parse_text("mix.lock", "%{\n  \"a\": {:hex, :a, \"1.0\"\n").unwrap_err();
    assert_eq!(error, "not a valid mix.lock at line 3: the file ends inside a term");
    let error = parse_text("mix.lock", "%{\n  \"a\" @ 1}\n").unwrap_err();
    assert_eq!(error, "not a valid mix.lock at line 2: expected `=`");
    let deep = format!("%{{\"a\": {}{}}}", "[".repeat(10_000), "]".repeat(10_000));
    let error = parse_text("mix.lock", &deep).unwrap_err();
    assert_eq!(error, "not a valid mix.lock at line 1: nested deeper than 64 levels");
    assert_eq!(
        parse_text("mix.lock", "[1, 2]\n").unwrap_err(),
        "not a mix.lock: it is not an Elixir map `%{...}`"
    );
}

#[test]
fn mix_truncations_never_panic() {
    fixtures::truncations_never_panic("mix/phoenix-app/mix.lock", 11);
}

// ---------------------------------------------------------------- Pub

#[test]
fn pubspec_lock_hosted_direct_and_skipped() {
    let parsed = fixtures::parse("pubspec/flutter-app/pubspec.lock").unwrap();
    let path = "pubspec/flutter-app/pubspec.lock";
    assert_eq!(parsed.packages.len(), 23);
    assert_eq!(summary(entry(&parsed, "http", "0.12.0")), ("http", "0.12.0", Scope::Normal, 65));
    assert_eq!(summary(entry(&parsed, "mockito", "4.1.1")), ("mockito", "4.1.1", Scope::Dev, 100));
    assert_eq!(entry(&parsed, "pedantic", "1.8.0+1").line, 114);
    assert_eq!(entry(&parsed, "vector_math", "2.0.8").line, 189);
    // SDK packages are not entries.
    assert!(
        parsed.packages.iter().all(|e| !e.name.starts_with("flutter") && e.name != "sky_engine")
    );
    assert_eq!(
        roots(&parsed),
        vec![
            root("cupertino_icons", "0.1.2", Scope::Normal, path, 39),
            root("http", "0.12.0", Scope::Normal, path, 65),
            root("meta", "1.1.7", Scope::Normal, path, 93),
            root("mockito", "4.1.1", Scope::Dev, path, 100),
            root("shared_preferences", "0.5.3+4", Scope::Normal, path, 128),
        ]
    );
    assert_eq!(
        unresolved(&parsed),
        [("app_core", 4, "a local path"), ("flutter_markdown", 51, "a git dependency")]
    );
    assert_eq!(parsed.warnings, Vec::<String>::new());
}

#[test]
fn pubspec_bad_input() {
    let error = parse_text("pubspec.lock", "packages:\n  a: [1, 2\n  b: {\n").unwrap_err();
    assert!(error.starts_with("not valid YAML at line "), "{error}");
    let error = parse_text("pubspec.lock", "- just\n- a list\n").unwrap_err();
    assert_eq!(error, "not a pubspec.lock: it has no `packages:` map");
    let text = "packages:\n  a:\n    dependency: transitive\n    source: hosted\n  b:\n    \
                dependency: \"direct main\"\n    source: hosted\n    version: \"1.0.0\"\n";
    let parsed = parse_text("pubspec.lock", text).unwrap();
    assert_eq!(
        parsed.packages.iter().map(summary).collect::<Vec<_>>(),
        [("b", "1.0.0", Scope::Normal, 5)]
    );
    assert_eq!(parsed.warnings, ["line 2: package `a` has no version; skipped"]);
    // Nesting is bounded: block sequences on one line would overflow the
    // stack when a recursive YAML tree is dropped.
    let deep = format!("{}x\n", "- ".repeat(100_000));
    assert_eq!(
        parse_text("pubspec.lock", &deep).unwrap_err(),
        "line 1: YAML nested deeper than 32 levels"
    );
    // The YAML scanner stops flow nesting itself, before the tree does.
    let deep = format!("packages: {}{}", "[".repeat(1_000), "]".repeat(1_000));
    assert_eq!(
        parse_text("pubspec.lock", &deep).unwrap_err(),
        "not valid YAML at line 1: recursion limit exceeded"
    );
}

#[test]
fn pubspec_truncations_never_panic() {
    fixtures::truncations_never_panic("pubspec/flutter-app/pubspec.lock", 13);
}

// ---------------------------------------------------------------- Swift

#[test]
fn package_resolved_v1() {
    let parsed = fixtures::parse("swift/ios-app-v1/Package.resolved").unwrap();
    let summaries: Vec<_> = parsed.packages.iter().map(summary).collect();
    assert_eq!(
        summaries,
        [
            ("github.com/Alamofire/Alamofire", "5.2.2", Scope::Normal, 5),
            ("github.com/kishikawakatsumi/KeychainAccess", "4.2.1", Scope::Normal, 14),
            ("github.com/onevcat/Kingfisher", "5.15.6", Scope::Normal, 23),
            ("github.com/SnapKit/SnapKit", "5.0.1", Scope::Normal, 32),
        ]
    );
    assert_eq!(
        unresolved(&parsed),
        [
            ("github.com/apple/swift-log", 41, "a branch pin (main)"),
            ("github.com/SwiftyJSON/SwiftyJSON", 50, "a revision pin"),
        ]
    );
    assert!(parsed.roots.is_empty());
    assert_eq!(parsed.warnings, Vec::<String>::new());
}

#[test]
fn package_resolved_v2() {
    let parsed = fixtures::parse("swift/vapor-v2/Package.resolved").unwrap();
    assert_eq!(parsed.packages.len(), 10);
    assert_eq!(
        summary(entry(&parsed, "github.com/vapor/vapor", "4.0.0")),
        ("github.com/vapor/vapor", "4.0.0", Scope::Normal, 103)
    );
    assert_eq!(entry(&parsed, "github.com/apple/swift-nio", "2.18.0").line, 76);
    assert_eq!(entry(&parsed, "github.com/swift-server/async-http-client", "1.2.0").line, 4);
    assert_eq!(
        unresolved(&parsed),
        [
            ("/Users/dev/src/shared-models", 40, "a local repository"),
            ("github.com/apple/swift-metrics", 67, "a branch pin (main)"),
        ]
    );
    assert!(parsed.roots.is_empty());
    assert_eq!(parsed.warnings, Vec::<String>::new());
}

#[test]
fn package_resolved_v3_and_bad_input() {
    let v3 = "{\n  \"originHash\" : \"abc\",\n  \"pins\" : [\n    {\n      \"identity\" : \"swift-nio\",\n      \
              \"kind\" : \"remoteSourceControl\",\n      \"location\" : \"git@github.com:apple/swift-nio.git\",\n      \
              \"state\" : {\n        \"revision\" : \"0123\",\n        \"version\" : \"2.62.0\"\n      }\n    },\n    \
              {\n      \"identity\" : \"mona.linkedlist\",\n      \"kind\" : \"registry\",\n      \"location\" : \"\",\n      \
              \"state\" : {\n        \"version\" : \"1.0.0\"\n      }\n    },\n    {\n      \"identity\" : \"nowhere\",\n      \
              \"kind\" : \"remoteSourceControl\",\n      \"state\" : {\n        \"version\" : \"1.0.0\"\n      }\n    }\n  ],\n  \
              \"version\" : 3\n}\n";
    let parsed = parse_text("Package.resolved", v3).unwrap();
    assert_eq!(
        parsed.packages.iter().map(summary).collect::<Vec<_>>(),
        [("github.com/apple/swift-nio", "2.62.0", Scope::Normal, 5)]
    );
    assert_eq!(
        unresolved(&parsed),
        [("mona.linkedlist", 14, "a registry package (not named by a URL)")]
    );
    assert_eq!(parsed.warnings, ["line 22: pin `nowhere` has no repository URL; skipped"]);
    assert_eq!(
        parse_text("Package.resolved", "{\"pins\": [], \"version\": 4}").unwrap_err(),
        "Package.resolved version 4 is not one Vigil reads (1, 2, 3)"
    );
    assert_eq!(
        parse_text("Package.resolved", "{\"pins\": []}").unwrap_err(),
        "not a Package.resolved: it has no `version` number"
    );
    let error = parse_text("Package.resolved", "{\n  \"pins\" : [\n    {,\n").unwrap_err();
    assert!(error.starts_with("not valid JSON at line 3: "), "{error}");
}

#[test]
fn swift_truncations_never_panic() {
    fixtures::truncations_never_panic("swift/ios-app-v1/Package.resolved", 17);
    fixtures::truncations_never_panic("swift/vapor-v2/Package.resolved", 17);
}

// ---------------------------------------------------------------- Conan

#[test]
fn conan_lock_v04_graph() {
    let parsed = fixtures::parse("conan/conan1-v0.4/conan.lock").unwrap();
    let path = "conan/conan1-v0.4/conan.lock";
    let summaries: Vec<_> = parsed.packages.iter().map(summary).collect();
    assert_eq!(
        summaries,
        [
            ("libcurl", "7.69.1", Scope::Normal, 16),
            ("openssl", "1.1.1g", Scope::Normal, 27),
            ("zlib", "1.2.11", Scope::Normal, 37),
            ("nlohmann_json", "3.7.3", Scope::Normal, 44),
            ("cmake", "3.17.3", Scope::Dev, 51),
            ("openssl", "1.1.1h", Scope::Dev, 61),
        ]
    );
    assert_eq!(edges(entry(&parsed, "libcurl", "7.69.1")), ["openssl@1.1.1g", "zlib@1.2.11"]);
    assert_eq!(edges(entry(&parsed, "cmake", "3.17.3")), ["openssl@1.1.1h"]);
    assert_eq!(
        roots(&parsed),
        vec![
            root("libcurl", "7.69.1", Scope::Normal, path, 4),
            root("nlohmann_json", "3.7.3", Scope::Normal, path, 4),
            root("cmake", "3.17.3", Scope::Dev, path, 4),
        ]
    );
    assert!(parsed.unresolved.is_empty());
    assert_eq!(parsed.warnings, Vec::<String>::new());
}

#[test]
fn conan_lock_v05_lists() {
    let parsed = fixtures::parse("conan/conan2-v0.5/conan.lock").unwrap();
    let summaries: Vec<_> = parsed.packages.iter().map(summary).collect();
    assert_eq!(
        summaries,
        [
            ("zlib", "1.2.12", Scope::Normal, 4),
            ("openssl", "3.0.0", Scope::Normal, 5),
            ("libcurl", "7.83.1", Scope::Normal, 6),
            ("fmt", "8.1.1", Scope::Normal, 7),
            ("boost", "1.79.0", Scope::Normal, 8),
            ("bzip2", "1.0.8", Scope::Normal, 9),
            ("cmake", "3.23.1", Scope::Dev, 12),
            ("b2", "4.8.0", Scope::Dev, 13),
        ]
    );
    assert!(parsed.roots.is_empty());
    assert_eq!(parsed.warnings, Vec::<String>::new());
}

#[test]
fn conan_references_and_bad_input() {
    let text = "{\n    \"version\": \"0.5\",\n    \"requires\": [\n        \"poco/1.9.4@acme/stable#abc%1.0\",\n        \
                \"noversion\",\n        7\n    ],\n    \"python_requires\": [\n        \"pyreq/0.1#r\"\n    ]\n}\n";
    let parsed = parse_text("conan.lock", text).unwrap();
    assert_eq!(
        parsed.packages.iter().map(summary).collect::<Vec<_>>(),
        [("poco", "1.9.4", Scope::Normal, 4), ("pyreq", "0.1", Scope::Dev, 9)]
    );
    assert_eq!(
        parsed.warnings,
        [
            "line 5: reference `noversion` has no version; skipped",
            "an item of `requires` is not a string; skipped",
        ]
    );
    assert_eq!(
        parse_text("conan.lock", "{\"version\": \"0.6\"}").unwrap_err(),
        "conan.lock version 0.6 is not one Vigil reads (0.4, 0.5)"
    );
    assert_eq!(
        parse_text("conan.lock", "{\"requires\": []}").unwrap_err(),
        "not a conan.lock: it has no `version` string"
    );
    let v04 = "{\n \"graph_lock\": {\n  \"nodes\": {\n   \"0\": {\"requires\": [\"1\"]},\n   \
               \"1\": {\"context\": \"host\"}\n  }\n },\n \"version\": \"0.4\"\n}\n";
    let parsed = parse_text("conan.lock", v04).unwrap();
    assert!(parsed.packages.is_empty());
    assert_eq!(parsed.warnings, ["line 5: node 1 has no `ref`; skipped"]);
    assert!(parse_text("conan.lock", "{\"version\": ").unwrap_err().starts_with("not valid JSON"));
}

#[test]
fn conan_truncations_never_panic() {
    fixtures::truncations_never_panic("conan/conan1-v0.4/conan.lock", 19);
    fixtures::truncations_never_panic("conan/conan2-v0.5/conan.lock", 7);
}

// ---------------------------------------------------------------- Size

/// Every parser reads a 5,000-package file with the last entry at its
/// line (lines are counted forward once, not per entry from the start).
#[test]
fn five_thousand_packages_each() {
    const N: usize = 5_000;
    let mut go = String::from("module m\n\nrequire (\n");
    let mut gem = String::from("GEM\n  remote: https://rubygems.org/\n  specs:\n");
    let mut composer = String::from("{\n    \"packages\": [\n");
    let mut mix = String::from("%{\n");
    let mut pubspec = String::from("packages:\n");
    let mut swift = String::from("{\n  \"pins\" : [\n");
    let mut conan = String::from("{\n    \"version\": \"0.5\",\n    \"requires\": [\n");
    for i in 0..N {
        let comma = if i + 1 < N { "," } else { "" };
        go.push_str(&format!("\texample.com/m{i} v1.0.{i}\n"));
        gem.push_str(&format!("    g{i} (1.0.{i})\n      g{} (>= 1)\n", (i + 1) % N));
        composer.push_str(&format!(
            "        {{\n            \"name\": \"v/p{i}\",\n            \"version\": \"1.0.{i}\",\n            \
             \"require\": {{\"v/p{}\": \"*\"}}\n        }}{comma}\n",
            (i + 1) % N
        ));
        mix.push_str(&format!(
            "  \"a{i}\": {{:hex, :a{i}, \"1.0.{i}\", \"h\", [:mix], [{{:a{}, \"~> 1.0\", [hex: :a{}, repo: \"hexpm\", optional: false]}}], \"hexpm\", \"h\"}},\n",
            (i + 1) % N,
            (i + 1) % N
        ));
        pubspec.push_str(&format!(
            "  p{i}:\n    dependency: transitive\n    description:\n      name: p{i}\n      url: \"https://pub.dev\"\n    \
             source: hosted\n    version: \"1.0.{i}\"\n"
        ));
        swift.push_str(&format!(
            "    {{\n      \"identity\" : \"s{i}\",\n      \"location\" : \"https://github.com/o/s{i}.git\",\n      \
             \"state\" : {{\n        \"version\" : \"1.0.{i}\"\n      }}\n    }}{comma}\n"
        ));
        conan.push_str(&format!("        \"c{i}/1.0.{i}#r%1.0\"{comma}\n"));
    }
    go.push_str(")\n");
    composer.push_str("    ]\n}\n");
    mix.push_str("}\n");
    swift.push_str("  ],\n  \"version\" : 2\n}\n");
    conan.push_str("    ]\n}\n");
    for (path, text, last_line) in [
        ("go.mod", &go, N + 3),
        ("Gemfile.lock", &gem, 2 * N + 2),
        ("composer.lock", &composer, 5 * N - 1),
        ("mix.lock", &mix, N + 1),
        ("pubspec.lock", &pubspec, 7 * N - 5),
        ("Package.resolved", &swift, 7 * N - 3),
        ("conan.lock", &conan, N + 3),
    ] {
        let parsed = parse_text(path, text).unwrap();
        assert_eq!(parsed.packages.len(), N, "{path}");
        assert_eq!(parsed.packages.last().map(|e| e.line), Some(last_line as u32), "{path}");
        assert!(parsed.warnings.is_empty(), "{path}: {:?}", parsed.warnings.first());
    }
}
