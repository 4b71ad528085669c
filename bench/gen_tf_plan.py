#!/usr/bin/env python3
"""Writes a synthetic Terraform plan JSON (`terraform show -json` shape) of
about SIZE_MB megabytes: AWS, Azure and GCP resources with realistic values,
in planned_values (root and child modules), resource_changes and
configuration, as a real plan has. Deterministic (seeded).

Usage: gen_tf_plan.py OUT.json [SIZE_MB=100]
"""
import json
import random
import sys

random.seed(7)
out_path = sys.argv[1]
target = int(float(sys.argv[2] if len(sys.argv) > 2 else 100) * 1_000_000)


def bucket(i):
    return "aws_s3_bucket", {
        "bucket": f"org-data-{i}", "acl": random.choice(["private", "public-read"]), "force_destroy": False,
        "tags": {"env": random.choice(["prod", "dev"]), "owner": f"team-{i % 40}"},
        "versioning": [{"enabled": random.random() < 0.5, "mfa_delete": False}],
        "logging": [] if i % 3 else [{"target_bucket": "logs", "target_prefix": f"b{i}/"}],
        "server_side_encryption_configuration": [{"rule": [{"apply_server_side_encryption_by_default": [
            {"sse_algorithm": random.choice(["AES256", "aws:kms"]), "kms_master_key_id": ""}]}]}],
    }


def instance(i):
    return "aws_instance", {
        "ami": f"ami-{i:08x}", "instance_type": random.choice(["t3.micro", "m5.large"]),
        "monitoring": random.random() < 0.5, "ebs_optimized": random.random() < 0.5,
        "associate_public_ip_address": random.random() < 0.3,
        "metadata_options": [{"http_endpoint": "enabled", "http_tokens": random.choice(["optional", "required"])}],
        "root_block_device": [{"encrypted": random.random() < 0.7, "volume_size": 50, "volume_type": "gp3"}],
        "user_data": "#!/bin/bash\necho hello\n" * 4,
        "tags": {"Name": f"web-{i}"},
    }


def security_group(i):
    return "aws_security_group", {
        "name": f"sg-{i}", "description": "managed", "vpc_id": f"vpc-{i % 10}",
        "ingress": [{"from_port": p, "to_port": p, "protocol": "tcp", "cidr_blocks": [random.choice(["0.0.0.0/0", "10.0.0.0/8"])],
                     "description": f"port {p}", "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [], "self": False}
                    for p in random.sample([22, 80, 443, 3389, 5432, 8080], 3)],
        "egress": [{"from_port": 0, "to_port": 0, "protocol": "-1", "cidr_blocks": ["0.0.0.0/0"], "description": "",
                    "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [], "self": False}],
    }


def db(i):
    return "aws_db_instance", {
        "identifier": f"db-{i}", "engine": "postgres", "engine_version": "15.4", "instance_class": "db.t3.medium",
        "storage_encrypted": random.random() < 0.8, "publicly_accessible": random.random() < 0.2,
        "backup_retention_period": random.choice([0, 7, 14]), "multi_az": random.random() < 0.5,
        "deletion_protection": random.random() < 0.5, "iam_database_authentication_enabled": False,
        "monitoring_interval": 0, "auto_minor_version_upgrade": True, "copy_tags_to_snapshot": False,
        "enabled_cloudwatch_logs_exports": [], "performance_insights_enabled": False,
    }


def storage(i):
    return "azurerm_storage_account", {
        "name": f"store{i}", "resource_group_name": "rg", "location": "westeurope",
        "account_tier": "Standard", "account_replication_type": "LRS",
        "min_tls_version": random.choice(["TLS1_0", "TLS1_2"]), "enable_https_traffic_only": True,
        "allow_nested_items_to_be_public": random.random() < 0.5, "public_network_access_enabled": True,
        "network_rules": [{"default_action": random.choice(["Allow", "Deny"]), "bypass": ["AzureServices"], "ip_rules": []}],
        "queue_properties": [{"logging": [{"delete": True, "read": True, "write": True, "version": "1.0", "retention_policy_days": 10}]}],
    }


def gcp_instance(i):
    return "google_compute_instance", {
        "name": f"vm-{i}", "machine_type": "e2-medium", "zone": "europe-west1-b", "can_ip_forward": False,
        "metadata": {"enable-oslogin": random.choice(["TRUE", "FALSE"]), "serial-port-enable": "false"},
        "boot_disk": [{"auto_delete": True, "initialize_params": [{"image": "debian-12", "size": 20}]}],
        "network_interface": [{"network": "default", "access_config": [{}] if i % 2 else []}],
        "shielded_instance_config": [{"enable_secure_boot": i % 2 == 0, "enable_integrity_monitoring": True, "enable_vtpm": True}],
        "service_account": [{"email": "default", "scopes": ["cloud-platform"]}],
    }


MAKERS = [bucket, instance, security_group, db, storage, gcp_instance]


def resource(i, module):
    kind, values = MAKERS[i % len(MAKERS)](i)
    address = f"{kind}.r{i}" if not module else f"{module}.{kind}.r{i}"
    return {"address": address, "mode": "managed", "type": kind, "name": f"r{i}",
            "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
            "values": values, "sensitive_values": {}}


def main():
    root, children, changes = [], {}, []
    size, i = 0, 0
    while size < target * 0.55:
        module = None if i % 4 else f"module.m{i % 16}"
        r = resource(i, module)
        (children.setdefault(module, []) if module else root).append(r)
        changes.append({"address": r["address"], "mode": "managed", "type": r["type"], "name": r["name"],
                        "change": {"actions": ["create"], "before": None, "after": r["values"],
                                   "after_unknown": {"id": True, "arn": True}}})
        size += len(json.dumps(r)) * 2
        i += 1
    plan = {
        "format_version": "1.2", "terraform_version": "1.9.5",
        "planned_values": {"root_module": {
            "resources": root,
            "child_modules": [{"address": m, "resources": rs} for m, rs in sorted(children.items())],
        }},
        "resource_changes": changes,
        "configuration": {"root_module": {"resources": [{"address": r["address"], "mode": "managed", "type": r["type"],
                                                         "name": r["name"], "expressions": {}} for r in root]}},
    }
    with open(out_path, "w") as out:
        json.dump(plan, out, indent=2)
    print(f"{out_path}: {i} resources")


main()
