//! The engine on whole files of each framework: what becomes a resource,
//! its address, and that findings come out with their resource.

use vigil_core::{Engine, FileOutput, SourceFile};

use super::IacEngine;

fn engine() -> IacEngine {
    match IacEngine::builtin() {
        Ok(engine) => engine,
        Err(error) => panic!("built-in policies: {error}"),
    }
}

fn scan(path: &str, text: &str) -> FileOutput {
    let mut output = FileOutput::default();
    engine().scan_file(SourceFile { path, content: text.as_bytes() }, &mut output);
    output
}

fn found(output: &FileOutput, rule: &str) -> Vec<String> {
    output
        .findings
        .iter()
        .filter(|f| f.rule_id == rule)
        .map(|f| {
            let resource = f
                .resource
                .as_ref()
                .map_or(String::new(), |r| format!("{}|{}", r.framework, r.address));
            format!("{resource}@{}-{}", f.location.start_line, f.location.end_line)
        })
        .collect()
}

#[test]
fn cloudformation_json_resolves_parameter_defaults() {
    let text = r#"{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Parameters": { "Encrypt": { "Type": "String", "Default": "false" } },
  "Resources": {
    "Orders": {
      "Type": "AWS::RDS::DBInstance",
      "Properties": { "Engine": "postgres", "StorageEncrypted": { "Ref": "Encrypt" } }
    },
    "Audit": {
      "Type": "AWS::RDS::DBInstance",
      "Properties": { "Engine": "postgres", "StorageEncrypted": true }
    }
  }
}
"#;
    let output = scan("stack/db.json", text);
    assert!(output.diagnostics.is_empty(), "{:?}", output.diagnostics);
    assert_eq!(found(&output, "IAC1016"), ["cloudformation|AWS::RDS::DBInstance.Orders@5-8"]);
}

#[test]
fn cloudformation_conditions_pick_their_branch() {
    let text = "Parameters:\n  Env:\n    Type: String\n    Default: dev\nConditions:\n  IsProd: !Equals [!Ref Env, prod]\n  IsDev: !Not [!Condition IsProd]\nResources:\n  Orders:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Engine: postgres\n      StorageEncrypted: !If [IsProd, true, false]\n  Audit:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Engine: postgres\n      StorageEncrypted: !If [IsDev, true, !Ref AWS::NoValue]\n";
    let output = scan("stack/db.yaml", text);
    assert!(output.diagnostics.is_empty(), "{:?}", output.diagnostics);
    assert_eq!(found(&output, "IAC1016"), ["cloudformation|AWS::RDS::DBInstance.Orders@9-13"]);
}

#[test]
fn kubernetes_lists_expand_into_their_objects() {
    let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: calm\n  spec:\n    containers:\n    - name: a\n      image: nginx\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: wild\n    namespace: edge\n  spec:\n    containers:\n    - name: a\n      image: nginx\n      securityContext:\n        privileged: true\n";
    let output = scan("k8s/pods.yaml", text);
    let privileged = found(&output, "IAC4016");
    assert_eq!(privileged.len(), 1, "{privileged:?}");
    assert!(privileged[0].starts_with("kubernetes|Pod.edge.wild@"), "{privileged:?}");
}

#[test]
fn terraform_plans_are_checked_with_module_addresses() {
    let text = r#"{
  "format_version": "1.2",
  "terraform_version": "1.9.5",
  "planned_values": {
    "root_module": {
      "resources": [],
      "child_modules": [{
        "address": "module.db",
        "resources": [{
          "address": "module.db.aws_db_instance.main",
          "mode": "managed",
          "type": "aws_db_instance",
          "name": "main",
          "values": { "engine": "postgres", "publicly_accessible": true, "storage_encrypted": true }
        }]
      }]
    }
  },
  "resource_changes": []
}
"#;
    let output = scan("plan.json", text);
    assert!(output.diagnostics.is_empty(), "{:?}", output.diagnostics);
    assert_eq!(found(&output, "IAC1017"), ["terraform_plan|module.db.aws_db_instance.main@10-10"]);
    let broken = scan("plan.json", &text[..200]);
    assert_eq!(broken.diagnostics.len(), 1);
    assert!(
        broken.diagnostics[0].message.contains("not a valid Terraform plan"),
        "{:?}",
        broken.diagnostics
    );
}

#[test]
fn a_hundred_megabyte_plan_is_read_once_and_checked() {
    // 2,000 instances with 50 KB of user data each, as generated plans carry.
    let user_data = "echo provisioning step\n".repeat(2_200);
    let mut resources = Vec::new();
    for index in 0..2_000 {
        resources.push(format!(
            r#"{{"address":"aws_db_instance.db{index}","mode":"managed","type":"aws_db_instance","name":"db{index}","values":{{"publicly_accessible":{},"user_data":{}}}}}"#,
            index % 2 == 0,
            serde_json::Value::String(user_data.clone())
        ));
    }
    let text = format!(
        r#"{{"format_version":"1.2","planned_values":{{"root_module":{{"resources":[{}]}}}},"prior_state":{{"values":{{"outputs":{{}}}}}}}}"#,
        resources.join(",")
    );
    assert!(text.len() > 100_000_000, "{}", text.len());
    let output = scan("big/plan.json", &text);
    assert!(output.diagnostics.is_empty(), "{:?}", output.diagnostics);
    assert_eq!(found(&output, "IAC1017").len(), 1_000);
}

#[test]
fn files_that_are_not_iac_are_left_alone() {
    for (path, text) in [
        ("package.json", "{\"name\": \"app\", \"dependencies\": {}}"),
        ("docs/mkdocs.yml", "site_name: Docs\nnav:\n  - Home: index.md\n"),
        ("broken.yaml", "a: [unclosed\n"),
    ] {
        let output = scan(path, text);
        assert!(output.findings.is_empty() && output.diagnostics.is_empty(), "{path}: {output:?}");
    }
}

#[test]
fn gitlab_ci_files_included_locally_are_checked_too() {
    let root = "include:\n  - local: ci/deploy.yml\n  - remote: https://example.com/x.yml\nstages: [build]\n";
    let deploy = "deploy:\n  image: alpine\n  variables:\n    CI_DEBUG_TRACE: \"true\"\n  script: [./deploy.sh]\n";
    let engine = engine();
    let files = [
        SourceFile { path: ".gitlab-ci.yml", content: root.as_bytes() },
        SourceFile { path: "ci/deploy.yml", content: deploy.as_bytes() },
        SourceFile { path: "ci/unused.yml", content: deploy.as_bytes() },
    ];
    assert!(files.iter().all(|file| engine.keeps(file.path)));
    let mut output = FileOutput::default();
    engine.scan_tree(&files, &mut output);
    let paths: std::collections::BTreeSet<&str> =
        output.findings.iter().map(|f| f.location.path.as_str()).collect();
    assert_eq!(paths.into_iter().collect::<Vec<_>>(), ["ci/deploy.yml"], "{:?}", output.findings);
    assert!(
        output
            .findings
            .iter()
            .any(|f| f.resource.as_ref().is_some_and(|r| r.address == "job.deploy"))
    );
}
