//! The server-wide default policy: what fails a scan (and so a merge
//! request's `vigil` status) in repositories whose `vigil.toml` sets no
//! `[policy]`. An administrator sets it through the API or the Settings
//! page; it is stored as the same words a `vigil.toml` uses, so what an
//! admin types and what a repository writes mean the same thing.

use serde::{Deserialize, Serialize};
use vigil_core::{Policy, SoftFail};
use vigil_store::{Queue, Setting, Store};

/// The settings row that holds it.
const SETTING: &str = "default_policy";

/// The default policy as written: `vigil.toml`'s `[policy]` words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicySetting {
    /// Findings at or above this severity fail: `critical`, `high`,
    /// `medium`, `low`, `info`, or `never`.
    pub fail_on: String,
    /// Findings these cover never fail: severities (that severity and
    /// below), finding kinds, or rule ids.
    #[serde(default)]
    pub soft_fail_on: Vec<String>,
}

/// The default policy with where it comes from. (Its fields are spelled
/// out rather than flattened: the request type refuses unknown keys, and
/// a flattened schema would say this answer may hold no others.)
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DefaultPolicy {
    /// Findings at or above this severity fail, or `never`.
    pub fail_on: String,
    /// Findings these cover never fail.
    pub soft_fail_on: Vec<String>,
    /// False while no administrator has set it (the built-in default).
    pub configured: bool,
    /// When it was last set, ms since the epoch.
    pub updated_at: Option<i64>,
    /// Who set it.
    pub updated_by: Option<String>,
}

impl PolicySetting {
    /// Vigil's built-in default: every finding of severity low or higher fails.
    pub fn builtin() -> PolicySetting {
        PolicySetting { fail_on: "low".into(), soft_fail_on: Vec::new() }
    }

    /// The policy these words describe, or what is wrong with them.
    pub fn parse(&self) -> Result<Policy, String> {
        let fail_on = vigil_pipeline::parse_fail_on(&self.fail_on)
            .map_err(|message| format!("fail_on: {message}"))?;
        let soft_fail_on = self
            .soft_fail_on
            .iter()
            .map(|text| SoftFail::parse(text).map_err(|error| format!("soft_fail_on: {error}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Policy { fail_on, soft_fail_on })
    }
}

/// The stored policy's words and its row; the built-in words and no row
/// while no administrator has set it.
async fn stored(store: &Store) -> Result<(PolicySetting, Option<Setting>), String> {
    let Some(setting) = store.setting(SETTING).await.map_err(|error| error.to_string())? else {
        return Ok((PolicySetting::builtin(), None));
    };
    let policy = serde_json::from_str(&setting.value)
        .map_err(|error| format!("the stored default policy is unreadable: {error}"))?;
    Ok((policy, Some(setting)))
}

/// The stored default policy, or the built-in one, with who set it.
pub async fn load(store: &Store) -> Result<DefaultPolicy, String> {
    let (policy, setting) = stored(store).await?;
    Ok(DefaultPolicy {
        fail_on: policy.fail_on,
        soft_fail_on: policy.soft_fail_on,
        configured: setting.is_some(),
        updated_at: setting.as_ref().map(|setting| setting.updated_at),
        updated_by: setting.and_then(|setting| setting.updated_by),
    })
}

/// The default policy scans apply: the stored one, parsed.
pub async fn current(store: &Store) -> Result<Policy, String> {
    let (policy, _) = stored(store).await?;
    policy.parse().map_err(|error| format!("the default policy: {error}"))
}

/// Validates and stores a new default policy.
pub async fn save(store: &Store, setting: &PolicySetting, by: &str) -> Result<(), SaveError> {
    setting.parse().map_err(SaveError::Invalid)?;
    let value =
        serde_json::to_string(setting).map_err(|error| SaveError::Store(error.to_string()))?;
    store
        .set_setting(SETTING, &value, Some(by), Queue::now_ms())
        .await
        .map_err(|error| SaveError::Store(error.to_string()))
}

/// Why a default policy was not saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The words do not describe a policy.
    #[error("{0}")]
    Invalid(String),
    /// The database refused.
    #[error("{0}")]
    Store(String),
}
