//! The one scan pipeline: everything between "here is a tree" and "here are
//! its findings and the policy that judges them", shared by `vigil scan`
//! and every scan the server runs (onboarding, push, merge request,
//! periodic), so the same tree gives the same findings and the same verdict
//! everywhere.
//!
//! - [`registry::ENGINES`] is the one list of engines. The CLI, the
//!   server's jobs, `vigil rules`, the issue page's rule lookup and the
//!   generated rule catalogue all read it; adding an engine is one crate
//!   plus one entry there.
//! - [`RepoFiles`] are the repository's own configuration files
//!   (`vigil.toml`, `.vigilignore-secrets` and each engine's files, such as
//!   `.gitleaks.toml`), read from the scanned directory or fetched by the
//!   server next to the files of a merge request.
//! - [`Plan::build`] resolves them with the caller's [`Overrides`] (the
//!   CLI's flags) and the server-wide default policy into engines, walk
//!   options, rule settings and a [`Policy`](vigil_core::Policy). Problems
//!   in the repository's files are [`Diagnostic`](vigil_core::Diagnostic)s
//!   naming the file, line and column: the CLI stops on them, the server
//!   scans on with the defaults and shows them on the scan and in the MR.
//! - [`Plan::scan`] walks a tree (or its git history) once for all engines,
//!   then applies severity overrides, accepted fingerprints and the
//!   repository's baseline (`.vigil-baseline.json`).
//!
//! **Architecture invariant:** no network, database or environment; files
//! are read only under the root handed in, each with a size limit.
//!
//! ```no_run
//! use vigil_pipeline::{Inputs, Overrides, Plan, RepoFiles};
//! let root = std::path::Path::new(".");
//! let (files, _unreadable) = RepoFiles::read_dir(root);
//! let plan = Plan::build(&Inputs { files: &files, overrides: &Overrides::default(), default_policy: None })
//!     .unwrap();
//! let run = plan.scan(root, &Default::default()).unwrap();
//! println!("{} findings, policy fails: {}", run.findings.len(), plan.policy.evaluate(&run.findings).failed());
//! ```
#![deny(missing_docs)]

mod config;
mod files;
mod plan;
pub mod registry;
mod verdict;

pub use config::{BASELINE_FILE, CONFIG_FILE, SECRETS_IGNORE_FILE, parse_fail_on, parse_size};
pub use files::{
    IAC_POLICY_PREFIX, MAX_CONFIG_FILE_BYTES, MAX_POLICY_FILES, RepoFile, RepoFiles,
    iac_policy_dir, read_config_file,
};
pub use plan::{Inputs, Overrides, Plan, PlanError, ScanRun};
pub use verdict::Verdict;
