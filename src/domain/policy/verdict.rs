//! The judgement of a whole scorecard: the composite score (credited
//! weight over judged weight), each KPI's credit and contribution, bonus
//! eligibility (gates and the threshold) and the bonus tier reached.

use super::{assess, credit, judging::TOLERANCE, tier_reached, Assessment, BonusTier, PolicyRules};
use crate::domain::kpi::KpiValue;

/// What a judged KPI earned: its credit (0-1) and its contribution to the
/// composite in points (weight x credit / judged weight x 100).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grade {
    pub credit: f64,
    /// `None` when no weighted KPI was judged (no composite).
    pub contribution: Option<f64>,
}

/// The judgement of a whole scorecard.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// One per value, in the values' order.
    pub assessments: Vec<Assessment>,
    /// One per value, in the values' order; `None` for a KPI not judged
    /// (no target, not enough data).
    pub grades: Vec<Option<Grade>>,
    /// 0-100; `None` when no weighted KPI was judged.
    pub composite: Option<f64>,
    pub bonus_eligible: bool,
    pub ineligibility_reasons: Vec<String>,
    /// The policy's threshold; with bonus tiers, the lowest tier's minimum.
    pub bonus_threshold: f64,
    /// The bonus tier reached (policies with tiers only).
    pub bonus_tier: Option<BonusTier>,
}

/// Judges every value by `policy`.
pub fn evaluate(policy: &PolicyRules, values: &[KpiValue]) -> Verdict {
    let assessments: Vec<Assessment> = values
        .iter()
        .map(|value| assess(policy.rules.get(&value.kpi), value))
        .collect();

    let credits: Vec<Option<f64>> = values
        .iter()
        .zip(&assessments)
        .map(|(value, assessment)| {
            let rule = assessment.rule.as_ref()?;
            let (target, observed) = (rule.target?, value.value?);
            assessment
                .status
                .is_judged()
                .then(|| credit(&rule.scoring, target, assessment.status, observed))
        })
        .collect();
    // Under BINARY scoring weight x credit is the weight or 0 exactly, so
    // the composite is bit for bit what it was before graded plans.
    let (mut credited_weight, mut judged_weight) = (0.0, 0.0);
    for (assessment, credit) in assessments.iter().zip(&credits) {
        let weight = assessment.rule.map_or(0.0, |rule| rule.weight);
        if let Some(credit) = credit {
            judged_weight += weight;
            credited_weight += weight * credit;
        }
    }
    let composite = (judged_weight > 0.0).then(|| credited_weight * 100.0 / judged_weight);
    let grades = assessments
        .iter()
        .zip(credits)
        .map(|(assessment, credit)| {
            let weight = assessment.rule.map_or(0.0, |rule| rule.weight);
            credit.map(|credit| Grade {
                credit,
                contribution: composite.map(|_| weight * credit * 100.0 / judged_weight),
            })
        })
        .collect();

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
    let lowest_tier = policy.bonus_tiers.first();
    let bonus_threshold = lowest_tier.map_or(policy.bonus_threshold, |tier| tier.minimum_composite);
    match (composite, lowest_tier) {
        (None, _) => reasons
            .push("no weighted kpi could be judged, so there is no composite score".to_owned()),
        (Some(score), Some(lowest)) if score + TOLERANCE < lowest.minimum_composite => reasons
            .push(format!(
                "composite score {score:.2} is below the lowest bonus tier {} ({})",
                lowest.name, lowest.minimum_composite
            )),
        (Some(score), None) if score + TOLERANCE < policy.bonus_threshold => reasons.push(format!(
            "composite score {score:.2} is below the bonus threshold {}",
            policy.bonus_threshold
        )),
        (Some(_), _) => {}
    }
    let bonus_tier = match composite {
        Some(score) if reasons.is_empty() => tier_reached(&policy.bonus_tiers, score).cloned(),
        _ => None,
    };
    Verdict {
        assessments,
        grades,
        composite,
        bonus_eligible: reasons.is_empty(),
        ineligibility_reasons: reasons,
        bonus_threshold,
        bonus_tier,
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
            bonus_tiers: Vec::new(),
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
