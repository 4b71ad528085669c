//! License categories, the unit a license policy speaks in: Permissive,
//! Weak copyleft, Strong copyleft, Network copyleft, Non-permissive
//! (source-available and proprietary terms) and Unknown.
//!
//! [`KNOWN`] is the data: one entry per license family, each a prefix of
//! SPDX ids (`GPL-` covers `GPL-2.0-only` and `GPL-3.0-or-later`) or one
//! exact id, with its category. An id no entry names falls back on the
//! SPDX list's own flags: copyleft licenses count as strong copyleft, other
//! OSI-approved or FSF-free ones as permissive, anything else as unknown.
//! It must not decide severities: that is [`crate::policy`]'s job.

use serde::{Deserialize, Serialize};

/// What a license asks of those who use the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Use, change and ship freely with a notice (MIT, Apache-2.0, BSD).
    Permissive,
    /// Changes to the licensed files must be shared (LGPL, MPL, EPL).
    WeakCopyleft,
    /// Whatever is built with it must be shared under the same terms (GPL).
    StrongCopyleft,
    /// Strong copyleft that also reaches users over a network (AGPL).
    NetworkCopyleft,
    /// Source-available or proprietary terms (BUSL, SSPL, Elastic,
    /// Commons Clause, "UNLICENSED").
    NonPermissive,
    /// Not a license Vigil can place.
    Unknown,
}

impl Category {
    /// Every category, most permissive first.
    pub const ALL: [Category; 6] = [
        Category::Permissive,
        Category::WeakCopyleft,
        Category::StrongCopyleft,
        Category::NetworkCopyleft,
        Category::NonPermissive,
        Category::Unknown,
    ];

    /// The snake-case name used in `vigil.toml`, reports and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Permissive => "permissive",
            Category::WeakCopyleft => "weak_copyleft",
            Category::StrongCopyleft => "strong_copyleft",
            Category::NetworkCopyleft => "network_copyleft",
            Category::NonPermissive => "non_permissive",
            Category::Unknown => "unknown",
        }
    }

    /// The name in words, for messages.
    pub fn words(self) -> &'static str {
        match self {
            Category::Permissive => "permissive",
            Category::WeakCopyleft => "weak copyleft",
            Category::StrongCopyleft => "strong copyleft",
            Category::NetworkCopyleft => "network copyleft",
            Category::NonPermissive => "non-permissive (source-available or proprietary)",
            Category::Unknown => "unknown",
        }
    }
}

