//! Vigil's IaC engine: Terraform (HCL and plan JSON), CloudFormation,
//! Kubernetes, Dockerfile and GitLab CI files parsed into one resource model
//! ([`model::Entity`]), checked by policies written in Checkov's YAML policy
//! language (built-in ones under `policies/`, a user's own unchanged) and by
//! Rust checks for what that language cannot say.
//!
//! **Architecture invariant:** like every engine, no I/O: files come in
//! through [`vigil_core::Engine`]; a user's policy directory is read by the
//! caller and handed to [`policy::parse`].
//!
//! **Architecture invariant:** the policy language keeps Checkov's semantics,
//! quirks included (`docs/iac-plan.md`), so a Checkov policy gives the same
//! result in Vigil; a value that depends on something unresolved is unknown
//! and never reported.
#![deny(missing_docs)]

pub mod checks;
pub mod definition;
mod engine;
pub mod frameworks;
pub mod jsonpath;
pub mod model;
pub mod policy;
pub mod skips;
pub mod solver;
pub mod value;
pub mod yaml;

pub use engine::{IacEngine, MAX_YAML_BYTES};
pub use policy::{Origin, Policy, PolicyError};
