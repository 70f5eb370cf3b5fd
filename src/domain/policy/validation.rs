//! Validating a policy as a caller sent it: every problem is a field
//! violation with its path, so a caller can fix them all at once.

use std::collections::{BTreeMap, BTreeSet};

use super::{judging::TOLERANCE, KpiRule, PolicyRules, Scoring, Target};
use crate::domain::{
    kpi::KpiId,
    violations::{indexed, nested, quoted, FieldViolation, Violations},
};

/// A rule as a caller sent it, before validation.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleInput {
    pub kpi_id: String,
    pub target: Option<Target>,
    pub warning_band: Option<f64>,
    pub weight: f64,
    pub gate: bool,
    pub min_sample_size: i64,
}

/// Validates a policy; every problem is reported with its path below
/// `path` (e.g. `policy.rules[2].target.between.low`).
pub fn validate_policy(
    path: &str,
    inputs: &[RuleInput],
    bonus_threshold: f64,
) -> Result<PolicyRules, Vec<FieldViolation>> {
    let mut violations = Violations::new();
    if inputs.len() > KpiId::ALL.len() {
        violations.add(
            nested(path, "rules"),
            format!(
                "at most {} rules are allowed, one per KPI",
                KpiId::ALL.len()
            ),
        );
        return Err(violations.into_vec());
    }
    let mut rules = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for (index, input) in inputs.iter().enumerate() {
        let rule_path = indexed(&nested(path, "rules"), index);
        let field = |name: &str| nested(&rule_path, name);
        let kpi = match input.kpi_id.parse::<KpiId>() {
            Ok(kpi) => Some(kpi),
            Err(_) => {
                violations.add(
                    field("kpi_id"),
                    format!(
                        "{} is not a KPI of the catalogue (see ListKpis)",
                        quoted(&input.kpi_id)
                    ),
                );
                None
            }
        };
        if let Some(kpi) = kpi {
            if !seen.insert(kpi) {
                violations.add(field("kpi_id"), format!("{kpi} has more than one rule"));
            }
        }
        if !(input.weight.is_finite() && input.weight >= 0.0) {
            violations.add(field("weight"), "weight must be a number >= 0");
        }
        if input.min_sample_size < 0 {
            violations.add(field("min_sample_size"), "min_sample_size must be >= 0");
        }
        let band = input.warning_band.filter(|band| {
            let valid = band.is_finite() && *band >= 0.0;
            if !valid {
                violations.add(field("warning_band"), "warning_band must be a number >= 0");
            }
            valid
        });
        if let (Some(kpi), Some(target)) = (kpi, input.target) {
            let before = violations.len();
            check_target(&mut violations, &field("target"), kpi, target);
            if let (Some(band), true) = (band, violations.len() == before) {
                check_band_leaves_room(&mut violations, &field("warning_band"), kpi, target, band);
            }
        }
        if input.gate && input.target.is_none() {
            violations.add(field("gate"), "a bonus gate needs a target");
        }
        if let Some(kpi) = kpi {
            rules.insert(
                kpi,
                KpiRule {
                    target: input.target,
                    warning_band: input.warning_band,
                    weight: input.weight,
                    gate: input.gate,
                    min_sample_size: input.min_sample_size.max(0) as u64,
                    scoring: Scoring::Binary,
                },
            );
        }
    }
    if !(bonus_threshold.is_finite() && (0.0..=100.0).contains(&bonus_threshold)) {
        violations.add(
            nested(path, "bonus_threshold"),
            "bonus_threshold must be between 0 and 100",
        );
    }
    violations.into_result(PolicyRules {
        rules,
        bonus_threshold,
        bonus_tiers: Vec::new(),
    })
}

pub(super) fn check_target(violations: &mut Violations, path: &str, kpi: KpiId, target: Target) {
    let (lowest, highest) = kpi.definition().possible_range;
    let mut check_bound = |field: String, bound: f64| {
        if !bound.is_finite() || bound < lowest || bound > highest {
            violations.add(
                field,
                format!(
                    "{kpi} takes values from {lowest} to {highest}; {bound} can never be reached"
                ),
            );
        }
    };
    match target {
        Target::AtLeast(bound) => check_bound(nested(path, "at_least"), bound),
        Target::AtMost(bound) => check_bound(nested(path, "at_most"), bound),
        Target::Between { low, high } => {
            check_bound(nested(path, "between.low"), low);
            check_bound(nested(path, "between.high"), high);
            if low > high {
                violations.add(
                    nested(path, "between"),
                    format!("low ({low}) must not exceed high ({high})"),
                );
            }
        }
    }
}

