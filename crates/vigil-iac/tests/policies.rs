//! Every built-in policy through the rule kit: the catalogue is sound, ids
//! follow the scheme derived from Checkov's (`policies/README.md`), each
//! policy's failing fixtures are found by it alone exactly once and by the
//! full engine, and its passing fixtures by neither.

use std::collections::BTreeMap;

use vigil_iac::{IacEngine, Policy};
use vigil_rulekit::{RuleCase, Sample};

fn policies() -> Vec<Policy> {
    match vigil_iac::policy::builtin() {
        Ok(policies) => policies,
        Err(error) => panic!("a built-in policy does not load: {error}"),
    }
}

/// One case per rule id (a Terraform and a CloudFormation file may share one).
fn cases(policies: &[Policy]) -> Vec<RuleCase> {
    let mut by_id: BTreeMap<String, RuleCase> = BTreeMap::new();
    for policy in policies {
        let samples = |fixtures: &[vigil_iac::policy::Fixture]| -> Vec<Sample> {
            fixtures.iter().map(|f| Sample::new(f.path.clone(), f.text.clone())).collect()
        };
        let case = by_id.entry(policy.rule.id.clone()).or_insert_with(|| RuleCase {
            rule: policy.rule.clone(),
            origin: policy.origin.clone(),
            true_samples: Vec::new(),
            false_samples: Vec::new(),
        });
        case.true_samples.extend(samples(&policy.fail));
        case.false_samples.extend(samples(&policy.pass));
    }
    by_id.into_values().collect()
}

#[test]
fn the_policy_catalogue_is_sound() {
    let policies = policies();
    vigil_rulekit::assert_none(
        "catalogue problems",
        &vigil_rulekit::check_catalogue(&cases(&policies), "IAC", &[]),
    );
}

#[test]
fn policies_sharing_an_id_share_their_metadata_and_every_policy_has_both_fixtures() {
    let policies = policies();
    let mut failures = Vec::new();
    let mut first: BTreeMap<&str, &Policy> = BTreeMap::new();
    for policy in &policies {
        if policy.fail.is_empty() || policy.pass.is_empty() {
            failures.push(format!("{}: needs tests.fail and tests.pass", policy.origin));
        }
        if let Some(earlier) = first.insert(&policy.rule.id, policy) {
            if earlier.rule != policy.rule || earlier.checkov_id != policy.checkov_id {
                failures.push(format!(
                    "{} and {} share id {} but not their metadata",
                    earlier.origin, policy.origin, policy.rule.id
                ));
            }
        }
    }
    vigil_rulekit::assert_none("fixture problems", &failures);
}

/// `CKV_AWS_16` → `IAC1016`, as `policies/README.md` lays out.
fn expected_id(checkov: &str) -> Option<String> {
    let (prefix, number) = checkov.rsplit_once('_')?;
    let number: u32 = number.parse().ok()?;
    let base = match prefix {
        "CKV_AWS" => 1000,
        "CKV2_AWS" => 1500,
        "CKV_AZURE" => 2000,
        "CKV2_AZURE" => 2500,
        "CKV_GCP" => 3000,
        "CKV2_GCP" => 3500,
        "CKV_K8S" => 4000,
        "CKV2_K8S" => 4500,
        "CKV_DOCKER" => 5000,
        "CKV2_DOCKER" => 5500,
        "CKV_GITLABCI" => 6000,
        "CKV2_GITLABCI" => 6500,
        "CKV_ALI" => 7000,
        "CKV_OCI" => 8000,
        _ => return None,
    };
    (number < 500).then(|| format!("IAC{}", base + number))
}

#[test]
fn ids_follow_the_checkov_scheme() {
    let mut failures = Vec::new();
    for policy in policies() {
        match &policy.checkov_id {
            Some(checkov) => {
                if expected_id(checkov).as_deref() != Some(policy.rule.id.as_str()) {
                    failures.push(format!(
                        "{}: {} should be {:?} for {checkov}",
                        policy.origin,
                        policy.rule.id,
                        expected_id(checkov)
                    ));
                }
            }
            None => {
                let number: u32 = policy.rule.id.trim_start_matches("IAC").parse().unwrap_or(0);
                if !(9000..9500).contains(&number) {
                    failures.push(format!("{}: Vigil-only ids are IAC9000-IAC9499", policy.origin));
                }
            }
        }
        let file = policy.origin.rsplit('/').next().unwrap_or_default();
        if file != format!("{}.yaml", policy.rule.id) {
            failures.push(format!(
                "{}: the file is named after its id ({}.yaml)",
                policy.origin, policy.rule.id
            ));
        }
    }
    vigil_rulekit::assert_none("id problems", &failures);
}

#[test]
fn every_policy_fails_its_failing_fixtures_alone_and_in_the_full_engine_and_passes_the_rest() {
    let policies = policies();
    let full = IacEngine::new(policies.clone());
    let failures = vigil_rulekit::check_samples(&cases(&policies), &full, |case| {
        let mine: Vec<Policy> =
            policies.iter().filter(|p| p.rule.id == case.rule.id).cloned().collect();
        Box::new(IacEngine::new(mine))
    });
    vigil_rulekit::assert_none("fixture failures", &failures);
}
