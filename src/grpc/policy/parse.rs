//! PolicyService messages -> domain values: a new policy version (every
//! problem a field violation below `policy`) and policy dates.

use chrono::NaiveDate;

use super::super::{
    fields::{FieldParser, MAX_ID_LEN},
    graded_plans::{bonus_tier_inputs_from_pb, scoring_input_from_pb},
    kpi_results::rule_input_from_pb,
    pb,
    period::date_in_calendar,
};
use crate::{
    domain::{
        policy::{validate_graded_plan, validate_policy, NewPolicyVersion, RuleInput},
        violations::Violations,
    },
    error::ServiceError,
};

/// A policy date: `YYYY-MM-DD` within the supported calendar, so that it is
/// stored and compared as a real date on every backend.
pub(super) fn parse_date(
    field: &str,
    text: &str,
    violations: &mut Violations,
) -> Option<NaiveDate> {
    match date_in_calendar(field, text) {
        Ok(date) => Some(date),
        Err(description) => {
            violations.add(field, description);
            None
        }
    }
}

/// Parses and validates a new policy version, to be stored as created by
/// `created_by`: every problem is a field violation below `policy`.
pub(crate) fn parse_new_policy_version(
    request: &pb::CreatePolicyVersionRequest,
    created_by: &str,
) -> Result<NewPolicyVersion, ServiceError> {
    let policy = request
        .policy
        .as_ref()
        .ok_or_else(|| ServiceError::invalid_field("policy", "policy is required"))?;
    let mut violations = Violations::new();
    let team_id = FieldParser::new("policy", &mut violations).optional_id(
        "team_id",
        &policy.team_id,
        MAX_ID_LEN,
    );
    let effective_from = parse_date(
        "policy.effective_from",
        &policy.effective_from,
        &mut violations,
    );
    let inputs: Vec<RuleInput> = policy.rules.iter().map(rule_input_from_pb).collect();
    for (index, rule) in policy.rules.iter().enumerate() {
        if rule
            .target
            .as_ref()
            .is_some_and(|target| target.bound.is_none())
        {
            violations.add(
                format!("policy.rules[{index}].target"),
                "a target needs at_least, at_most or between",
            );
        }
    }
    // Graded plans: each rule's scoring and the bonus tiers, checked
    // beside the rest so that every problem is reported at once.
    let scorings: Vec<_> = policy.rules.iter().map(scoring_input_from_pb).collect();
    let tiers = bonus_tier_inputs_from_pb(&policy.bonus_tiers);
    let graded = validate_graded_plan("policy", &inputs, &scorings, &tiers);
    let rules = match (
        validate_policy("policy", &inputs, policy.bonus_threshold),
        graded,
    ) {
        (Ok(mut rules), Ok(graded)) => {
            graded.apply(&mut rules);
            Some(rules)
        }
        (rules, graded) => {
            violations.extend(rules.err().unwrap_or_default());
            violations.extend(graded.err().unwrap_or_default());
            None
        }
    };
    let (Some(effective_from), Some(rules)) = (effective_from, rules) else {
        return Err(ServiceError::invalid_fields(violations.into_vec()));
    };
    violations
        .into_result(NewPolicyVersion {
            team_id,
            effective_from,
            rules,
            created_by: created_by.to_owned(),
        })
        .map_err(ServiceError::invalid_fields)
}
