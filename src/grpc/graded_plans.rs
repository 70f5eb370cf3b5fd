//! Graded plans <-> protobuf: a rule's scoring, bonus tiers, each KPI's
//! credit and contribution, and the goals named in a scorecard. Kept apart
//! from `kpi_results` (which uses it) so that the graded fields are added
//! to its messages with one line each; agent goals themselves are
//! converted in `policy::goals`, live breaches in `scorecard::answers`.

use super::pb;
use crate::domain::{
    policy::{
        AppliedGoal, BonusTier, BonusTierInput, CreditTier, Floors, Scoring, ScoringInput,
        ScoringKind, Verdict,
    },
    scorecard::Scorecard,
};

/// The graded fields of a `KpiRule` (the rest left default), for
/// `pb::KpiRule { .., ..rule_scoring_to_pb(scoring) }`.
pub fn rule_scoring_to_pb(scoring: &Scoring) -> pb::KpiRule {
    match scoring {
        // Unset, so that binary rules read exactly as before.
        Scoring::Binary => pb::KpiRule::default(),
        Scoring::Linear(floors) => pb::KpiRule {
            scoring: pb::KpiScoring::Linear as i32,
            floor: floors.floor,
            floor_below: floors.below,
            floor_above: floors.above,
            ..Default::default()
        },
        Scoring::Tiers(tiers) => pb::KpiRule {
            scoring: pb::KpiScoring::Tiers as i32,
            credit_tiers: tiers
                .as_slice()
                .iter()
                .map(|tier| pb::CreditTier {
                    threshold: tier.threshold,
                    credit: tier.credit,
                })
                .collect(),
            ..Default::default()
        },
    }
}

pub fn floors_from_pb(floor: Option<f64>, below: Option<f64>, above: Option<f64>) -> Floors {
    Floors {
        floor,
        below,
        above,
    }
}

/// A rule's scoring as sent, for `validate_graded_plan`.
pub fn scoring_input_from_pb(rule: &pb::KpiRule) -> ScoringInput {
    let kind = match pb::KpiScoring::try_from(rule.scoring) {
        Ok(pb::KpiScoring::Unspecified) => None,
        Ok(pb::KpiScoring::Binary) => Some(Ok(ScoringKind::Binary)),
        Ok(pb::KpiScoring::Linear) => Some(Ok(ScoringKind::Linear)),
        Ok(pb::KpiScoring::Tiers) => Some(Ok(ScoringKind::Tiers)),
        Err(_) => Some(Err(rule.scoring)),
    };
    ScoringInput {
        kind,
        floors: floors_from_pb(rule.floor, rule.floor_below, rule.floor_above),
        tiers: rule
            .credit_tiers
            .iter()
            .map(|tier| CreditTier {
                threshold: tier.threshold,
                credit: tier.credit,
            })
            .collect(),
    }
}

pub fn bonus_tier_to_pb(tier: &BonusTier) -> pb::BonusTier {
    pb::BonusTier {
        minimum_composite: tier.minimum_composite,
        name: tier.name.clone(),
        payout_percent: tier.payout_percent,
    }
}

pub fn bonus_tiers_to_pb(tiers: &[BonusTier]) -> Vec<pb::BonusTier> {
    tiers.iter().map(bonus_tier_to_pb).collect()
}

pub fn bonus_tier_inputs_from_pb(tiers: &[pb::BonusTier]) -> Vec<BonusTierInput> {
    tiers
        .iter()
        .map(|tier| BonusTierInput {
            minimum_composite: tier.minimum_composite,
            name: tier.name.clone(),
            payout_percent: tier.payout_percent,
        })
        .collect()
}

fn applied_goal_to_pb(goal: &AppliedGoal) -> pb::AppliedAgentGoal {
    pb::AppliedAgentGoal {
        agent_goal_id: goal.goal_id,
        kpi_id: goal.kpi.as_str().to_owned(),
        effective_from: goal.effective_from.format("%Y-%m-%d").to_string(),
        overridden_fields: goal
            .overridden
            .iter()
            .map(|name| (*name).to_owned())
            .collect(),
    }
}

/// The graded fields of a `Scorecard` (the rest left default).
pub fn scorecard_grading_to_pb(scorecard: &Scorecard) -> pb::Scorecard {
    pb::Scorecard {
        bonus_tier: scorecard.verdict.bonus_tier.as_ref().map(bonus_tier_to_pb),
        agent_goals: scorecard.goals.iter().map(applied_goal_to_pb).collect(),
        ..Default::default()
    }
}

/// Sets each KPI result's credit, contribution and goal (results in the
/// verdict's order).
pub fn grade_results(results: &mut [pb::KpiResult], verdict: &Verdict, goals: &[AppliedGoal]) {
    for (result, grade) in results.iter_mut().zip(&verdict.grades) {
        if let Some(grade) = grade {
            result.credit = Some(grade.credit);
            result.contribution = grade.contribution;
        }
        if let Some(goal) = goals.iter().find(|goal| goal.kpi.as_str() == result.kpi_id) {
            result.agent_goal_id = goal.goal_id;
        }
    }
}
