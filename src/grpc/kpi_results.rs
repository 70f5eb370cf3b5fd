//! Domain KPI values, assessments, policies and scorecards -> protobuf, and
//! protobuf rules -> domain rule inputs.

use crate::domain::policy::PolicyVersion;
use chrono_tz::Tz;

use super::{
    directory::timestamp,
    graded_plans::{bonus_tiers_to_pb, grade_results, rule_scoring_to_pb, scorecard_grading_to_pb},
    pace::forecast_to_pb,
    pb,
    period::period_to_pb,
};
use crate::{
    domain::{
        directory::Agent,
        scorecard::{AppliedPolicy, Scorecard},
    },
    domain::{
        kpi::{Direction, Indicator, KpiDefinition, KpiGroup, KpiUnit, KpiValue},
        policy::{Assessment, KpiRule, KpiStatus, RuleInput, Target},
    },
};

pub fn target_to_pb(target: Target) -> pb::Target {
    use pb::target::Bound;
    let bound = match target {
        Target::AtLeast(value) => Bound::AtLeast(value),
        Target::AtMost(value) => Bound::AtMost(value),
        Target::Between { low, high } => Bound::Between(pb::ValueRange { low, high }),
    };
    pb::Target { bound: Some(bound) }
}

pub fn target_from_pb(target: &pb::Target) -> Option<Target> {
    use pb::target::Bound;
    Some(match target.bound.as_ref()? {
        Bound::AtLeast(value) => Target::AtLeast(*value),
        Bound::AtMost(value) => Target::AtMost(*value),
        Bound::Between(range) => Target::Between {
            low: range.low,
            high: range.high,
        },
    })
}

pub fn rule_to_pb(kpi_id: &str, rule: &KpiRule) -> pb::KpiRule {
    pb::KpiRule {
        kpi_id: kpi_id.to_owned(),
        target: rule.target.map(target_to_pb),
        warning_band: rule.warning_band,
        weight: rule.weight,
        gate: rule.gate,
        min_sample_size: rule.min_sample_size as i64,
        ..rule_scoring_to_pb(&rule.scoring)
    }
}

pub fn rule_input_from_pb(rule: &pb::KpiRule) -> RuleInput {
    RuleInput {
        kpi_id: rule.kpi_id.clone(),
        target: rule.target.as_ref().and_then(target_from_pb),
        warning_band: rule.warning_band,
        weight: rule.weight,
        gate: rule.gate,
        min_sample_size: rule.min_sample_size,
    }
}

pub fn status_to_pb(status: KpiStatus) -> pb::KpiStatus {
    match status {
        KpiStatus::Met => pb::KpiStatus::Met,
        KpiStatus::AtRisk => pb::KpiStatus::AtRisk,
        KpiStatus::Breached => pb::KpiStatus::Breached,
        KpiStatus::InsufficientData => pb::KpiStatus::InsufficientData,
        KpiStatus::NoTarget => pb::KpiStatus::NoTarget,
    }
}

/// A value and (for scorecards) its assessment.
pub fn kpi_result(value: &KpiValue, assessment: Option<&Assessment>) -> pb::KpiResult {
    let kpi_id = value.kpi.as_str();
    pb::KpiResult {
        kpi_id: kpi_id.to_owned(),
        value: value.value,
        numerator: value.numerator,
        denominator: value.denominator,
        sample_size: value.sample_size as i64,
        rule: assessment
            .and_then(|a| a.rule.as_ref())
            .map(|rule| rule_to_pb(kpi_id, rule)),
        status: assessment.map_or(pb::KpiStatus::Unspecified, |a| status_to_pb(a.status)) as i32,
        margin: assessment.and_then(|a| a.margin),
        // Graded plans: set by `scorecard_to_pb` (`grade_results`).
        ..Default::default()
    }
}

pub fn policy_ref(policy: &AppliedPolicy) -> pb::PolicyRef {
    match &policy.version {
        Some(version) => pb::PolicyRef {
            policy_version_id: version.id,
            team_id: version.team_id.clone().unwrap_or_default(),
            effective_from: version.effective_from.format("%Y-%m-%d").to_string(),
        },
        None => pb::PolicyRef::default(),
    }
}

