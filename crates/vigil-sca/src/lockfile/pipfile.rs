//! The `pipfile` lockfile format (not read yet).

use super::{Input, LockfileError, Parsed};

pub(crate) fn parse(
    lock: Input<'_>,
    companion: Option<Input<'_>>,
) -> Result<Parsed, LockfileError> {
    let _ = (lock, companion);
    super::not_yet("pipfile")
}
