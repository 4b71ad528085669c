//! Vigil's license engine: which licenses a repository's own files carry.
//! Pure: bytes go in, SPDX expressions and the evidence for them come out,
//! with no network, environment or database.
//!
//! - [`is_license_file`]: names that hold license terms (`LICENSE-MIT`,
//!   `COPYING.LIB`, `NOTICE`, `debian/copyright`, ...).
//! - [`Detector`]: built once (it prepares an n-gram index of every SPDX
//!   license and exception text plus hand-written notice rules), then
//!   [`Detector::detect`] turns one file's bytes into a [`FileLicense`]: one
//!   [`Detection`] per matched region (full text, notice, `SPDX-License-Identifier:`
//!   line, DEP-5 `License:` field), and the expression joining them with
//!   `AND` (an explicit "dual licensed under X or Y" gives `X OR Y`).
//! - [`manifest`]: licenses declared in Cargo.toml, package.json,
//!   pyproject.toml, setup.cfg, *.gemspec, composer.json and pom.xml.
//! - [`expression`]: parsing and normalising SPDX expressions.
//! - [`category`]: each license's category (permissive, weak, strong or
//!   network copyleft, non-permissive, unknown); [`policy`]: the severity
//!   a repository gives each category, and allow- and deny-lists;
//!   [`engine`]: the scan pipeline's `licenses` engine judging every
//!   package a lockfile pins and the license files of vendored code.
//!
//! Texts not on the SPDX list get `LicenseRef-<slug>` ids: the slug is the
//! name as written (`LicenseRef-public-domain`, a Debian short name such as
//! `LicenseRef-permissive`), not ScanCode's `LicenseRef-scancode-*` keys;
//! the few full texts the SPDX list lacks carry their historical name
//! (`LicenseRef-xfree86-1.0`, the X11 text naming "the authors").
//! At most [`MAX_BYTES`] of a file are examined; binary content (NUL or
//! control bytes) yields no detection and a note, invalid UTF-8 is decoded
//! lossily. Nothing here panics on any input.
//!
//! ```
//! use vigil_license::Detector;
//!
//! let detector = Detector::shared();
//! let notice = b"Licensed under the Apache License, Version 2.0 (the \"License\");\n\
//!     you may not use this file except in compliance with the License.";
//! let found = detector.detect(notice);
//! assert_eq!(found.expression.as_deref(), Some("Apache-2.0"));
//! assert!(vigil_license::is_license_file(std::path::Path::new("LICENSE-MIT")));
//! ```

#![deny(missing_docs)]

pub mod category;
mod dep5;
mod detect;
pub mod engine;
pub mod expression;
mod index;
pub mod manifest;
pub mod policy;
mod rules;
mod text;
mod vendored;

use std::path::Path;

pub use detect::{Detection, DetectionKind, Detector, FileLicense};

/// Bytes of a file examined at most (1 MiB); the rest is ignored and a note
/// says so. License texts are far shorter (GPL-3.0 is 35 KiB).
pub const MAX_BYTES: usize = 1 << 20;

/// Whether a path names a file that holds license terms: LICENSE, LICENCE,
/// COPYING, COPYRIGHT, NOTICE, UNLICENSE and PATENTS in any case, alone or
/// with a suffix (`LICENSE-MIT`, `LICENSE.txt`, `COPYING.LIB`,
/// `license.md`), and `debian/copyright`.
pub fn is_license_file(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|name| name.to_str()) else { return false };
    let lower = name.to_ascii_lowercase();
    // `license.rs`, `copyright.py`: code about licenses, not terms.
    const CODE: &[&str] = &[
        "rs", "py", "js", "mjs", "cjs", "ts", "tsx", "jsx", "go", "java", "kt", "scala", "swift",
        "c", "h", "cc", "cpp", "hpp", "rb", "php", "cs", "sh", "bash", "ps1", "pl", "pm", "lua",
        "ex", "exs", "erl", "hs", "sql", "snap",
    ];
    if lower.rsplit_once('.').is_some_and(|(_, extension)| CODE.contains(&extension)) {
        return false;
    }
    const STEMS: &[&str] =
        &["license", "licence", "copying", "copyright", "notice", "unlicense", "patents"];
    STEMS.iter().any(|stem| {
        lower.strip_prefix(stem).is_some_and(|rest| {
            rest.is_empty()
                || rest.starts_with(['.', '-', '_'])
                || rest.starts_with("s.")
                || rest == "s"
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(path: &str, expected: bool) {
        assert_eq!(is_license_file(Path::new(path)), expected, "{path}");
    }

    #[test]
    fn license_file_names() {
        for yes in [
            "LICENSE",
            "LICENCE",
            "license.md",
            "LICENSE-MIT",
            "LICENSE.txt",
            "COPYING",
            "COPYING.LIB",
            "NOTICE",
            "UNLICENSE",
            "debian/copyright",
            "licenses",
            "LICENSE_APACHE",
            "/usr/share/doc/zlib1g/copyright",
        ] {
            check(yes, true);
        }
        for no in ["README.md", "src/license.rs", "licensed.txt", "main.rs", "noticeable.txt"] {
            check(no, false);
        }
    }
}