/// A warning band must not swallow the target: some reachable value of the
/// KPI must still be MET (a value exactly `band` from the target is MET).
pub(super) fn check_band_leaves_room(
    violations: &mut Violations,
    path: &str,
    kpi: KpiId,
    target: Target,
    band: f64,
) {
    let (lowest, highest) = kpi.definition().possible_range;
    let (room, what) = match target {
        Target::AtLeast(bound) => (highest - bound, "between the target and the KPI's maximum"),
        Target::AtMost(bound) => (bound - lowest, "between the KPI's minimum and the target"),
        // Inside a range a value is MET only at least `band` from both edges.
        Target::Between { low, high } => {
            ((high - low) / 2.0, "from the range's middle to its edges")
        }
    };
    if band > room + TOLERANCE {
        violations.add(
            path,
            format!(
                "warning_band {band} is wider than the room {what} ({room}): \
                 no value of {kpi} could ever be MET"
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(kpi_id: &str, target: Target, warning_band: f64) -> RuleInput {
        RuleInput {
            kpi_id: kpi_id.into(),
            target: Some(target),
            warning_band: Some(warning_band),
            weight: 1.0,
            gate: false,
            min_sample_size: 1,
        }
    }

    #[test]
    fn a_warning_band_that_leaves_no_value_met_is_refused() {
        let swallowing = [
            // 95 + 6 > 100: no CSAT could be MET.
            input("csat", Target::AtLeast(95.0), 6.0),
            // 2 - 3 < 0.
            input("error_rate", Target::AtMost(2.0), 3.0),
            // A 75-90 range has 7.5 of room from its middle.
            input(
                "occupancy",
                Target::Between {
                    low: 75.0,
                    high: 90.0,
                },
                8.0,
            ),
        ];
        for (index, rule) in swallowing.iter().enumerate() {
            let violations = validate_policy("policy", std::slice::from_ref(rule), 80.0)
                .expect_err("the band swallows the target");
            assert_eq!(violations.len(), 1, "{violations:?}");
            assert_eq!(
                violations[0].field, "policy.rules[0].warning_band",
                "{index}"
            );
        }
        let just_fitting = [
            input("csat", Target::AtLeast(95.0), 5.0),
            input("error_rate", Target::AtMost(2.0), 2.0),
            input(
                "occupancy",
                Target::Between {
                    low: 75.0,
                    high: 90.0,
                },
                7.5,
            ),
            // Durations have no upper bound.
            input("aht", Target::AtLeast(100.0), 1e6),
        ];
        for rule in just_fitting {
            assert!(
                validate_policy("policy", std::slice::from_ref(&rule), 80.0).is_ok(),
                "{rule:?}"
            );
        }
    }

    #[test]
    fn an_unknown_kpi_id_is_quoted_by_a_short_prefix() {
        let rule = RuleInput {
            kpi_id: "x".repeat(5_000),
            ..input("csat", Target::AtLeast(85.0), 0.0)
        };
        let violations = validate_policy("policy", &[rule], 80.0).unwrap_err();
        assert!(violations[0].description.len() < 200, "{violations:?}");
    }

    #[test]
    fn bad_policies_list_every_problem() {
        let input = |kpi_id: &str, target: Option<Target>, weight: f64| RuleInput {
            kpi_id: kpi_id.to_owned(),
            target,
            warning_band: None,
            weight,
            gate: false,
            min_sample_size: 1,
        };
        let inputs = [
            input("cast", Some(Target::AtLeast(85.0)), 1.0),
            input(
                "occupancy",
                Some(Target::Between {
                    low: 90.0,
                    high: 75.0,
                }),
                1.0,
            ),
            input("aht", Some(Target::AtMost(300.0)), -1.0),
            input("csat", Some(Target::AtLeast(120.0)), 1.0),
            input("nps", Some(Target::AtMost(-150.0)), 1.0),
            input("csat", None, 1.0),
        ];
        let violations = validate_policy("policy", &inputs, 150.0).unwrap_err();
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "policy.rules[0].kpi_id",
                "policy.rules[1].target.between",
                "policy.rules[2].weight",
                "policy.rules[3].target.at_least",
                "policy.rules[4].target.at_most",
                "policy.rules[5].kpi_id",
                "policy.bonus_threshold",
            ]
        );
    }
}
