//! Target policies and how a KPI value is judged: status, margin to target,
//! the composite score and bonus eligibility (spec: "Scorecard and bonus
//! semantics").

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};

use super::{
    kpi::{KpiId, KpiValue},
    violations::{indexed, nested, quoted, FieldViolation, Violations},
};

/// Tolerance for comparisons at exact boundaries, so floating-point noise
/// never flips a status (a value 1e-12 under its target meets it).
const TOLERANCE: f64 = 1e-9;

/// A KPI target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    AtLeast(f64),
    AtMost(f64),
    /// Met inside `[low, high]`, breached on either side.
    Between {
        low: f64,
        high: f64,
    },
}

impl Target {
    /// Signed distance of `value` to the target on its good side: positive
    /// when met, negative when missed (by that much).
    pub fn margin(&self, value: f64) -> f64 {
        match *self {
            Target::AtLeast(bound) => value - bound,
            Target::AtMost(bound) => bound - value,
            Target::Between { low, high } => (value - low).min(high - value),
        }
    }
}

/// How one KPI is judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KpiRule {
    pub target: Option<Target>,
    /// A met value within this distance of the target is AT_RISK.
    pub warning_band: Option<f64>,
    pub weight: f64,
    pub gate: bool,
    pub min_sample_size: u64,
}

/// A policy's content: rules per KPI and the bonus threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyRules {
    /// KPIs without a rule have no target.
    pub rules: BTreeMap<KpiId, KpiRule>,
    /// Minimum composite score for a bonus, 0-100.
    pub bonus_threshold: f64,
}

/// The bonus threshold when no policy sets one. The spec names none; 80 is
/// the product's choice, documented in the proto.
pub const DEFAULT_BONUS_THRESHOLD: f64 = 80.0;

impl PolicyRules {
    /// The catalogue's defaults: each KPI with a default target, weight 1,
    /// minimum sample 1, its default gate flag, no warning band.
    pub fn catalogue_defaults() -> Self {
        let rules = KpiId::ALL
            .into_iter()
            .filter_map(|kpi| {
                let definition = kpi.definition();
                let target = definition.default_target?;
                Some((
                    kpi,
                    KpiRule {
                        target: Some(target),
                        warning_band: None,
                        weight: 1.0,
                        gate: definition.default_gate,
                        min_sample_size: 1,
                    },
                ))
            })
            .collect();
        Self {
            rules,
            bonus_threshold: DEFAULT_BONUS_THRESHOLD,
        }
    }
}

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
    })
}

fn check_target(violations: &mut Violations, path: &str, kpi: KpiId, target: Target) {
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
fn check_band_leaves_room(
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

/// A KPI's status in a scorecard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KpiStatus {
    Met,
    AtRisk,
    Breached,
    InsufficientData,
    NoTarget,
}

impl KpiStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KpiStatus::Met => "MET",
            KpiStatus::AtRisk => "AT_RISK",
            KpiStatus::Breached => "BREACHED",
            KpiStatus::InsufficientData => "INSUFFICIENT_DATA",
            KpiStatus::NoTarget => "NO_TARGET",
        }
    }

    /// MET or AT_RISK: the target is met.
    pub fn meets_target(self) -> bool {
        matches!(self, KpiStatus::Met | KpiStatus::AtRisk)
    }

    /// Judged against a target with enough data.
    pub fn is_judged(self) -> bool {
        matches!(
            self,
            KpiStatus::Met | KpiStatus::AtRisk | KpiStatus::Breached
        )
    }
}

/// The judgement of one KPI.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assessment {
    pub kpi: KpiId,
    pub status: KpiStatus,
    /// Signed distance to the target (see [`Target::margin`]); `None` when
    /// not judged.
    pub margin: Option<f64>,
    /// The rule applied, if the policy has one for the KPI.
    pub rule: Option<KpiRule>,
}

/// Judges one KPI value by its rule.
pub fn assess(rule: Option<&KpiRule>, value: &KpiValue) -> Assessment {
    let unjudged = |status| Assessment {
        kpi: value.kpi,
        status,
        margin: None,
        rule: rule.copied(),
    };
    let Some(target) = rule.and_then(|rule| rule.target) else {
        return unjudged(KpiStatus::NoTarget);
    };
    let min_sample_size = rule.map_or(0, |rule| rule.min_sample_size);
    let Some(observed) = value.value else {
        return unjudged(KpiStatus::InsufficientData);
    };
    if !value.kpi.is_count() && value.sample_size < min_sample_size {
        return unjudged(KpiStatus::InsufficientData);
    }
    let margin = target.margin(observed);
    let band = rule.and_then(|rule| rule.warning_band).unwrap_or(0.0);
    let status = if margin < -TOLERANCE {
        KpiStatus::Breached
    } else if band > 0.0 && margin < band - TOLERANCE {
        KpiStatus::AtRisk
    } else {
        KpiStatus::Met
    };
    Assessment {
        kpi: value.kpi,
        status,
        margin: Some(margin),
        rule: rule.copied(),
    }
}

