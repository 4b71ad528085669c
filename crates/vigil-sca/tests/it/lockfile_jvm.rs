//! Tests of the JVM and .NET readers: `pom.xml` (maven), Gradle lock files
//! (gradle) and `packages.lock.json` (nuget), on the fixtures under
//! `tests/fixtures/{maven,gradle,nuget}/` and on hostile inputs.

use vigil_sca::lockfile::{FORMATS, Format, Input, LockfileError, Parsed, Req, Scope, Unresolved};

use crate::fixtures;

/// The format named `name` (the gradle per-configuration files are not
/// found by file name, so tests call formats by name).
fn format(name: &str) -> &'static Format {
    FORMATS.iter().find(|format| format.name == name).unwrap_or_else(|| panic!("no format {name}"))
}

fn parse_text(format_name: &str, path: &str, text: &str) -> Result<Parsed, LockfileError> {
    (format(format_name).parse)(Input { path, text }, None)
}

/// Reads fixture `rel` with the parser of `format_name`, without companion.
fn parse_fixture(format_name: &str, rel: &str) -> Parsed {
    let text = std::fs::read_to_string(fixtures::dir(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    parse_text(format_name, rel, &text).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// (name, version, scope, line) of every entry.
fn entries(parsed: &Parsed) -> Vec<(&str, &str, Scope, u32)> {
    parsed
        .packages
        .iter()
        .map(|entry| (entry.name.as_str(), entry.version.as_str(), entry.scope, entry.line))
        .collect()
}

/// (name, version, scope, declared line) of every root, checking its path.
fn roots<'p>(parsed: &'p Parsed, path: &str) -> Vec<(&'p str, Option<&'p str>, Scope, u32)> {
    parsed
        .roots
        .iter()
        .map(|root| {
            let (declared_path, line) = root
                .declared
                .clone()
                .unwrap_or_else(|| panic!("root {} is not declared", root.name));
            assert_eq!(declared_path, path);
            (root.name.as_str(), root.version.as_deref(), root.scope, line)
        })
        .collect()
}

fn unresolved(parsed: &Parsed) -> Vec<(&str, u32, &str)> {
    parsed
        .unresolved
        .iter()
        .map(|item| (item.name.as_str(), item.line, item.reason.as_str()))
        .collect()
}

fn edges<'p>(parsed: &'p Parsed, name: &str, version: &str) -> Vec<(&'p str, Option<&'p str>)> {
    let entry = parsed
        .packages
        .iter()
        .find(|entry| entry.name == name && entry.version == version)
        .unwrap_or_else(|| panic!("no entry {name} {version}"));
    entry.dependencies.iter().map(|req| (req.name.as_str(), req.version.as_deref())).collect()
}

// ---------------------------------------------------------------- maven

const WEBAPP: &str = "maven/webapp/pom.xml";

#[test]
fn maven_webapp_reads_properties_management_and_scopes() {
    let parsed = fixtures::parse(WEBAPP).unwrap();
    use Scope::*;
    let expected = vec![
        ("org.apache.logging.log4j:log4j-core", "2.14.1", Normal, 47),
        ("com.fasterxml.jackson.core:jackson-databind", "2.9.8", Normal, 52),
        ("org.springframework:spring-core", "5.3.0", Normal, 57),
        ("org.springframework:spring-webmvc", "5.3.0", Normal, 62),
        ("commons-collections:commons-collections", "3.2.1", Normal, 67),
        ("org.slf4j:slf4j-api", "1.7.30", Dev, 71),
        ("javax.servlet:javax.servlet-api", "4.0.1", Dev, 75),
        ("org.yaml:snakeyaml", "1.26", Optional, 81),
        ("junit:junit", "4.12", Dev, 97),
    ];
    assert_eq!(entries(&parsed), expected);
    let expected_roots: Vec<_> = expected
        .iter()
        .map(|&(name, version, scope, line)| (name, Some(version), scope, line))
        .collect();
    assert_eq!(roots(&parsed, WEBAPP), expected_roots);
    assert!(parsed.packages.iter().all(|entry| entry.dependencies.is_empty()));
    assert_eq!(
        unresolved(&parsed),
        vec![
            ("com.fasterxml.jackson:jackson-bom", 25, "a BOM import (its versions are not read)"),
            ("com.google.guava:guava", 87, "a version range ([24.1,29.0))"),
        ]
    );
    assert_eq!(parsed.warnings, Vec::<String>::new());
    // The profile's h2 and the sibling module shop-model are not packages.
    assert!(
        parsed
            .packages
            .iter()
            .all(|e| !e.name.ends_with(":h2") && !e.name.ends_with(":shop-model"))
    );
}

#[test]
fn maven_child_of_an_absent_parent_is_unresolved_where_the_parent_decides() {
    let rel = "maven/child-module/pom.xml";
    let parsed = fixtures::parse(rel).unwrap();
    assert_eq!(
        entries(&parsed),
        vec![
            ("org.springframework.boot:spring-boot-starter-actuator", "2.5.5", Scope::Normal, 28),
            ("org.apache.commons:commons-text", "1.9", Scope::Normal, 33),
            ("com.thoughtworks.xstream:xstream", "1.4.17", Scope::Normal, 44),
        ]
    );
    assert_eq!(
        roots(&parsed, rel),
        vec![
            (
                "org.springframework.boot:spring-boot-starter-actuator",
                Some("2.5.5"),
                Scope::Normal,
                28
            ),
            ("org.apache.commons:commons-text", Some("1.9"), Scope::Normal, 33),
            ("com.thoughtworks.xstream:xstream", Some("1.4.17"), Scope::Normal, 44),
        ]
    );
    assert_eq!(
        unresolved(&parsed),
        vec![
            (
                "org.springframework.boot:spring-boot-starter-web",
                24,
                "version managed by the parent pom"
            ),
            (
                "org.postgresql:postgresql",
                38,
                "property `${postgresql.version}` is not defined here (the parent pom, which may define it, is not read)"
            ),
            (
                "org.springframework.boot:spring-boot-starter-test",
                49,
                "version managed by the parent pom"
            ),
        ]
    );
    assert!(parsed.warnings.is_empty());
}

fn pom(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<project>\n<groupId>g</groupId>\n<version>1.0</version>\n{body}\n</project>\n"
    )
}

