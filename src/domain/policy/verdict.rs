//! The judgement of a whole scorecard: the composite score (met weight
//! over judged weight) and bonus eligibility (gates and the threshold).

use super::{assess, judging::TOLERANCE, Assessment, PolicyRules};
use crate::domain::kpi::KpiValue;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        kpi::KpiId,
        policy::{
            fixtures::{rate, rule},
            KpiRule, Target,
        },
    };
    use std::collections::BTreeMap;

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
}
