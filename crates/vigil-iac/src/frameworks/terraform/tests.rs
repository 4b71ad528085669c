//! The Terraform evaluator on small directories: variables, tfvars and
//! locals, nested and dynamic blocks, local modules and their cycles,
//! unresolved references, and files it must refuse.

use super::*;

fn run(files: &[(&str, &str)]) -> Output {
    let files: Vec<SourceFile<'_>> =
        files.iter().map(|(path, text)| SourceFile { path, content: text.as_bytes() }).collect();
    evaluate(&files)
}

#[test]
fn variables_tfvars_and_locals_resolve() {
    let out = run(&[
        (
            "infra/main.tf",
            "variable \"enc\" { default = false }\nlocals { name = \"logs-${var.env}\" }\nresource \"aws_db_instance\" \"db\" {\n  storage_encrypted = var.enc\n  identifier = local.name\n  kms_key_id = aws_kms_key.k.arn\n}\nresource \"aws_kms_key\" \"k\" {}\n",
        ),
        ("infra/vars.tf", "variable \"env\" {}\n"),
        ("infra/terraform.tfvars", "enc = true\nenv = \"prod\"\n"),
    ]);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let db = &out.entities[0];
    assert_eq!(db.address, "aws_db_instance.db");
    assert_eq!((db.start_line, db.end_line), (3, 7));
    assert_eq!(db.attrs.get("storage_encrypted"), Some(&Value::Bool(true)));
    assert_eq!(db.attrs.get("identifier"), Some(&Value::Str("logs-prod".into())));
    assert_eq!(db.attrs.get("kms_key_id"), Some(&Value::Str("aws_kms_key.k.arn".into())));
    assert_eq!(db.lines.get("kms_key_id"), Some(&6));
    assert_eq!(out.edges, vec![(0, 1)]);
}

#[test]
fn nested_and_dynamic_blocks() {
    let out = run(&[(
        "main.tf",
        "locals { ports = [22, 80] }\nresource \"aws_security_group\" \"sg\" {\n  dynamic \"ingress\" {\n    for_each = local.ports\n    content {\n      from_port = ingress.value\n      to_port = ingress.value\n    }\n  }\n  egress {\n    from_port = 0\n  }\n}\n",
    )]);
    let sg = &out.entities[0];
    assert_eq!(sg.attrs.at("ingress.1.from_port"), Some(&Value::Int(80)));
    assert_eq!(sg.attrs.at("egress.0.from_port"), Some(&Value::Int(0)));
    assert_eq!(sg.lines.get("egress.from_port"), Some(&11));
}

#[test]
fn local_modules_get_their_inputs_and_a_prefix() {
    let out = run(&[
        ("main.tf", "module \"store\" {\n  source = \"./modules/store\"\n  encrypted = true\n}\n"),
        (
            "modules/store/main.tf",
            "variable \"encrypted\" { default = false }\nresource \"aws_ebs_volume\" \"v\" { encrypted = var.encrypted }\n",
        ),
    ]);
    assert_eq!(out.entities.len(), 1);
    assert_eq!(out.entities[0].address, "module.store.aws_ebs_volume.v");
    assert_eq!(out.entities[0].attrs.get("encrypted"), Some(&Value::Bool(true)));
}

#[test]
fn module_cycles_are_a_diagnostic() {
    let out = run(&[
        ("a/main.tf", "module \"b\" { source = \"../b\" }\nresource \"aws_s3_bucket\" \"x\" {}\n"),
        ("b/main.tf", "module \"a\" { source = \"../a\" }\n"),
        ("main.tf", "module \"a\" { source = \"./a\" }\n"),
    ]);
    assert!(
        out.diagnostics.iter().any(|d| d.message.contains("module cycle")),
        "{:?}",
        out.diagnostics
    );
}

#[test]
fn unresolved_references_stay_as_text_and_count_zero_drops() {
    let out = run(&[(
        "main.tf",
        "resource \"aws_s3_bucket\" \"b\" {\n  acl = var.acl\n  bucket = \"${data.aws_caller_identity.me.account_id}-logs\"\n}\nresource \"aws_s3_bucket\" \"off\" {\n  count = 0\n}\n",
    )]);
    assert_eq!(out.entities.len(), 1);
    assert_eq!(out.entities[0].attrs.get("acl"), Some(&Value::Str("var.acl".into())));
    let bucket = out.entities[0].attrs.get("bucket").and_then(Value::as_str).unwrap_or_default();
    assert!(bucket.contains("${data.aws_caller_identity.me.account_id}"), "{bucket}");
}

#[test]
fn bad_input_is_a_diagnostic_with_a_position() {
    let deep = format!("locals {{ x = {}1{} }}\n", "[".repeat(500), "]".repeat(500));
    let out = run(&[
        ("broken.tf", "resource \"aws_s3_bucket\" \"b\" {\n  acl = \n}\n"),
        ("deep/main.tf", &deep),
        ("ok/main.tf", "resource \"aws_s3_bucket\" \"fine\" {}\n"),
    ]);
    assert_eq!(out.diagnostics.len(), 2, "{:?}", out.diagnostics);
    assert!(out.diagnostics[0].line.is_some());
    assert!(out.diagnostics.iter().any(|d| d.message.contains("nest")), "{:?}", out.diagnostics);
    assert_eq!(out.entities.len(), 1);
}
