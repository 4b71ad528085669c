//! Tests of `lockfile_js` (to be written).
