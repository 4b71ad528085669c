//! Tests of `lockfile_jvm` (to be written).