/// How an entry of [`KNOWN`] names licenses.
#[derive(Debug, Clone, Copy)]
pub enum Names {
    /// Every id starting so.
    Prefix(&'static str),
    /// This id alone (compared without case).
    Exact(&'static str),
}

/// One license family and its category.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// The ids it covers.
    pub names: Names,
    /// Their category.
    pub category: Category,
}

const fn prefix(name: &'static str, category: Category) -> Entry {
    Entry { names: Names::Prefix(name), category }
}

const fn exact(name: &'static str, category: Category) -> Entry {
    Entry { names: Names::Exact(name), category }
}

use Category::{NetworkCopyleft, NonPermissive, Permissive, StrongCopyleft, WeakCopyleft};

/// The license families Vigil places itself, checked in order (so `AGPL-`
/// and `LGPL-` come before `GPL-` could match them; it cannot, as prefixes
/// are anchored, but the order keeps the reading easy).
pub static KNOWN: &[Entry] = &[
    // Network copyleft: using the software over a network is distribution.
    prefix("AGPL-", NetworkCopyleft),
    prefix("OSL-", NetworkCopyleft),
    exact("RPL-1.5", NetworkCopyleft),
    // Strong copyleft.
    prefix("GPL-", StrongCopyleft),
    prefix("EUPL-", StrongCopyleft),
    prefix("CC-BY-SA-", StrongCopyleft),
    prefix("Sleepycat", StrongCopyleft),
    // BSD's name, GPL's spirit: changes must be shared.
    exact("BSD-Protection", StrongCopyleft),
    // Weak copyleft: file- or library-level.
    prefix("LGPL-", WeakCopyleft),
    prefix("MPL-", WeakCopyleft),
    prefix("EPL-", WeakCopyleft),
    prefix("CDDL-", WeakCopyleft),
    prefix("CPL-", WeakCopyleft),
    prefix("MS-RL", WeakCopyleft),
    prefix("APSL-", WeakCopyleft),
    // Source-available and proprietary terms.
    exact("BUSL-1.1", NonPermissive),
    exact("SSPL-1.0", NonPermissive),
    exact("Elastic-2.0", NonPermissive),
    prefix("CC-BY-NC", NonPermissive),
    prefix("CC-BY-ND", NonPermissive),
    prefix("PolyForm-", NonPermissive),
    exact("LicenseRef-Commons-Clause", NonPermissive),
    exact("Commons-Clause", NonPermissive),
    exact("LicenseRef-proprietary", NonPermissive),
    exact("LicenseRef-commercial", NonPermissive),
    // npm's word for "not licensed for use by others".
    exact("UNLICENSED", NonPermissive),
    exact("LicenseRef-UNLICENSED", NonPermissive),
    // Permissive.
    prefix("MIT", Permissive),
    prefix("Apache-", Permissive),
    prefix("BSD-", Permissive),
    exact("0BSD", Permissive),
    exact("ISC", Permissive),
    exact("Zlib", Permissive),
    exact("Unlicense", Permissive),
    // The Unlicense with another holder's words (libtelnet, libwhirlpool).
    prefix("Unlicense-", Permissive),
    // SQLite's blessing in place of a legal notice.
    exact("blessing", Permissive),
    exact("CC0-1.0", Permissive),
    exact("BSL-1.0", Permissive),
    exact("PSF-2.0", Permissive),
    prefix("Python-", Permissive),
    prefix("Unicode-", Permissive),
    exact("X11", Permissive),
    exact("WTFPL", Permissive),
    exact("PostgreSQL", Permissive),
    exact("NCSA", Permissive),
    exact("BlueOak-1.0.0", Permissive),
    prefix("CC-BY-", Permissive),
    exact("OpenSSL", Permissive),
    exact("curl", Permissive),
    exact("HPND", Permissive),
    exact("Artistic-2.0", Permissive),
    exact("LicenseRef-public-domain", Permissive),
    // Linux Foundation's data licenses (webpki-roots' Mozilla CA list).
    prefix("CDLA-Permissive-", Permissive),
];

/// The category of one license id (`GPL-3.0-only`, `LicenseRef-foo`).
pub fn of(id: &str) -> Category {
    let id = id.trim().trim_end_matches('+');
    let named = KNOWN.iter().find(|entry| match entry.names {
        Names::Prefix(prefix) => {
            id.len() >= prefix.len()
                && id.is_char_boundary(prefix.len())
                && id[..prefix.len()].eq_ignore_ascii_case(prefix)
        }
        Names::Exact(name) => id.eq_ignore_ascii_case(name),
    });
    if let Some(entry) = named {
        return entry.category;
    }
    match spdx::license_id(id) {
        Some(license) if license.is_copyleft() => Category::StrongCopyleft,
        Some(license) if license.is_osi_approved() || license.is_fsf_free_libre() => {
            Category::Permissive
        }
        _ => Category::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each category with ids that are in it and ids that are not.
    #[test]
    fn every_category_has_members_and_non_members() {
        let cases: &[(Category, &[&str], &[&str])] = &[
            (
                Permissive,
                &[
                    "MIT",
                    "Apache-2.0",
                    "BSD-3-Clause",
                    "ISC",
                    "0BSD",
                    "Zlib",
                    "CDLA-Permissive-2.0",
                    "Unlicense-libtelnet",
                    "blessing",
                ],
                &["GPL-3.0-only", "LGPL-2.1-only"],
            ),
            (
                WeakCopyleft,
                &["LGPL-2.1-or-later", "MPL-2.0", "EPL-2.0", "CDDL-1.0"],
                &["GPL-2.0-only", "MIT"],
            ),
            (
                StrongCopyleft,
                &["GPL-2.0-only", "GPL-3.0-or-later", "GPL-2.0+", "EUPL-1.2"],
                &["LGPL-3.0-only", "AGPL-3.0-only"],
            ),
            (
                NetworkCopyleft,
                &["AGPL-3.0-only", "AGPL-3.0-or-later", "OSL-3.0"],
                &["GPL-3.0-only", "Apache-2.0"],
            ),
            (
                NonPermissive,
                &["BUSL-1.1", "SSPL-1.0", "Elastic-2.0", "UNLICENSED", "CC-BY-NC-4.0"],
                &["Unlicense", "CC-BY-4.0"],
            ),
            (Category::Unknown, &["LicenseRef-my-own", "not a license"], &["MIT"]),
        ];
        for (category, members, others) in cases {
            for id in *members {
                assert_eq!(of(id), *category, "{id}");
            }
            for id in *others {
                assert_ne!(of(id), *category, "{id}");
            }
        }
    }

    #[test]
    fn ids_no_entry_names_fall_back_on_the_spdx_flags() {
        // Copyleft per the SPDX list, named by no entry.
        assert_eq!(of("CECILL-2.1"), StrongCopyleft);
        assert_eq!(of("GFDL-1.3-only"), StrongCopyleft);
        // OSI-approved and FSF-free, named by no entry.
        assert_eq!(of("AFL-3.0"), Permissive);
        assert_eq!(of("LicenseRef-whatever"), Category::Unknown);
    }
}
