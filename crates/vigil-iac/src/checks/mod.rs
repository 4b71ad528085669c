//! Rust checks: the policies Checkov's definition language cannot express,
//! one per file, each named by a policy file's `check:` key and run through
//! the same interface (one resource in, an outcome out).

use crate::model::{Entity, Graph};
use crate::solver::Outcome;

mod aws_ebs_block_encryption;
mod aws_sg_descriptions;
mod aws_sg_ingress;
mod aws_sg_ingress_22;
mod aws_sg_ingress_3389;
mod aws_sg_ingress_80;
mod aws_sg_ingress_all;
mod azure_nsg_http;
mod azure_nsg_port;
mod azure_nsg_rdp;
mod azure_nsg_ssh;
mod dockerfile_healthcheck_exists;
mod dockerfile_last_user_root;
mod dockerfile_latest_tag;
mod dockerfile_unique_stage_alias;
mod dockerfile_update_not_alone;
mod dockerfile_user_exists;
mod gcp_firewall_ftp;
mod gcp_firewall_ftp_data;
mod gcp_firewall_http;
mod gcp_firewall_mysql;
mod gcp_firewall_port;
mod gcp_firewall_rdp;
mod gcp_firewall_ssh;
mod gitlab_ci_double_pipelines;
mod k8s_cpu_requests;
mod k8s_memory_requests;
mod k8s_root_containers;
mod k8s_root_containers_high_uid;
mod k8s_seccomp;
mod python_conf;

/// A Rust check: its name and what it says about the resource at an index
/// of the graph (`None`: not applicable, or unknown).
#[derive(Debug, Clone, Copy)]
pub struct Check {
    /// The name policy files use (`check: dockerfile_user_exists`).
    pub name: &'static str,
    /// The check.
    pub run: fn(&Entity, &Graph, usize) -> Option<Outcome>,
}

/// Every Rust check of this build.
pub const CHECKS: &[Check] = &[
    Check { name: "dockerfile_user_exists", run: dockerfile_user_exists::run },
    Check { name: "dockerfile_healthcheck_exists", run: dockerfile_healthcheck_exists::run },
    Check { name: "dockerfile_latest_tag", run: dockerfile_latest_tag::run },
    Check { name: "dockerfile_last_user_root", run: dockerfile_last_user_root::run },
    Check { name: "dockerfile_update_not_alone", run: dockerfile_update_not_alone::run },
    Check { name: "dockerfile_unique_stage_alias", run: dockerfile_unique_stage_alias::run },
    Check { name: "gitlab_ci_double_pipelines", run: gitlab_ci_double_pipelines::run },
    Check { name: "k8s_root_containers", run: k8s_root_containers::run },
    Check { name: "k8s_root_containers_high_uid", run: k8s_root_containers_high_uid::run },
    Check { name: "k8s_seccomp", run: k8s_seccomp::run },
    Check { name: "k8s_cpu_requests", run: k8s_cpu_requests::run },
    Check { name: "k8s_memory_requests", run: k8s_memory_requests::run },
    Check { name: "aws_ebs_block_encryption", run: aws_ebs_block_encryption::run },
    Check { name: "aws_sg_descriptions", run: aws_sg_descriptions::run },
    Check { name: "aws_sg_ingress_22", run: aws_sg_ingress_22::run },
    Check { name: "aws_sg_ingress_3389", run: aws_sg_ingress_3389::run },
    Check { name: "aws_sg_ingress_80", run: aws_sg_ingress_80::run },
    Check { name: "aws_sg_ingress_all", run: aws_sg_ingress_all::run },
    Check { name: "azure_nsg_http", run: azure_nsg_http::run },
    Check { name: "azure_nsg_rdp", run: azure_nsg_rdp::run },
    Check { name: "azure_nsg_ssh", run: azure_nsg_ssh::run },
    Check { name: "gcp_firewall_ftp", run: gcp_firewall_ftp::run },
    Check { name: "gcp_firewall_ftp_data", run: gcp_firewall_ftp_data::run },
    Check { name: "gcp_firewall_http", run: gcp_firewall_http::run },
    Check { name: "gcp_firewall_mysql", run: gcp_firewall_mysql::run },
    Check { name: "gcp_firewall_rdp", run: gcp_firewall_rdp::run },
    Check { name: "gcp_firewall_ssh", run: gcp_firewall_ssh::run },
];

/// The check called `name`.
pub fn lookup(name: &str) -> Option<Check> {
    CHECKS.iter().find(|check| check.name == name).copied()
}

/// The Dockerfile instructions of the file `file` belongs to, in order.
pub(crate) fn instructions<'g>(
    file: &Entity,
    graph: &'g Graph,
) -> impl Iterator<Item = &'g Entity> {
    let group = file.group.clone();
    graph.entities.iter().filter(move |e| {
        e.framework == crate::model::Framework::Dockerfile
            && e.group == group
            && e.kind != crate::frameworks::dockerfile::FILE_KIND
    })
}

pub(crate) fn value_of(entity: &Entity) -> &str {
    entity.attrs.get("value").and_then(crate::value::Value::as_str).unwrap_or_default()
}
