//! Maven versions, ordered as Maven 3.8's
//! `org.apache.maven.artifact.versioning.ComparableVersion` orders them
//! (the algorithm, re-written; checked against `maven-artifact` 3.8.7):
//! items split at `.`, `-` and digit/letter transitions, a `-` or a
//! transition opening a sub-list; qualifiers `alpha` < `beta` <
//! `milestone` < `rc` = `cr` < `snapshot` < `` = `final` = `ga` =
//! `release` < `sp` < any other word (by text); `a1`/`b1`/`m1` shorthands;
//! trailing nulls trimmed (`1.0` == `1`). Owns nothing else.
//!
//! Every sub-list is the last item of its parent, so a version is one flat
//! list of atoms where [`Atom::Sub`] means "the rest is a sub-list": one
//! allocation per version, and comparison is a loop, not recursion.
//! Only ASCII digits are digits (Java also takes other Unicode digits).
//!
//! Maven's order is not transitive: `1.0.alpha.1` < `1` < `1.sp.1` <
//! `1.0.alpha.1` (checked with 3.8.7), and Rust's sorts may panic on an
//! order that is not total. So Vigil compares atom by atom, each with a
//! fixed weight ([`Key`]: the atom, and how deep in sub-lists it starts),
//! and a missing atom weighs as the release qualifier. This agrees with
//! Maven on every pair of the Java-checked table in `tests.rs` and differs
//! only where Maven contradicts itself: zeros before a pre-release word in
//! the same list are dropped (Maven weighs `0` as a number against a word
//! but looks past it against a missing item; Vigil keeps `1.0.alpha.1` <
//! `1` and gives up `1.0.alpha.1` > `1.sp.1`), a `0` before any other word
//! weighs as a number even against a missing item, and a sub-list
//! starting with a word against a bare word compares the words first
//! (Maven puts the sub-list above any word: `1.0-0.alpha` > `1-sp` for
//! Maven, `<` for Vigil).

use std::cmp::{Ordering, Reverse};
use std::fmt;

use super::VersionError;

pub(super) const SCHEME: &str = "Maven";

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
/// The index of the release qualifier (``, `ga`, `final`, `release`).
const RELEASE: u8 = 5;

#[derive(Debug, Clone)]
enum Atom {
    Number(u64),
    /// A number beyond `u64`: its digits, without leading zeros.
    Big(Box<str>),
    /// A known qualifier: its index in [`QUALIFIERS`].
    Qualifier(u8),
    /// Any other word, in lower case.
    Other(Box<str>),
    /// The rest of the list is a sub-list, the last item of this one.
    Sub,
}

impl Atom {
    fn is_null(&self) -> bool {
        matches!(self, Atom::Number(0) | Atom::Qualifier(RELEASE))
    }
}

/// A Maven version: atoms, normalised as Maven normalises its item lists.
#[derive(Debug, Clone)]
pub(super) struct MavenVersion {
    atoms: Vec<Atom>,
}

impl MavenVersion {
    pub(super) fn parse(text: &str) -> Result<MavenVersion, VersionError> {
        let body = text.trim();
        if body.is_empty() {
            return Err(VersionError::new(text, SCHEME, "empty"));
        }
        let slice = |start: usize, end: usize| body.get(start..end).unwrap_or_default();
        let mut atoms = Vec::with_capacity(8);
        // Items in the current (innermost) list, for Java's `list.isEmpty()`.
        let mut current = 0usize;
        let mut digits = false;
        let mut start = 0usize;
        for (index, character) in body.char_indices() {
            if character == '.' || character == '-' {
                atoms.push(if index == start {
                    Atom::Number(0)
                } else {
                    item(digits, slice(start, index), false)
                });
                start = index + 1;
                current += 1;
                if character == '-' {
                    atoms.push(Atom::Sub);
                    current = 0;
                }
            } else if character.is_ascii_digit() {
                if !digits && index > start {
                    // `1.0.0.X1` < `1.0.0-X2`: `.X` is read as `-X`.
                    if current > 0 {
                        atoms.push(Atom::Sub);
                    }
                    atoms.push(item(false, slice(start, index), true));
                    atoms.push(Atom::Sub);
                    current = 0;
                    start = index;
                }
                digits = true;
            } else {
                if digits && index > start {
                    atoms.push(item(true, slice(start, index), false));
                    atoms.push(Atom::Sub);
                    current = 0;
                    start = index;
                }
                digits = false;
            }
        }
        if body.len() > start {
            if !digits && current > 0 {
                atoms.push(Atom::Sub);
            }
            atoms.push(item(digits, slice(start, body.len()), false));
        }
        normalize(&mut atoms);
        drop_zeros_before_prerelease_words(&mut atoms);
        Ok(MavenVersion { atoms })
    }

    /// A qualifier below release: `alpha`, `beta`, `milestone`, `rc`,
    /// `snapshot` (not `sp`, nor words such as `jre` or `android`).
    pub(super) fn is_prerelease(&self) -> bool {
        self.atoms.iter().any(|atom| matches!(atom, Atom::Qualifier(index) if *index < RELEASE))
    }

    pub(super) fn major(&self) -> Option<u64> {
        match self.atoms.first() {
            Some(Atom::Number(number)) => Some(*number),
            None => Some(0),
            Some(_) => None,
        }
    }
}