/// The judgement of a whole scorecard.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// One per value, in the values' order.
    pub assessments: Vec<Assessment>,
    /// 0-100; `None` when no weighted KPI was judged.
    pub composite: Option<f64>,
    pub bonus_eligible: bool,
    pub ineligibility_reasons: Vec<String>,
    pub bonus_threshold: f64,
}

/// Judges every value by `policy`.
pub fn evaluate(policy: &PolicyRules, values: &[KpiValue]) -> Verdict {
    let assessments: Vec<Assessment> = values
        .iter()
        .map(|value| assess(policy.rules.get(&value.kpi), value))
        .collect();

    let (mut met_weight, mut judged_weight) = (0.0, 0.0);
    for assessment in &assessments {
        let weight = assessment.rule.map_or(0.0, |rule| rule.weight);
        if assessment.status.is_judged() {
            judged_weight += weight;
            if assessment.status.meets_target() {
                met_weight += weight;
            }
        }
    }
    let composite = (judged_weight > 0.0).then(|| met_weight * 100.0 / judged_weight);

    let mut reasons = Vec::new();
    for assessment in &assessments {
        let is_gate = assessment.rule.is_some_and(|rule| rule.gate);
        if is_gate && !assessment.status.meets_target() {
            reasons.push(format!(
                "gate kpi {} is {}",
                assessment.kpi,
                assessment.status.as_str()
            ));
        }
    }
    // Gates of the policy whose KPI was not computed count as not met too.
    for (kpi, rule) in &policy.rules {
        if rule.gate && !values.iter().any(|value| value.kpi == *kpi) {
            reasons.push(format!("gate kpi {kpi} has no value"));
        }
    }
    match composite {
        None => reasons
            .push("no weighted kpi could be judged, so there is no composite score".to_owned()),
        Some(score) if score + TOLERANCE < policy.bonus_threshold => reasons.push(format!(
            "composite score {score:.2} is below the bonus threshold {}",
            policy.bonus_threshold
        )),
        Some(_) => {}
    }
    Verdict {
        assessments,
        composite,
        bonus_eligible: reasons.is_empty(),
        ineligibility_reasons: reasons,
        bonus_threshold: policy.bonus_threshold,
    }
}

/// One stored policy version.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyVersion {
    pub id: i64,
    /// `None` for the organisation's policy.
    pub team_id: Option<String>,
    pub effective_from: NaiveDate,
    pub rules: PolicyRules,
    pub created_at: DateTime<Utc>,
    /// The principal that stored it ("" for versions from before auth).
    pub created_by: String,
}

