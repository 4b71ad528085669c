//! The license policy: which licenses are acceptable and how bad the
//! others are. By category ([`crate::category`]): Permissive gives no
//! finding, Weak copyleft medium, Strong and Network copyleft high,
//! Non-permissive high, Unknown medium; allow- and deny-lists by SPDX id
//! and by package override the categories. A repository sets it in
//! `vigil.toml`:
//!
//! ```toml
//! [licenses]
//! allow = ["MPL-2.0"]              # never a finding
//! deny = ["WTFPL"]                 # always high
//! allow_packages = ["left-pad"]    # never a finding, whatever its license
//! deny_packages = ["event-stream"] # always high
//! unknown = "low"                  # a dependency whose license is unknown
//!
//! [licenses.categories]
//! weak_copyleft = "none"           # or a severity: info, low, ... critical
//! ```
//!
//! An expression is judged as SPDX means it: `A OR B` is as good as its
//! better choice, `A AND B` as bad as its worse part. Pure: it knows
//! nothing of files or packages beyond the names it is given.

use std::collections::BTreeMap;

use serde::Deserialize;
use vigil_core::Severity;

use crate::category::{self, Category};

/// `[licenses]` of `vigil.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LicensePolicy {
    /// SPDX ids that never give a finding.
    #[serde(default)]
    pub allow: Vec<String>,
    /// SPDX ids that always give a high finding.
    #[serde(default)]
    pub deny: Vec<String>,
    /// Packages (as their ecosystem names them) never reported.
    #[serde(default)]
    pub allow_packages: Vec<String>,
    /// Packages always reported high.
    #[serde(default)]
    pub deny_packages: Vec<String>,
    /// The severity of a dependency whose license is unknown, or `none`.
    #[serde(default)]
    pub unknown: Option<Level>,
    /// Severities per category (`weak_copyleft = "low"`), or `none`.
    #[serde(default)]
    pub categories: BTreeMap<Category, Level>,
}

/// A severity, or `none` for "no finding".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level(pub Option<Severity>);

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.trim().eq_ignore_ascii_case("none") {
            return Ok(Level(None));
        }
        text.parse::<Severity>()
            .map(|severity| Level(Some(severity)))
            .map_err(|error| serde::de::Error::custom(format!("{error}, or `none`")))
    }
}

/// What the policy says of one license expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    /// The finding's severity; `None` when the expression complies.
    pub severity: Option<Severity>,
    /// The category that decided (the worst part of an `AND`, the best
    /// choice of an `OR`).
    pub category: Category,
    /// Why, in words: "GPL-3.0-only is strong copyleft".
    pub reason: String,
}

impl LicensePolicy {
    /// The default severity of a category.
    pub fn default_severity(category: Category) -> Option<Severity> {
        match category {
            Category::Permissive => None,
            Category::WeakCopyleft | Category::Unknown => Some(Severity::Medium),
            Category::StrongCopyleft | Category::NetworkCopyleft | Category::NonPermissive => {
                Some(Severity::High)
            }
        }
    }

    /// The severity of a category under this policy.
    pub fn severity_of(&self, category: Category) -> Option<Severity> {
        match self.categories.get(&category) {
            Some(level) => level.0,
            None => Self::default_severity(category),
        }
    }

    /// The severity of a dependency whose license nobody recorded.
    pub fn unknown_severity(&self) -> Option<Severity> {
        match self.unknown {
            Some(level) => level.0,
            None => self.severity_of(Category::Unknown),
        }
    }

    /// Judges `expression` (normalised SPDX) of `package` (empty for the
    /// repository's own code).
    pub fn judge(&self, package: &str, expression: &str) -> Judgement {
        let judgement = self.judge_expression(expression);
        let named = |list: &[String]| !package.is_empty() && list.iter().any(|p| p == package);
        if named(&self.allow_packages) {
            return Judgement {
                severity: None,
                reason: format!("{package} is allowed by the policy"),
                ..judgement
            };
        }
        if named(&self.deny_packages) {
            return Judgement {
                severity: Some(Severity::High),
                reason: format!("{package} is denied by the policy"),
                ..judgement
            };
        }
        judgement
    }

    /// Judges an expression by its licenses alone.
    fn judge_expression(&self, expression: &str) -> Judgement {
        let parsed = spdx::Expression::parse_mode(expression, spdx::ParseMode::LAX);
        let Ok(parsed) = parsed else {
            return Judgement {
                severity: self.severity_of(Category::Unknown),
                category: Category::Unknown,
                reason: format!("`{expression}` is not an SPDX expression Vigil can read"),
            };
        };
        // Postfix evaluation: each license is a judgement; AND keeps the
        // worse of two, OR the better.
        let mut stack: Vec<Judgement> = Vec::new();
        for node in parsed.iter() {
            match node {
                spdx::expression::ExprNode::Req(req) => stack.push(self.judge_one(&req.req)),
                spdx::expression::ExprNode::Op(operator) => {
                    let (Some(right), Some(left)) = (stack.pop(), stack.pop()) else {
                        return Judgement {
                            severity: self.severity_of(Category::Unknown),
                            category: Category::Unknown,
                            reason: format!("`{expression}` is not a complete expression"),
                        };
                    };
                    let left_is_worse = rank(left.severity) >= rank(right.severity);
                    stack.push(match operator {
                        spdx::expression::Operator::And if left_is_worse => left,
                        spdx::expression::Operator::And => right,
                        spdx::expression::Operator::Or if left_is_worse => right,
                        spdx::expression::Operator::Or => left,
                    });
                }
            }
        }
        stack.pop().unwrap_or_else(|| Judgement {
            severity: self.severity_of(Category::Unknown),
            category: Category::Unknown,
            reason: "no license in the expression".to_owned(),
        })
    }

