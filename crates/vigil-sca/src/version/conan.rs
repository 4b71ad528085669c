//! Conan versions (Conan 2's `conans.model.version.Version`): an optional
//! build after the last `+`, then an optional pre-release after the first
//! `-`, each part a `.`-separated list of items compared item by item with
//! trailing zeros dropped (`1.0` == `1`); a pre-release sorts before the
//! release with the same items; builds order versions that are otherwise
//! equal. Owns nothing else.
//!
//! One deliberate difference: Conan compares a number item with a text
//! item as text (`"10" < "9a"`), which is not transitive (`10 > 9`,
//! `9 > "5x"`, `"5x" > 10`), and sorting needs a total order. Vigil splits
//! an item into its leading number and the rest, and compares those:
//! `1.1.1k` < `1.1.2` < `1.1.10` as with Conan, but also `1.1.1k` <
//! `1.1.10`, where Conan says greater.

use std::fmt;

use super::VersionError;

pub(super) const SCHEME: &str = "Conan";

/// One `.`-separated item. Items that start with a number sort before
/// those that do not, as digits sort before letters in Conan's text order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Item {
    /// A leading number and the rest (`1k` is `(1, "k")`, `7` is `(7, "")`).
    Number(u64, Box<str>),
    /// An item that does not start with a digit (`cci`, `rc1`).
    Text(Box<str>),
}

/// A Conan version. Field order is comparison order: `released` puts a
/// pre-release before the release with the same items.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct ConanVersion {
    items: Vec<Item>,
    released: bool,
    pre: Option<Vec<Item>>,
    build: Option<Vec<Item>>,
}

impl ConanVersion {
    pub(super) fn parse(text: &str) -> Result<ConanVersion, VersionError> {
        let fail = |reason: String| VersionError::new(text, SCHEME, reason);
        let body = text.trim();
        if body.is_empty() {
            return Err(fail("empty".into()));
        }
        if let Some(bad) = body.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(fail(format!("contains {bad:?}")));
        }
        let (rest, build) = match body.rsplit_once('+') {
            Some((rest, build)) => (rest, Some(build)),
            None => (body, None),
        };
        let (main, pre) = match rest.split_once('-') {
            Some((main, pre)) => (main, Some(pre)),
            None => (rest, None),
        };
        let items = parse_items(main).map_err(&fail)?;
        let pre = pre.map(parse_items).transpose().map_err(&fail)?;
        let build = build.map(parse_items).transpose().map_err(&fail)?;
        Ok(ConanVersion { items, released: pre.is_none(), pre, build })
    }

    pub(super) fn is_prerelease(&self) -> bool {
        self.pre.is_some()
    }

    pub(super) fn major(&self) -> Option<u64> {
        match self.items.first() {
            Some(Item::Number(number, _)) => Some(*number),
            Some(Item::Text(_)) => None,
            None => Some(0),
        }
    }
}

/// The items of one part, trailing zeros dropped.
fn parse_items(part: &str) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    for item in part.split('.') {
        let digits = item.bytes().take_while(u8::is_ascii_digit).count();
        let (number, rest) = item.split_at(digits);
        items.push(if number.is_empty() {
            Item::Text(item.into())
        } else {
            let number = number.parse().map_err(|_| format!("`{number}` is too large a number"))?;
            Item::Number(number, rest.into())
        });
    }
    while matches!(items.last(), Some(Item::Number(0, rest)) if rest.is_empty()) {
        items.pop();
    }
    Ok(items)
}

fn write_items(formatter: &mut fmt::Formatter<'_>, items: &[Item]) -> fmt::Result {
    if items.is_empty() {
        return formatter.write_str("0");
    }
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            formatter.write_str(".")?;
        }
        match item {
            Item::Number(number, rest) => write!(formatter, "{number}{rest}")?,
            Item::Text(text) => formatter.write_str(text)?,
        }
    }
    Ok(())
}

impl fmt::Display for ConanVersion {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_items(formatter, &self.items)?;
        if let Some(pre) = &self.pre {
            formatter.write_str("-")?;
            write_items(formatter, pre)?;
        }
        if let Some(build) = &self.build {
            formatter.write_str("+")?;
            write_items(formatter, build)?;
        }
        Ok(())
    }
}
