//! The integration tests of `vigil-sca`, one binary: lockfile parsers on
//! real fixtures (`tests/fixtures/<format>/`), version ordering, the
//! advisory store and matching; registry metadata parsers on recorded
//! answers, operational-risk scores and the metadata cache.

mod fixtures;
mod lockfile_js;
mod lockfile_jvm;
mod lockfile_other;
mod lockfile_python;
mod metadata_cache;
mod registry;
mod risk;
mod version;
