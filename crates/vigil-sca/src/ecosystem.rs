//! The package ecosystems Vigil reads, with their OSV and purl names.

use serde::{Deserialize, Serialize};

/// A package ecosystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Ecosystem {
    /// Rust crates (crates.io).
    CratesIo,
    /// npm (npm, yarn, pnpm).
    Npm,
    /// Python (PyPI).
    PyPI,
    /// Go modules.
    Go,
    /// Maven / Gradle.
    Maven,
    /// NuGet (.NET).
    NuGet,
    /// Composer (Packagist).
    Packagist,
    /// Ruby gems.
    RubyGems,
    /// Erlang / Elixir (Hex).
    Hex,
    /// Dart / Flutter (pub.dev).
    Pub,
    /// Swift Package Manager, identified by repository URL.
    SwiftURL,
    /// C / C++ (Conan).
    ConanCenter,
}

impl Ecosystem {
    /// Every ecosystem.
    pub const ALL: [Ecosystem; 12] = [
        Ecosystem::CratesIo,
        Ecosystem::Npm,
        Ecosystem::PyPI,
        Ecosystem::Go,
        Ecosystem::Maven,
        Ecosystem::NuGet,
        Ecosystem::Packagist,
        Ecosystem::RubyGems,
        Ecosystem::Hex,
        Ecosystem::Pub,
        Ecosystem::SwiftURL,
        Ecosystem::ConanCenter,
    ];

    /// The name OSV uses in `affected[].package.ecosystem`.
    pub fn osv_name(self) -> &'static str {
        match self {
            Ecosystem::CratesIo => "crates.io",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "PyPI",
            Ecosystem::Go => "Go",
            Ecosystem::Maven => "Maven",
            Ecosystem::NuGet => "NuGet",
            Ecosystem::Packagist => "Packagist",
            Ecosystem::RubyGems => "RubyGems",
            Ecosystem::Hex => "Hex",
            Ecosystem::Pub => "Pub",
            Ecosystem::SwiftURL => "SwiftURL",
            Ecosystem::ConanCenter => "ConanCenter",
        }
    }

    /// The ecosystem OSV calls `name`; a suffix such as `Debian:12` is not
    /// one of these.
    pub fn from_osv(name: &str) -> Option<Ecosystem> {
        Ecosystem::ALL.into_iter().find(|ecosystem| ecosystem.osv_name() == name)
    }

    /// The purl type (`pkg:<type>/...`).
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::CratesIo => "cargo",
            Ecosystem::Npm => "npm",
            Ecosystem::PyPI => "pypi",
            Ecosystem::Go => "golang",
            Ecosystem::Maven => "maven",
            Ecosystem::NuGet => "nuget",
            Ecosystem::Packagist => "composer",
            Ecosystem::RubyGems => "gem",
            Ecosystem::Hex => "hex",
            Ecosystem::Pub => "pub",
            Ecosystem::SwiftURL => "swift",
            Ecosystem::ConanCenter => "conan",
        }
    }

    /// The name as advisories spell it: PyPI names are normalised (PEP 503:
    /// lower case, runs of `-`, `_`, `.` become `-`); other ecosystems
    /// compare names as written.
    pub fn normalise_name(self, name: &str) -> String {
        match self {
            Ecosystem::PyPI => {
                let mut out = String::with_capacity(name.len());
                let mut dash = false;
                for c in name.chars() {
                    if matches!(c, '-' | '_' | '.') {
                        dash = true;
                    } else {
                        if dash && !out.is_empty() {
                            out.push('-');
                        }
                        dash = false;
                        out.push(c.to_ascii_lowercase());
                    }
                }
                out
            }
            _ => name.to_owned(),
        }
    }
}

impl std::fmt::Display for Ecosystem {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.osv_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osv_names_round_trip() {
        for ecosystem in Ecosystem::ALL {
            assert_eq!(Ecosystem::from_osv(ecosystem.osv_name()), Some(ecosystem));
        }
        assert_eq!(Ecosystem::from_osv("Debian:12"), None);
    }

    #[test]
    fn pypi_names_are_normalised() {
        assert_eq!(
            Ecosystem::PyPI.normalise_name("Django_REST.framework"),
            "django-rest-framework"
        );
        assert_eq!(Ecosystem::PyPI.normalise_name("zope..interface"), "zope-interface");
        assert_eq!(Ecosystem::Npm.normalise_name("@Scope/Pkg"), "@Scope/Pkg");
    }
}
