//! One parallel walk of a source tree, reading each file once and handing it
//! to every engine that wants it, then merging the results in a deterministic
//! order.
//!
//! The walk honours `.gitignore` (also outside a git repository, since Vigil
//! scans repository archives), `.ignore` and `.vigilignore`; it skips `.git/`,
//! binary files (a NUL byte in the first 8 KiB) and files over the size limit
//! (10 MB by default), and never follows symbolic links, so nothing outside
//! the root is read and link loops cannot occur. Each skip and each error is a
//! [`Diagnostic`] naming the file and the reason; one bad file never stops the
//! scan.
//!
//! **Architecture invariant:** the scanner knows nothing of what engines look
//! for, and engines know nothing of files on disk: [`Engine::scan_file`] gets
//! a path and bytes.
//!
//! ```no_run
//! # fn engines() -> Vec<Box<dyn vigil_core::Engine>> { Vec::new() }
//! use vigil_scanner::{ScanOptions, Scanner};
//! let scanner = Scanner::new(engines(), ScanOptions::default());
//! let output = scanner.scan(std::path::Path::new("."), &Default::default()).unwrap();
//! println!("{} findings in {} files", output.findings.len(), output.stats.files_scanned);
//! ```
#![deny(missing_docs)]

mod history;
mod walk;

pub use walk::{
    Progress, ScanError, ScanOptions, ScanOutput, Scanner, VIGIL_IGNORE_FILE, check_exclude,
    human_bytes,
};
