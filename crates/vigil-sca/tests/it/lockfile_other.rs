//! Tests of `lockfile_other` (to be written).
