//! Vigil's dependency engine (software composition analysis): lockfiles and
//! manifests become a dependency graph ([`lockfile`]), versions
//! are ordered per ecosystem ([`version`]), and the graph is matched against
//! OSV advisories held offline.

pub mod advisory;
pub mod ecosystem;
pub mod engine;
pub mod graph;
mod jsonl;
pub mod lockfile;
pub mod matcher;
pub mod metadata_cache;
pub mod osv;
pub mod registry;
pub mod risk;
pub mod sbom;
pub mod store;
pub mod version;

#[cfg(test)]
mod test_support;

pub use ecosystem::Ecosystem;