pub fn scorecard_to_pb(scorecard: &Scorecard, zone: Tz) -> pb::Scorecard {
    let verdict = &scorecard.verdict;
    let mut kpis: Vec<pb::KpiResult> = scorecard
        .values
        .iter()
        .zip(&verdict.assessments)
        .enumerate()
        .map(|(index, (value, assessment))| pb::KpiResult {
            forecast: scorecard.forecast(index).map(forecast_to_pb),
            ..kpi_result(value, Some(assessment))
        })
        .collect();
    grade_results(&mut kpis, verdict, &scorecard.goals);
    pb::Scorecard {
        period: Some(period_to_pb(&scorecard.period, zone)),
        kpis,
        composite_score: verdict.composite,
        bonus_eligible: verdict.bonus_eligible,
        ineligibility_reasons: verdict.ineligibility_reasons.clone(),
        bonus_threshold: verdict.bonus_threshold,
        policy: Some(policy_ref(&scorecard.policy)),
        data_updated_time: scorecard
            .data_updated_us
            .and_then(chrono::DateTime::from_timestamp_micros)
            .map(timestamp),
        compute_time: Some(timestamp(scorecard.computed_at)),
        snapshot: None,
        as_of_time: scorecard.as_of.map(timestamp),
        ..scorecard_grading_to_pb(scorecard)
    }
}

pub fn policy_version_to_pb(version: &PolicyVersion) -> pb::PolicyVersion {
    pb::PolicyVersion {
        policy_version_id: version.id,
        team_id: version.team_id.clone().unwrap_or_default(),
        effective_from: version.effective_from.format("%Y-%m-%d").to_string(),
        rules: version
            .rules
            .rules
            .iter()
            .map(|(kpi, rule)| rule_to_pb(kpi.as_str(), rule))
            .collect(),
        bonus_threshold: version.rules.bonus_threshold,
        create_time: Some(timestamp(version.created_at)),
        created_by: version.created_by.clone(),
        bonus_tiers: bonus_tiers_to_pb(&version.rules.bonus_tiers),
    }
}

pub fn definition_to_pb(definition: &KpiDefinition) -> pb::KpiDefinition {
    pb::KpiDefinition {
        kpi_id: definition.id.as_str().to_owned(),
        name: definition.name.to_owned(),
        group: match definition.group {
            KpiGroup::Performance => pb::KpiGroup::Performance,
            KpiGroup::Quality => pb::KpiGroup::Quality,
            KpiGroup::Satisfaction => pb::KpiGroup::Satisfaction,
            KpiGroup::Compliance => pb::KpiGroup::Compliance,
            KpiGroup::Workforce => pb::KpiGroup::Workforce,
        } as i32,
        unit: match definition.unit {
            KpiUnit::Count => pb::KpiUnit::Count,
            KpiUnit::CountPerDay => pb::KpiUnit::CountPerDay,
            KpiUnit::Seconds => pb::KpiUnit::Seconds,
            KpiUnit::Percent => pb::KpiUnit::Percent,
            KpiUnit::NpsPoints => pb::KpiUnit::NpsPoints,
            KpiUnit::Rating => pb::KpiUnit::Rating,
        } as i32,
        direction: match definition.direction {
            Direction::HigherIsBetter => pb::KpiDirection::HigherIsBetter,
            Direction::LowerIsBetter => pb::KpiDirection::LowerIsBetter,
        } as i32,
        formula: definition.formula.to_owned(),
        indicator: match definition.indicator {
            Indicator::Leading => pb::KpiIndicator::Leading,
            Indicator::Lagging => pb::KpiIndicator::Lagging,
        } as i32,
        default_target: definition.default_target.map(target_to_pb),
        default_gate: definition.default_gate,
        scale: definition.scale,
    }
}

/// An agent's scorecard as the API answers it.
pub fn agent_scorecard_to_pb(agent: &Agent, scorecard: &Scorecard, zone: Tz) -> pb::AgentScorecard {
    pb::AgentScorecard {
        agent_id: agent.agent_id.clone(),
        team_id: scorecard.team_id.clone().unwrap_or_default(),
        scorecard: Some(scorecard_to_pb(scorecard, zone)),
    }
}
