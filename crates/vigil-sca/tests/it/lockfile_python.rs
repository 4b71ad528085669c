//! Tests of `lockfile_python` (to be written).