    /// One license (with its exception, if any).
    fn judge_one(&self, req: &spdx::LicenseReq) -> Judgement {
        let id = match &req.license {
            spdx::LicenseItem::Spdx { id, .. } => id.name.to_owned(),
            spdx::LicenseItem::Other(reference) => format!("LicenseRef-{}", reference.lic_ref),
        };
        let listed = |list: &[String]| list.iter().any(|entry| entry.eq_ignore_ascii_case(&id));
        let category = category::of(&id);
        if listed(&self.allow) {
            return Judgement {
                severity: None,
                category,
                reason: format!("{id} is allowed by the policy"),
            };
        }
        if listed(&self.deny) {
            return Judgement {
                severity: Some(Severity::High),
                category,
                reason: format!("{id} is denied by the policy"),
            };
        }
        Judgement {
            severity: self.severity_of(category),
            category,
            reason: format!("{id} is {}", category.words()),
        }
    }
}

/// Orders "no finding" below every severity.
fn rank(severity: Option<Severity>) -> u8 {
    severity.map_or(0, |severity| severity as u8 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge(policy: &LicensePolicy, expression: &str) -> (Option<Severity>, Category) {
        let judgement = policy.judge("pkg", expression);
        (judgement.severity, judgement.category)
    }

    #[test]
    fn categories_give_their_default_severities() {
        let policy = LicensePolicy::default();
        assert_eq!(judge(&policy, "MIT"), (None, Category::Permissive));
        assert_eq!(judge(&policy, "MPL-2.0"), (Some(Severity::Medium), Category::WeakCopyleft));
        assert_eq!(
            judge(&policy, "GPL-3.0-only"),
            (Some(Severity::High), Category::StrongCopyleft)
        );
        assert_eq!(
            judge(&policy, "AGPL-3.0-only"),
            (Some(Severity::High), Category::NetworkCopyleft)
        );
        assert_eq!(judge(&policy, "BUSL-1.1"), (Some(Severity::High), Category::NonPermissive));
        assert_eq!(judge(&policy, "LicenseRef-x"), (Some(Severity::Medium), Category::Unknown));
    }

    #[test]
    fn or_takes_the_better_choice_and_and_the_worse_part() {
        let policy = LicensePolicy::default();
        assert_eq!(judge(&policy, "MIT OR GPL-3.0-only"), (None, Category::Permissive));
        assert_eq!(
            judge(&policy, "MIT AND GPL-3.0-only"),
            (Some(Severity::High), Category::StrongCopyleft)
        );
        assert_eq!(
            judge(&policy, "(MIT OR GPL-3.0-only) AND MPL-2.0"),
            (Some(Severity::Medium), Category::WeakCopyleft)
        );
        assert_eq!(
            judge(&policy, "GPL-2.0-or-later WITH Classpath-exception-2.0"),
            (Some(Severity::High), Category::StrongCopyleft)
        );
        let why = policy.judge("pkg", "MIT AND GPL-3.0-only").reason;
        assert_eq!(why, "GPL-3.0-only is strong copyleft");
    }

    #[test]
    fn lists_and_settings_override_the_categories() {
        let policy: LicensePolicy = toml::from_str(
            r#"
            allow = ["GPL-3.0-only"]
            deny = ["MIT"]
            allow_packages = ["trusted"]
            deny_packages = ["evil"]
            unknown = "none"
            [categories]
            weak_copyleft = "none"
            permissive = "info"
            "#,
        )
        .unwrap();
        assert_eq!(judge(&policy, "GPL-3.0-only").0, None);
        assert_eq!(judge(&policy, "MIT").0, Some(Severity::High));
        assert_eq!(judge(&policy, "MPL-2.0").0, None);
        assert_eq!(judge(&policy, "ISC").0, Some(Severity::Info));
        assert_eq!(policy.judge("trusted", "AGPL-3.0-only").severity, None);
        assert_eq!(policy.judge("evil", "MIT").severity, Some(Severity::High));
        assert_eq!(policy.unknown_severity(), None);
    }

    #[test]
    fn bad_settings_and_bad_expressions_are_named() {
        let error = toml::from_str::<LicensePolicy>("unknown = \"severe\"").unwrap_err();
        assert!(error.to_string().contains("unknown severity `severe`"), "{error}");
        let error = toml::from_str::<LicensePolicy>("alow = []").unwrap_err();
        assert!(error.to_string().contains("unknown field `alow`"), "{error}");
        let error = toml::from_str::<LicensePolicy>("[categories]\nstrong = \"low\"").unwrap_err();
        assert!(error.to_string().contains("strong"), "{error}");
        let judgement = LicensePolicy::default().judge("pkg", "MIT AND AND");
        assert_eq!(judgement.category, Category::Unknown);
        assert!(judgement.reason.contains("not an SPDX expression"), "{}", judgement.reason);
    }
}