#[test]
fn maven_nested_and_project_properties_expand() {
    let text = pom(
        "<properties><a>${b}.1</a><b>${project.version}</b><loop>${loop}</loop></properties>\n\
         <dependencies>\n\
         <dependency><groupId>x</groupId><artifactId>one</artifactId><version>${a}</version></dependency>\n\
         <dependency><groupId>x</groupId><artifactId>two</artifactId><version>${loop}</version></dependency>\n\
         <dependency><groupId>x</groupId><artifactId>three</artifactId><version>${nope}</version></dependency>\n\
         <dependency><groupId>x</groupId><artifactId>four</artifactId><version>LATEST</version></dependency>\n\
         <dependency><groupId>x</groupId><artifactId>five</artifactId></dependency>\n\
         <dependency><groupId>x</groupId><artifactId>six</artifactId><version>1</version><scope>system</scope></dependency>\n\
         </dependencies>",
    );
    let parsed = parse_text("maven", "pom.xml", &text).unwrap();
    assert_eq!(entries(&parsed), vec![("x:one", "1.0.1", Scope::Normal, 7)]);
    assert_eq!(
        unresolved(&parsed),
        vec![
            ("x:two", 8, "property `${loop}` refers to itself"),
            ("x:three", 9, "property `${nope}` is not defined"),
            ("x:four", 10, "the meta-version LATEST"),
            ("x:five", 11, "no version (none declared and none in <dependencyManagement>)"),
            ("x:six", 12, "a system-scoped dependency (a local jar)"),
        ]
    );
}

