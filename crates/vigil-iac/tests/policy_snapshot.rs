//! A snapshot of what the full engine reports on every built-in policy's
//! fixtures (`ID tpN`/`fpN`: findings as `rule@address:line`), so a change
//! in any policy or parser shows up in review. Regenerate with
//! `INSTA_UPDATE=always cargo test -p vigil-iac --test policy_snapshot`
//! and review the diff.

use std::collections::BTreeMap;

use vigil_iac::IacEngine;
use vigil_rulekit::{RuleCase, Sample};

#[test]
fn snapshot_of_every_policy_on_its_fixtures() {
    let policies = match vigil_iac::policy::builtin() {
        Ok(policies) => policies,
        Err(error) => panic!("a built-in policy does not load: {error}"),
    };
    let mut by_id: BTreeMap<String, RuleCase> = BTreeMap::new();
    for policy in &policies {
        let case = by_id.entry(policy.rule.id.clone()).or_insert_with(|| RuleCase {
            rule: policy.rule.clone(),
            origin: policy.origin.clone(),
            true_samples: Vec::new(),
            false_samples: Vec::new(),
        });
        case.true_samples
            .extend(policy.fail.iter().map(|f| Sample::new(f.path.clone(), f.text.clone())));
        case.false_samples
            .extend(policy.pass.iter().map(|f| Sample::new(f.path.clone(), f.text.clone())));
    }
    let cases: Vec<RuleCase> = by_id.into_values().collect();
    let full = IacEngine::new(policies);
    let table = vigil_rulekit::snapshot(&cases, &full, |finding| {
        let address = finding.resource.as_ref().map_or("", |r| r.address.as_str());
        format!("{}@{address}:{}", finding.rule_id, finding.location.start_line)
    });
    insta::assert_snapshot!("policy_fixtures", table);
}
