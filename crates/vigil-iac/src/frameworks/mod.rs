//! The parsers, one module per framework, each producing [`crate::model::Entity`]s.
pub mod cloudformation;
pub mod dockerfile;
pub mod gitlab_ci;
pub mod kubernetes;
pub mod plan;
pub mod terraform;