#[test]
fn maven_bad_dependencies_are_warnings_naming_their_line() {
    let text = pom("<dependencies>\n\
         <dependency><artifactId>lonely</artifactId><version>1</version></dependency>\n\
         <dependency><groupId>x</groupId><artifactId>a</artifactId><version>2</version></dependency>\n\
         <dependency><groupId>x</groupId><artifactId>a</artifactId><version>2</version></dependency>\n\
         </dependencies>");
    let parsed = parse_text("maven", "pom.xml", &text).unwrap();
    assert_eq!(entries(&parsed), vec![("x:a", "2", Scope::Normal, 7)]);
    assert_eq!(
        parsed.warnings,
        vec![
            "line 6: a <dependency> without groupId; skipped".to_owned(),
            "line 8: `x:a` 2 is declared again (first at line 7); skipped".to_owned(),
        ]
    );
}

#[test]
fn maven_refuses_dtds_and_bad_xml() {
    let billion_laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]>\n\
                          <project><dependencies><dependency><groupId>&lol2;</groupId></dependency></dependencies></project>";
    let error = parse_text("maven", "pom.xml", billion_laughs).unwrap_err();
    assert_eq!(
        error.message,
        "the pom has a <!DOCTYPE>, which Vigil refuses so that no entity is expanded"
    );

    let error =
        parse_text("maven", "pom.xml", "<project>\n<dependencies>\n</project>").unwrap_err();
    assert_eq!(error.line, Some(3));
    assert!(error.message.starts_with("not valid XML at line 3: "), "{}", error.message);

    let error = parse_text("maven", "pom.xml", "<?xml version=\"1.0\"?>\n<settings/>").unwrap_err();
    assert_eq!(error.message, "the root element is <settings>, not <project>: not a Maven pom");
    assert_eq!(error.line, Some(2));
}

#[test]
fn maven_deep_nesting_is_not_a_crash() {
    let depth = 100_000;
    let text = format!("<project>{}{}</project>", "<a>".repeat(depth), "</a>".repeat(depth));
    let parsed = parse_text("maven", "pom.xml", &text).unwrap();
    assert!(parsed.packages.is_empty());
}

#[test]
fn maven_truncations_never_panic() {
    fixtures::truncations_never_panic(WEBAPP, 7);
    fixtures::truncations_never_panic("maven/child-module/pom.xml", 7);
}

// ---------------------------------------------------------------- gradle

#[test]
fn gradle_single_file_marks_test_only_packages_dev() {
    let parsed = fixtures::parse("gradle/single-file/gradle.lockfile").unwrap();
    assert_eq!(parsed.packages.len(), 24);
    let all = entries(&parsed);
    assert_eq!(
        all[0],
        ("com.fasterxml.jackson.core:jackson-annotations", "2.9.0", Scope::Normal, 4)
    );
    assert!(all.contains(&(
        "com.fasterxml.jackson.core:jackson-databind",
        "2.9.8",
        Scope::Normal,
        6
    )));
    assert!(all.contains(&("org.apache.logging.log4j:log4j-core", "2.14.1", Scope::Normal, 18)));
    assert!(all.contains(&("org.postgresql:postgresql", "42.2.18", Scope::Normal, 23)));
    assert_eq!(all[23], ("org.yaml:snakeyaml", "1.26", Scope::Normal, 27));
    let dev: Vec<_> =
        all.iter().filter(|entry| entry.2 == Scope::Dev).map(|entry| (entry.0, entry.3)).collect();
    assert_eq!(
        dev,
        vec![
            ("junit:junit", 14),
            ("net.bytebuddy:byte-buddy-agent", 15),
            ("net.bytebuddy:byte-buddy", 16),
            ("org.hamcrest:hamcrest-core", 20),
            ("org.mockito:mockito-core", 21),
            ("org.objenesis:objenesis", 22),
        ]
    );
    assert!(parsed.roots.is_empty());
    assert!(parsed.unresolved.is_empty());
    assert!(parsed.warnings.is_empty());
}

