//! The integration tests of `vigil-license`, one binary: detection on
//! real license texts (the `spdx` crate's, and /usr/share/common-licenses
//! where present), a hand-written DEP-5 file, notices, dual licensing,
//! SPDX headers and hostile input.

mod detect;
mod hostile;
