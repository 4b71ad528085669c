//! The integration tests of `vigil-sca`, one binary: lockfile parsers on
//! real fixtures (`tests/fixtures/<format>/`), version ordering, the
//! advisory store and matching.

mod fixtures;
mod lockfile_js;
mod lockfile_jvm;
mod lockfile_other;
mod lockfile_python;
mod version;
