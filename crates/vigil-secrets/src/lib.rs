//! Vigil's secrets engine: finds exposed credentials (API keys, tokens,
//! passwords, private keys) in file contents.
//!
//! Rules are data: `rules/*.toml`, one `[[rules]]` entry per rule, each with a
//! regex whose capture group is the secret, the keywords that must appear for
//! the regex to be worth running, an optional entropy threshold, path filters,
//! an allowlist, and true- and false-positive samples (see
//! `docs/rules/secrets.md`). Matching works in three steps per file:
//!
//! 1. one Aho-Corasick pass over all rules' keywords (ASCII case-insensitive)
//!    selects the candidate rules;
//! 2. each candidate's regex (compiled once, `regex` crate only, so no
//!    catastrophic backtracking) runs over the file;
//! 3. each match is checked against the entropy threshold, the rule's and the
//!    global allowlists (documented dummy values, placeholders, template
//!    variables) and inline ignore markers (`vigil:ignore`, `gitleaks:allow`,
//!    `pragma: allowlist secret`) on its line.
//!
//! **Architecture invariant:** the secret value never leaves this crate:
//! findings carry a masked preview (first four characters and the length) and
//! a SHA-256 ([`vigil_core::mask_secret`]).
//!
//! ```
//! use vigil_core::{Engine, FileOutput, SourceFile};
//! let engine = vigil_secrets::SecretsEngine::builtin().unwrap();
//! let mut output = FileOutput::default();
//! let content = b"token = \"ghp_qQuHOtnUnwiedLRNSFNSzDf4IX6pmARK7vPU\"\n";
//! engine.scan_file(SourceFile { path: "ci.env", content }, &mut output);
//! assert_eq!(output.findings.len(), 1);
//! assert_eq!(output.findings[0].evidence.secret.as_ref().unwrap().preview, "ghp_…(40 chars)");
//! ```
#![deny(missing_docs)]

mod allowlist;
mod engine;
mod entropy;
mod gitleaks;
mod rules;

/// Rule ids that no longer exist, with why; an id is never reused (the rule
/// kit and `cargo xtask codegen` check it).
pub const RETIRED_RULES: &[(&str, &str)] = &[];

pub use engine::SecretsEngine;
pub use entropy::shannon_entropy;
pub use gitleaks::{GitleaksConfig, GitleaksError, import_gitleaks};
pub use rules::{RuleAllowlist, RuleError, RuleSpec, builtin_specs};
