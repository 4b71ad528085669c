//! The one resource model every framework's parser produces: an [`Entity`]
//! per Terraform block, CloudFormation resource, Kubernetes object,
//! Dockerfile instruction or GitLab CI job, with its attributes, line range,
//! the checks skipped on it, and the references between entities that
//! connection policies follow.

use std::collections::HashMap;

use crate::value::Value;

/// The IaC frameworks Vigil parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Framework {
    /// Terraform HCL (`*.tf`, `*.tfvars`).
    Terraform,
    /// Terraform plan JSON (`terraform show -json`).
    TerraformPlan,
    /// CloudFormation and SAM templates, JSON or YAML.
    CloudFormation,
    /// Kubernetes manifests.
    Kubernetes,
    /// Dockerfiles.
    Dockerfile,
    /// `.gitlab-ci.yml` and its local includes.
    GitlabCi,
}

impl Framework {
    /// Every framework.
    pub const ALL: [Framework; 6] = [
        Framework::Terraform,
        Framework::TerraformPlan,
        Framework::CloudFormation,
        Framework::Kubernetes,
        Framework::Dockerfile,
        Framework::GitlabCi,
    ];

    /// The name used in findings, policy directories and filters.
    pub fn as_str(self) -> &'static str {
        match self {
            Framework::Terraform => "terraform",
            Framework::TerraformPlan => "terraform_plan",
            Framework::CloudFormation => "cloudformation",
            Framework::Kubernetes => "kubernetes",
            Framework::Dockerfile => "dockerfile",
            Framework::GitlabCi => "gitlab_ci",
        }
    }

    /// The framework called `name`.
    pub fn parse(name: &str) -> Option<Framework> {
        Framework::ALL.into_iter().find(|framework| framework.as_str() == name)
    }

    /// Whether policies written for `policy` apply to resources of `self`
    /// (Terraform policies also run on plan resources).
    pub fn runs(self, policy: Framework) -> bool {
        self == policy || (self == Framework::TerraformPlan && policy == Framework::Terraform)
    }
}

/// A check suppressed on a resource, with the reason given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    /// The policy id as written (`CKV_AWS_20` or a Vigil id).
    pub id: String,
    /// The reason, or empty.
    pub reason: String,
}

/// One resource.
#[derive(Debug, Clone)]
pub struct Entity {
    /// Its framework.
    pub framework: Framework,
    /// Its type: `aws_s3_bucket`, `AWS::S3::Bucket`, `Deployment`, `RUN`, `job`.
    pub kind: String,
    /// Its address: `aws_s3_bucket.data`, `Deployment.default.web`, `Dockerfile.RUN`.
    pub address: String,
    /// The file it is in, relative to the scan root.
    pub path: String,
    /// First line (1-based).
    pub start_line: u32,
    /// Last line.
    pub end_line: u32,
    /// Its attributes (a [`Value::Map`]).
    pub attrs: Value,
    /// The line of each attribute, by `.`-joined path with list indexes.
    pub lines: HashMap<String, u32>,
    /// Checks suppressed on it.
    pub skips: Vec<Skip>,
    /// Whether single-item lists are unwrapped when flattened (Terraform).
    pub unwrap_single: bool,
    /// Which module or directory it belongs to, for connections: entities
    /// connect only within one group.
    pub group: String,
}

impl Entity {
    /// The line of the attribute at the flattened `key`, or of its nearest
    /// parent that has one.
    pub fn line_of(&self, key: &str) -> Option<u32> {
        let mut candidate = key.to_owned();
        loop {
            if let Some(line) = self.lines.get(&candidate) {
                return Some(*line);
            }
            match candidate.rfind('.') {
                Some(cut) => candidate.truncate(cut),
                None => return None,
            }
        }
    }
}

/// The entities of a scan and the references between them.
#[derive(Debug, Default)]
pub struct Graph {
    /// Every entity.
    pub entities: Vec<Entity>,
    /// References between entities (by index), either direction.
    pub edges: Vec<(usize, usize)>,
}