#[test]
fn gradle_build_script_lock_is_all_dev() {
    let parsed = fixtures::parse("gradle/single-file/buildscript-gradle.lockfile").unwrap();
    assert_eq!(
        entries(&parsed),
        vec![
            ("com.github.ben-manes:gradle-versions-plugin", "0.36.0", Scope::Dev, 4),
            ("com.squareup.moshi:moshi", "1.8.0", Scope::Dev, 5),
            ("com.squareup.okio:okio", "1.16.0", Scope::Dev, 6),
        ]
    );
}

#[test]
fn gradle_per_configuration_files_take_the_configuration_from_the_name() {
    let dir = "gradle/per-configuration/gradle/dependency-locks";
    let compile = parse_fixture("gradle", &format!("{dir}/compileClasspath.lockfile"));
    assert_eq!(compile.packages.len(), 7);
    assert_eq!(
        entries(&compile)[5],
        ("org.apache.logging.log4j:log4j-core", "2.14.1", Scope::Normal, 9)
    );
    assert!(compile.packages.iter().all(|entry| entry.scope == Scope::Normal));
    let test = parse_fixture("gradle", &format!("{dir}/testRuntimeClasspath.lockfile"));
    assert_eq!(test.packages.len(), 9);
    assert_eq!(entries(&test)[4], ("junit:junit", "4.12", Scope::Dev, 8));
    assert!(test.packages.iter().all(|entry| entry.scope == Scope::Dev));
    assert!(compile.roots.is_empty() && test.roots.is_empty());
}

#[test]
fn gradle_bad_lines_are_warnings_and_garbage_is_an_error() {
    let text = "# header\na:b:1=compileClasspath\nc:d=runtimeClasspath\nc:d:=runtimeClasspath\n:x:1=testRuntimeClasspath\nempty=\n";
    let parsed = parse_text("gradle", "gradle.lockfile", text).unwrap();
    assert_eq!(entries(&parsed), vec![("a:b", "1", Scope::Normal, 2)]);
    assert_eq!(
        parsed.warnings,
        vec![
            "line 3: package `c:d` has no version; skipped".to_owned(),
            "line 4: package `c:d` has no version; skipped".to_owned(),
            "line 5: `:x:1=testRuntimeClasspath` has an empty group or artifact; skipped"
                .to_owned(),
        ]
    );
    let error = parse_text("gradle", "gradle.lockfile", "\u{0}\u{1}garbage\nmore garbage here")
        .unwrap_err();
    assert_eq!(error.line, Some(1));
    assert_eq!(
        error.message,
        "not a Gradle lock file: line 1 (`\u{0}\u{1}garbage`) is not group:artifact:version=configurations"
    );
}

#[test]
fn gradle_truncations_never_panic() {
    fixtures::truncations_never_panic("gradle/single-file/gradle.lockfile", 5);
}

// ---------------------------------------------------------------- nuget

const V1: &str = "nuget/v1-multi-target/packages.lock.json";
const V2: &str = "nuget/v2-central/packages.lock.json";

