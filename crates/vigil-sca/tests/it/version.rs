//! Tests of `version` (to be written).