/// A policy version to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPolicyVersion {
    pub team_id: Option<String>,
    pub effective_from: NaiveDate,
    pub rules: PolicyRules,
    /// The principal storing it.
    pub created_by: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(kpi: KpiId, numerator: f64, denominator: f64) -> KpiValue {
        KpiValue {
            kpi,
            value: (denominator > 0.0).then(|| numerator * 100.0 / denominator),
            numerator,
            denominator,
            sample_size: denominator as u64,
        }
    }

    fn rule(target: Target) -> KpiRule {
        KpiRule {
            target: Some(target),
            warning_band: None,
            weight: 1.0,
            gate: false,
            min_sample_size: 1,
        }
    }

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
    fn an_exact_boundary_meets_the_target() {
        // 17 of 20 satisfied = 85 % exactly against >= 85.
        let assessment = assess(
            Some(&rule(Target::AtLeast(85.0))),
            &rate(KpiId::Csat, 17.0, 20.0),
        );
        assert_eq!(assessment.status, KpiStatus::Met);
        assert_eq!(assessment.margin, Some(0.0));
    }

    #[test]
    fn a_range_target_is_breached_on_either_side() {
        let occupancy = rule(Target::Between {
            low: 75.0,
            high: 90.0,
        });
        let high = assess(Some(&occupancy), &rate(KpiId::Occupancy, 95.0, 100.0));
        assert_eq!(
            (high.status, high.margin),
            (KpiStatus::Breached, Some(-5.0))
        );
        let low = assess(Some(&occupancy), &rate(KpiId::Occupancy, 70.0, 100.0));
        assert_eq!((low.status, low.margin), (KpiStatus::Breached, Some(-5.0)));
        let inside = assess(Some(&occupancy), &rate(KpiId::Occupancy, 80.0, 100.0));
        assert_eq!((inside.status, inside.margin), (KpiStatus::Met, Some(5.0)));
    }

    #[test]
    fn the_warning_band_marks_values_near_the_target_at_risk() {
        let mut csat = rule(Target::AtLeast(85.0));
        csat.warning_band = Some(5.0);
        // 87.5 meets 85 but lies within 5 of it; 90 is exactly at the band's edge.
        assert_eq!(
            assess(Some(&csat), &rate(KpiId::Csat, 7.0, 8.0)).status,
            KpiStatus::AtRisk
        );
        assert_eq!(
            assess(Some(&csat), &rate(KpiId::Csat, 9.0, 10.0)).status,
            KpiStatus::Met
        );
        assert_eq!(
            assess(Some(&csat), &rate(KpiId::Csat, 4.0, 5.0)).status,
            KpiStatus::Breached
        );

        let mut errors = rule(Target::AtMost(2.0));
        errors.warning_band = Some(1.0);
        // 1.5 % is under 2 but within 1 of it.
        assert_eq!(
            assess(Some(&errors), &rate(KpiId::ErrorRate, 3.0, 200.0)).status,
            KpiStatus::AtRisk
        );
        assert_eq!(
            assess(Some(&errors), &rate(KpiId::ErrorRate, 1.0, 200.0)).status,
            KpiStatus::Met
        );

        let mut occupancy = rule(Target::Between {
            low: 75.0,
            high: 90.0,
        });
        occupancy.warning_band = Some(2.0);
        assert_eq!(
            assess(Some(&occupancy), &rate(KpiId::Occupancy, 89.0, 100.0)).status,
            KpiStatus::AtRisk
        );
        assert_eq!(
            assess(Some(&occupancy), &rate(KpiId::Occupancy, 76.0, 100.0)).status,
            KpiStatus::AtRisk
        );
        assert_eq!(
            assess(Some(&occupancy), &rate(KpiId::Occupancy, 80.0, 100.0)).status,
            KpiStatus::Met
        );
    }

    #[test]
    fn a_small_sample_is_insufficient_data_and_no_target_is_reported_as_such() {
        let mut csat = rule(Target::AtLeast(85.0));
        csat.min_sample_size = 5;
        let assessment = assess(Some(&csat), &rate(KpiId::Csat, 1.0, 3.0));
        assert_eq!(assessment.status, KpiStatus::InsufficientData);
        assert_eq!(assessment.margin, None);
        assert_eq!(
            assess(Some(&csat), &rate(KpiId::Csat, 0.0, 0.0)).status,
            KpiStatus::InsufficientData
        );
        assert_eq!(
            assess(None, &rate(KpiId::Csat, 1.0, 3.0)).status,
            KpiStatus::NoTarget
        );
        // Count KPIs ignore the minimum sample: zero violations meets <= 1.
        let mut violations = rule(Target::AtMost(1.0));
        violations.min_sample_size = 10;
        let zero = KpiValue {
            kpi: KpiId::Violations,
            value: Some(0.0),
            numerator: 0.0,
            denominator: 1.0,
            sample_size: 0,
        };
        assert_eq!(assess(Some(&violations), &zero).status, KpiStatus::Met);
    }

    #[test]
    fn composite_weighs_met_kpis_over_judged_ones_and_gates_block_the_bonus() {
        let mut rules = BTreeMap::new();
        // csat weight 2 met (90 >= 85); fcr weight 1 breached (70 < 80);
        // privacy weight 0 gate breached; nps has no data.
        rules.insert(
            KpiId::Csat,
            KpiRule {
                weight: 2.0,
                ..rule(Target::AtLeast(85.0))
            },
        );
        rules.insert(KpiId::FcrRate, rule(Target::AtLeast(80.0)));
        rules.insert(
            KpiId::PrivacyCompliance,
            KpiRule {
                weight: 0.0,
                gate: true,
                ..rule(Target::AtLeast(100.0))
            },
        );
        rules.insert(KpiId::Nps, rule(Target::AtLeast(50.0)));
        let policy = PolicyRules {
            rules,
            bonus_threshold: 60.0,
        };
        let values = [
            rate(KpiId::Csat, 9.0, 10.0),
            rate(KpiId::FcrRate, 7.0, 10.0),
            rate(KpiId::PrivacyCompliance, 9.0, 10.0),
            rate(KpiId::Nps, 0.0, 0.0),
        ];
        let verdict = evaluate(&policy, &values);
        // 2 / (2 + 1 + 0) = 66.666...%; nps (no data) is left out.
        assert_eq!(verdict.composite, Some(200.0 / 3.0));
        assert!(!verdict.bonus_eligible);
        assert_eq!(
            verdict.ineligibility_reasons,
            vec!["gate kpi privacy_compliance is BREACHED"]
        );

        let passing = [
            rate(KpiId::PrivacyCompliance, 10.0, 10.0),
            values[0],
            values[1],
            values[3],
        ];
        let verdict = evaluate(&policy, &passing);
        assert!(
            verdict.bonus_eligible,
            "{:?}",
            verdict.ineligibility_reasons
        );

        let strict = PolicyRules {
            bonus_threshold: 70.0,
            ..policy
        };
        let verdict = evaluate(&strict, &passing);
        assert!(!verdict.bonus_eligible);
        assert_eq!(
            verdict.ineligibility_reasons,
            vec!["composite score 66.67 is below the bonus threshold 70"]
        );
    }

    #[test]
    fn the_defaults_weigh_every_kpi_with_a_default_target() {
        let defaults = PolicyRules::catalogue_defaults();
        assert_eq!(defaults.rules.len(), 15);
        assert_eq!(defaults.bonus_threshold, 80.0);
        assert!(defaults.rules[&KpiId::PrivacyCompliance].gate);
        assert!(!defaults.rules.contains_key(&KpiId::AvgResponseTime));
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