fn item(digits: bool, text: &str, followed_by_digit: bool) -> Atom {
    if digits {
        let stripped = text.trim_start_matches('0');
        if stripped.is_empty() {
            return Atom::Number(0);
        }
        return match stripped.parse() {
            Ok(number) => Atom::Number(number),
            Err(_) => Atom::Big(stripped.into()),
        };
    }
    let lower = text.to_lowercase();
    let name = match lower.as_str() {
        "a" if followed_by_digit => "alpha",
        "b" if followed_by_digit => "beta",
        "m" if followed_by_digit => "milestone",
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        other => other,
    };
    match QUALIFIERS.iter().position(|qualifier| *qualifier == name) {
        Some(index) => Atom::Qualifier(u8::try_from(index).unwrap_or(RELEASE)),
        None => Atom::Other(lower.into_boxed_str()),
    }
}

/// Maven's `ListItem.normalize`, innermost list first: trailing null items
/// (`0`, ``, an empty sub-list) are removed, looking past a sub-list that
/// is not empty.
fn normalize(atoms: &mut Vec<Atom>) {
    let mut end = atoms.len();
    // Whether the list being normalised still has its sub-list.
    let mut has_sub = false;
    loop {
        let start = atoms
            .get(..end)
            .and_then(|list| list.iter().rposition(|atom| matches!(atom, Atom::Sub)))
            .map_or(0, |marker| marker + 1);
        let mut keep = end;
        while keep > start && atoms.get(keep - 1).is_some_and(Atom::is_null) {
            keep -= 1;
        }
        atoms.drain(keep..end);
        if start == 0 {
            return;
        }
        if keep == start && !has_sub {
            // Empty: removed from its parent, which then has no sub-list.
            atoms.remove(start - 1);
            has_sub = false;
        } else {
            has_sub = true;
        }
        end = start - 1;
    }
}

/// Vigil, not Maven: zeros just before a pre-release word in the same list
/// go (`1.0.0.alpha.1` reads as `1.alpha.1`), so that with fixed weights
/// it still sorts below `1` as Maven has it. The edge of Maven's cycle
/// given up instead is `1.0.0.alpha.1` > `1.sp.1`.
fn drop_zeros_before_prerelease_words(atoms: &mut Vec<Atom>) {
    let mut before_word = false;
    let mut index = atoms.len();
    while index > 0 {
        index -= 1;
        match atoms.get(index) {
            Some(Atom::Number(0)) if before_word => {
                atoms.remove(index);
            }
            Some(Atom::Number(0)) => {}
            Some(Atom::Qualifier(rank)) if *rank < RELEASE => before_word = true,
            _ => before_word = false,
        }
    }
}

/// What one atom weighs at its position, given how many sub-lists open
/// just before it (its depth). Variant order is Maven's item order: words
/// (qualifiers, and a missing item, which weighs as the release qualifier)
/// < numbers. A number inside a deeper sub-list weighs less (Maven: a list
/// sorts below a number); a word inside a deeper sub-list weighs just above
/// the same word (Maven: a list sorts above any word; Vigil compares the
/// words first, see the module doc).
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Key<'a> {
    Word { rank: Rank<'a>, depth: usize },
    Number { depth: Reverse<usize>, magnitude: Magnitude<'a> },
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Rank<'a> {
    Known(u8),
    Other(&'a str),
}

/// Numbers compare by value: a `u64`, or (digit count, digits) beyond.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Magnitude<'a> {
    Small(u64),
    Big(usize, &'a str),
}

const MISSING: Key<'static> = Key::Word { rank: Rank::Known(RELEASE), depth: 0 };

/// The keys of a version's atoms in order, each run of `Sub` folded into
/// the atom after it as its depth.
fn keys(atoms: &[Atom]) -> impl Iterator<Item = Key<'_>> {
    let mut depth = 0;
    atoms.iter().filter_map(move |atom| {
        let magnitude = match atom {
            Atom::Sub => {
                depth += 1;
                return None;
            }
            Atom::Qualifier(index) => {
                let depth = std::mem::take(&mut depth);
                return Some(Key::Word { rank: Rank::Known(*index), depth });
            }
            Atom::Other(word) => {
                let depth = std::mem::take(&mut depth);
                return Some(Key::Word { rank: Rank::Other(word), depth });
            }
            Atom::Number(number) => Magnitude::Small(*number),
            Atom::Big(digits) => Magnitude::Big(digits.len(), digits),
        };
        Some(Key::Number { depth: Reverse(std::mem::take(&mut depth)), magnitude })
    })
}

impl Ord for MavenVersion {
    fn cmp(&self, other: &MavenVersion) -> Ordering {
        let mut left = keys(&self.atoms);
        let mut right = keys(&other.atoms);
        loop {
            let order = match (left.next(), right.next()) {
                (None, None) => return Ordering::Equal,
                (Some(a), None) => a.cmp(&MISSING),
                (None, Some(b)) => MISSING.cmp(&b),
                (Some(a), Some(b)) => a.cmp(&b),
            };
            if order != Ordering::Equal {
                return order;
            }
        }
    }
}

impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &MavenVersion) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for MavenVersion {
    fn eq(&self, other: &MavenVersion) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for MavenVersion {}

/// Maven's canonical form (`ComparableVersion.getCanonical`): `1-rc-1`
/// for `1.0.RC1`.
impl fmt::Display for MavenVersion {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Whether the current list has written anything yet.
        let mut written = false;
        for atom in &self.atoms {
            let text: std::borrow::Cow<'_, str> = match atom {
                Atom::Sub => {
                    if written {
                        formatter.write_str("-")?;
                    }
                    written = false;
                    continue;
                }
                Atom::Number(number) => number.to_string().into(),
                Atom::Big(digits) | Atom::Other(digits) => (&**digits).into(),
                Atom::Qualifier(index) => {
                    QUALIFIERS.get(usize::from(*index)).copied().unwrap_or_default().into()
                }
            };
            if written {
                formatter.write_str(".")?;
            }
            formatter.write_str(&text)?;
            written |= !text.is_empty();
        }
        Ok(())
    }
}
