//! The integration tests of `vigil-license`, one binary: detection on
//! real license texts (the `spdx` crate's, and /usr/share/common-licenses
//! where present), a hand-written DEP-5 file, notices, dual licensing,
//! SPDX headers and hostile input.

// Test helpers outside #[test] functions may panic: a panic is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod detect;
mod engine;
mod hostile;