#[test]
fn nuget_v1_deduplicates_frameworks_and_pins_edges() {
    let parsed = fixtures::parse(V1).unwrap();
    use Scope::Normal;
    assert_eq!(
        entries(&parsed),
        vec![
            ("Newtonsoft.Json", "12.0.1", Normal, 5),
            ("Serilog", "2.10.0", Normal, 11),
            ("System.Text.Encodings.Web", "4.5.0", Normal, 17),
            ("System.Buffers", "4.5.1", Normal, 26),
            ("System.Memory", "4.5.4", Normal, 31),
            ("System.Numerics.Vectors", "4.5.0", Normal, 41),
            ("System.Runtime.CompilerServices.Unsafe", "4.5.3", Normal, 46),
            ("System.Numerics.Vectors", "4.4.0", Normal, 92),
        ]
    );
    assert_eq!(
        roots(&parsed, V1),
        vec![
            ("Newtonsoft.Json", Some("12.0.1"), Normal, 5),
            ("Serilog", Some("2.10.0"), Normal, 11),
            ("System.Text.Encodings.Web", Some("4.5.0"), Normal, 17),
        ]
    );
    assert_eq!(
        edges(&parsed, "System.Memory", "4.5.4"),
        vec![
            ("System.Buffers", Some("4.5.1")),
            ("System.Numerics.Vectors", Some("4.5.0")),
            ("System.Runtime.CompilerServices.Unsafe", Some("4.5.3")),
            ("System.Numerics.Vectors", Some("4.4.0")),
        ]
    );
    assert_eq!(
        edges(&parsed, "System.Text.Encodings.Web", "4.5.0"),
        vec![("System.Memory", Some("4.5.4"))]
    );
    assert!(parsed.roots.iter().all(|root: &Req| root.scope == Normal));
    assert!(parsed.unresolved.is_empty());
    assert!(parsed.warnings.is_empty());
}

#[test]
fn nuget_v2_reads_central_transitive_and_skips_projects() {
    let parsed = fixtures::parse(V2).unwrap();
    use Scope::Normal;
    assert_eq!(
        entries(&parsed),
        vec![
            ("Microsoft.Data.SqlClient", "2.1.1", Normal, 5),
            ("Newtonsoft.Json", "13.0.1", Normal, 15),
            ("xunit", "2.4.1", Normal, 21),
            ("Microsoft.Identity.Client", "4.21.1", Normal, 31),
            ("xunit.assert", "2.4.1", Normal, 36),
            ("xunit.core", "2.4.1", Normal, 41),
            ("System.Text.Encodings.Web", "4.7.2", Normal, 53),
        ]
    );
    assert_eq!(
        roots(&parsed, V2),
        vec![
            ("Microsoft.Data.SqlClient", Some("2.1.1"), Normal, 5),
            ("Newtonsoft.Json", Some("13.0.1"), Normal, 15),
            ("xunit", Some("2.4.1"), Normal, 21),
        ]
    );
    assert_eq!(
        edges(&parsed, "Microsoft.Data.SqlClient", "2.1.1"),
        vec![
            ("Microsoft.Identity.Client", Some("4.21.1")),
            ("System.Text.Encodings.Web", Some("4.7.2"))
        ]
    );
    assert_eq!(
        edges(&parsed, "xunit", "2.4.1"),
        vec![("xunit.assert", Some("2.4.1")), ("xunit.core", Some("2.4.1"))]
    );
    assert!(parsed.unresolved.is_empty());
    assert!(parsed.warnings.is_empty());
}

#[test]
fn nuget_direct_in_any_framework_wins_and_edges_to_projects_drop() {
    let text = r#"{
  "version": 1,
  "dependencies": {
    "net48": {
      "A": { "type": "Transitive", "resolved": "1.0.0" },
      "P": { "type": "Project", "dependencies": { "A": "[1.0.0, )" } }
    },
    "net6.0": {
      "A": { "type": "Direct", "resolved": "1.0.0", "dependencies": { "P": "1.0.0", "Gone": "2.0.0" } },
      "B": { "type": "Mystery", "resolved": "3.0.0" },
      "C": { "type": "Transitive" },
      "P": { "type": "Project" }
    }
  }
}"#;
    let parsed = parse_text("nuget", "packages.lock.json", text).unwrap();
    assert_eq!(
        entries(&parsed),
        vec![("A", "1.0.0", Scope::Normal, 5), ("B", "3.0.0", Scope::Normal, 10)]
    );
    assert_eq!(roots(&parsed, "packages.lock.json"), vec![("A", Some("1.0.0"), Scope::Normal, 5)]);
    assert_eq!(edges(&parsed, "A", "1.0.0"), vec![("Gone", None)]);
    assert_eq!(
        parsed.warnings,
        vec![
            "line 10: package `B` (net6.0) has the unknown type `Mystery`; read as transitive"
                .to_owned(),
            "line 11: package `C` (net6.0) has no resolved version; skipped".to_owned(),
        ]
    );
    assert_eq!(parsed.unresolved, Vec::<Unresolved>::new());
}

