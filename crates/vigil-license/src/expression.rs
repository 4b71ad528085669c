//! SPDX license expressions: parsing in the `spdx` crate's lax mode and
//! normalising to current SPDX ids. Deprecated GNU ids become `-only` /
//! `-or-later` (`GPL-2.0` → `GPL-2.0-only`, `GPL-2.0+` →
//! `GPL-2.0-or-later`), `WITH` exceptions are kept, unknown ids become
//! `LicenseRef-<slug>`; each rewrite leaves a note. A malformed expression is
//! an [`Error`] value, never a panic. This module knows nothing of files.

use spdx::lexer::{Lexer, Token};
use spdx::{Expression, ParseMode};

/// An expression rewritten to current SPDX ids, with a note per rewrite.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Normalized {
    /// The normalised expression, e.g. `GPL-2.0-or-later OR MIT`.
    pub expression: String,
    /// What was rewritten and why, e.g. "deprecated `GPL-2.0` written as `GPL-2.0-only`".
    pub notes: Vec<String>,
}

/// Why an expression could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Nothing but whitespace.
    #[error("empty license expression")]
    Empty,
    /// Unbalanced parentheses, a dangling operator, and the like.
    #[error("malformed license expression `{expression}`: {reason}")]
    Malformed {
        /// The expression as given.
        expression: String,
        /// The parser's reason.
        reason: String,
    },
}

/// The lax mode of the `spdx` crate, also accepting unknown ids (which this
/// module turns into `LicenseRef-`).
const MODE: ParseMode = ParseMode { allow_unknown: true, ..ParseMode::LAX };

/// Parses `text` as an SPDX expression and normalises it.
///
/// ```
/// let normalized = vigil_license::expression::normalize("GPL-2.0+ OR MIT/Apache-2.0").unwrap();
/// assert_eq!(normalized.expression, "GPL-2.0-or-later OR MIT OR Apache-2.0");
/// ```
pub fn normalize(text: &str) -> Result<Normalized, Error> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(Error::Empty);
    }
    let malformed = |reason: String| Error::Malformed { expression: trimmed.to_owned(), reason };
    let mut tokens = Vec::new();
    for token in Lexer::new_mode(trimmed, MODE) {
        tokens.push(token.map_err(|error| malformed(error.reason.to_string()))?.token);
    }
    let mut out = String::new();
    let mut notes = Vec::new();
    let mut index = 0;
    while let Some(token) = tokens.get(index) {
        let or_later = matches!(tokens.get(index + 1), Some(Token::Plus));
        let piece = match token {
            Token::Spdx(id) => {
                if or_later {
                    index += 1;
                }
                license_id(id.name, or_later, &mut notes)
            }
            Token::LicenseRef { doc_ref: Some(doc), lic_ref } => {
                format!("DocumentRef-{doc}:LicenseRef-{lic_ref}")
            }
            Token::LicenseRef { doc_ref: None, lic_ref } => format!("LicenseRef-{lic_ref}"),
            Token::Exception(id) => id.name.to_owned(),
            Token::AdditionRef { doc_ref: Some(doc), add_ref } => {
                format!("DocumentRef-{doc}:AdditionRef-{add_ref}")
            }
            Token::AdditionRef { doc_ref: None, add_ref } => format!("AdditionRef-{add_ref}"),
            Token::Unknown(name) => {
                let after_with = index > 0 && matches!(tokens.get(index - 1), Some(Token::With));
                let (prefix, what) = if after_with {
                    ("AdditionRef-", "exception")
                } else {
                    ("LicenseRef-", "license")
                };
                let reference = format!("{prefix}{}", slug(name));
                notes.push(format!("unknown {what} id `{name}` written as `{reference}`"));
                reference
            }
            Token::Plus => return Err(malformed("`+` without a license before it".to_owned())),
            Token::OpenParen => "(".to_owned(),
            Token::CloseParen => ")".to_owned(),
            Token::With => "WITH".to_owned(),
            Token::And => "AND".to_owned(),
            Token::Or => "OR".to_owned(),
        };
        let glue = !(out.is_empty() || out.ends_with('(') || piece == ")");
        if glue {
            out.push(' ');
        }
        out.push_str(&piece);
        index += 1;
    }
    // The rewritten text must be a valid expression in the strict sense
    // (LicenseRef- allowed): this catches dangling operators and parentheses.
    let strict = ParseMode { allow_postfix_plus_on_gpl: true, ..ParseMode::STRICT };
    Expression::parse_mode(&out, strict).map_err(|error| malformed(error.reason.to_string()))?;
    Ok(Normalized { expression: out, notes })
}

/// The current id for an SPDX id, and a note when it was rewritten.
fn license_id(name: &str, or_later: bool, notes: &mut Vec<String>) -> String {
    let written = if or_later { format!("{name}+") } else { name.to_owned() };
    let current = current_id(name, or_later);
    if current != written {
        notes.push(format!("deprecated `{written}` written as `{current}`"));
    }
    current
}

fn current_id(name: &str, or_later: bool) -> String {
    const WITH_EXCEPTION: &[(&str, &str)] = &[
        ("GPL-2.0-with-autoconf-exception", "GPL-2.0-only WITH Autoconf-exception-2.0"),
        ("GPL-2.0-with-bison-exception", "GPL-2.0-or-later WITH Bison-exception-2.2"),
        ("GPL-2.0-with-classpath-exception", "GPL-2.0-only WITH Classpath-exception-2.0"),
        ("GPL-2.0-with-font-exception", "GPL-2.0-only WITH Font-exception-2.0"),
        ("GPL-2.0-with-GCC-exception", "GPL-2.0-only WITH GCC-exception-2.0"),
        ("GPL-3.0-with-autoconf-exception", "GPL-3.0-only WITH Autoconf-exception-3.0"),
        ("GPL-3.0-with-GCC-exception", "GPL-3.0-only WITH GCC-exception-3.1"),
    ];
    if let Some((_, current)) = WITH_EXCEPTION.iter().find(|(old, _)| *old == name) {
        return (*current).to_owned();
    }
    let (base, plus) = match name.strip_suffix('+') {
        Some(base) => (base, true),
        None => (name, or_later),
    };
    if let Some(base) = base.strip_suffix("-only").or_else(|| base.strip_suffix("-or-later")) {
        let suffix = if plus || name.ends_with("-or-later") { "-or-later" } else { "-only" };
        return format!("{base}{suffix}");
    }
    if is_gnu_versioned(base) {
        return format!("{base}{}", if plus { "-or-later" } else { "-only" });
    }
    if plus { format!("{base}+") } else { base.to_owned() }
}

/// GNU licenses whose current ids carry `-only` / `-or-later`.
fn is_gnu_versioned(base: &str) -> bool {
    ["GPL-", "LGPL-", "AGPL-", "GFDL-"].iter().any(|prefix| {
        base.strip_prefix(prefix)
            .is_some_and(|version| version.chars().all(|c| c.is_ascii_digit() || c == '.'))
    })
}

/// A `LicenseRef-` suffix made of the characters SPDX allows there.
pub(crate) fn slug(name: &str) -> String {
    let mut out = String::new();
    for ch in name.chars() {
        if ch.is_ascii_alphanumeric() || ch == '.' {
            out.push(ch);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let trimmed = out.trim_end_matches('-');
    if trimmed.is_empty() { "unknown".to_owned() } else { trimmed.to_owned() }
}

#[cfg(test)]
mod tests;
