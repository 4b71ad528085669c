//! Helpers the unit tests share: paths into `../shared` beside the
//! repository (advisory snapshots, sample lockfiles, JSON schemas).

use std::path::PathBuf;

/// `rel` under the shared directory (`schemas/...`, `data/...`).
pub(crate) fn shared(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared").join(rel)
}

/// `rel` under the shared advisory data (`rustsec`, `pypa`, `ghsa-sample`,
/// `samples/<lockfile>/...`).
pub(crate) fn advisory_data(rel: &str) -> PathBuf {
    shared("data/advisories").join(rel)
}

/// The text of `rel` under the shared advisory data; panics naming the
/// file when it cannot be read.
pub(crate) fn read_advisory_data(rel: &str) -> String {
    let path = advisory_data(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