#[test]
fn nuget_unknown_version_and_bad_json_are_errors() {
    let error = parse_text("nuget", "packages.lock.json", "{\"version\": 3, \"dependencies\": {}}")
        .unwrap_err();
    assert_eq!(error.message, "packages.lock.json version 3 is not one Vigil reads (1, 2)");
    let error = parse_text("nuget", "packages.lock.json", "{\"dependencies\": {}}").unwrap_err();
    assert_eq!(error.message, "not a NuGet lock file: it has no numeric `version`");
    let error =
        parse_text("nuget", "packages.lock.json", "{\n  \"version\": 1,\n  \"dependencies\": {\n")
            .unwrap_err();
    assert_eq!(error.line, Some(4));
    assert!(error.message.starts_with("not valid JSON at line 4: "), "{}", error.message);
    let deep = format!(
        "{{\"version\": 1, \"dependencies\": {}{}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let error = parse_text("nuget", "packages.lock.json", &deep).unwrap_err();
    assert!(error.message.contains("recursion limit"), "{}", error.message);
}

#[test]
fn nuget_truncations_never_panic() {
    fixtures::truncations_never_panic(V1, 3);
    fixtures::truncations_never_panic(V2, 3);
}

// ---------------------------------------------------------------- size

/// 5,000 packages in each format: every one read, lines right at the end
/// (the line lookups must stay one pass, not one per package).
#[test]
fn five_thousand_packages_parse_in_one_pass() {
    let count = 5_000;

    let mut gradle = String::from("# This is a Gradle generated file for dependency locking.\n");
    for index in 0..count {
        gradle.push_str(&format!(
            "org.example:lib{index}:1.{index}.0=compileClasspath,runtimeClasspath\n"
        ));
    }
    let parsed = parse_text("gradle", "gradle.lockfile", &gradle).unwrap();
    assert_eq!(parsed.packages.len(), count);
    assert_eq!(parsed.packages[count - 1].line, 5_001);

    let mut nuget =
        String::from("{\n  \"version\": 1,\n  \"dependencies\": {\n    \"net6.0\": {\n");
    for index in 0..count {
        let comma = if index + 1 == count { "" } else { "," };
        nuget.push_str(&format!(
            "      \"Lib{index}\": {{\n        \"type\": \"Transitive\",\n        \"resolved\": \"1.0.{index}\",\n        \"dependencies\": {{\n          \"Lib{next}\": \"1.0.0\"\n        }}\n      }}{comma}\n",
            next = index + 1
        ));
    }
    nuget.push_str("    }\n  }\n}\n");
    let parsed = parse_text("nuget", "packages.lock.json", &nuget).unwrap();
    assert_eq!(parsed.packages.len(), count);
    assert_eq!(parsed.packages[count - 1].line, 5 + 7 * (count as u32 - 1));
    assert_eq!(parsed.packages[0].dependencies[0].version.as_deref(), Some("1.0.1"));

    let mut maven = String::from("<project>\n<dependencies>\n");
    for index in 0..count {
        maven.push_str(&format!(
            "<dependency><groupId>org.example</groupId><artifactId>lib{index}</artifactId><version>1.{index}</version></dependency>\n"
        ));
    }
    maven.push_str("</dependencies>\n</project>\n");
    let parsed = parse_text("maven", "pom.xml", &maven).unwrap();
    assert_eq!(parsed.packages.len(), count);
    assert_eq!(parsed.packages[count - 1].line, 5_002);
}
