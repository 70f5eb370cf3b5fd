//! Builders and queries shared by the KPI query tests (scorecards, breaches,
//! policies, trends). Expected numbers live in the tests, computed by hand.

use kpi_service::grpc::pb;

use crate::{
    fixtures::key,
    helpers::{at, TestApp},
};

/// The source of every interaction built here (surveys link to it).
pub const CALLS: &str = "phone-platform";

/// Absolute tolerance for KPI values computed by hand.
pub const TOLERANCE: f64 = 1e-9;

/// `rfc3339` moved by `seconds`.
pub fn shifted(rfc3339: &str, seconds: i64) -> prost_types::Timestamp {
    let instant = chrono::DateTime::parse_from_rfc3339(rfc3339).expect("bad RFC 3339 literal")
        + chrono::Duration::seconds(seconds);
    prost_types::Timestamp {
        seconds: instant.timestamp(),
        nanos: 0,
    }
}

/// A resolved first-contact phone call of `agent_id` that ended at
/// `ended_at`: queued 300 s before, first response 30 s after queuing, SLA
/// due 60 s after queuing, resolved when it ended, handle time 300 s
/// (240 talk + 20 hold + 40 wrap-up), no flags.
pub fn call(external_id: &str, agent_id: &str, ended_at: &str) -> pb::Interaction {
    pb::Interaction {
        source: CALLS.into(),
        external_id: external_id.into(),
        agent_id: agent_id.into(),
        channel: pb::Channel::Phone as i32,
        queued_at: Some(shifted(ended_at, -300)),
        first_response_at: Some(shifted(ended_at, -270)),
        ended_at: Some(at(ended_at)),
        resolved_at: Some(at(ended_at)),
        sla_due_at: Some(shifted(ended_at, -240)),
        talk_seconds: 240,
        hold_seconds: 20,
        after_contact_work_seconds: 40,
        resolved: true,
        first_contact_resolved: true,
        ..Default::default()
    }
}

/// A survey response about the interaction `interaction_id` (of [`CALLS`]).
pub fn survey_about(
    external_id: &str,
    interaction_id: &str,
    kind: pb::SurveyKind,
    score: i32,
    responded_at: &str,
) -> pb::SurveyResponse {
    pb::SurveyResponse {
        source: "survey-tool".into(),
        external_id: external_id.into(),
        interaction: Some(key(CALLS, interaction_id)),
        kind: kind as i32,
        score,
        responded_at: Some(at(responded_at)),
        ..Default::default()
    }
}

/// A survey response naming its agent, linked to no interaction.
pub fn survey_for_agent(
    external_id: &str,
    agent_id: &str,
    kind: pb::SurveyKind,
    score: i32,
    responded_at: &str,
) -> pb::SurveyResponse {
    pb::SurveyResponse {
        source: "survey-tool".into(),
        external_id: external_id.into(),
        agent_id: agent_id.into(),
        kind: kind as i32,
        score,
        responded_at: Some(at(responded_at)),
        ..Default::default()
    }
}

/// Unlinked CSAT responses of `agent_id` with the given scores, all answered
/// at `responded_at`; external ids are `{prefix}-{n}`.
pub fn csat_scores(
    prefix: &str,
    agent_id: &str,
    scores: &[i32],
    responded_at: &str,
) -> Vec<pb::SurveyResponse> {
    scores
        .iter()
        .enumerate()
        .map(|(n, score)| {
            survey_for_agent(
                &format!("{prefix}-{n}"),
                agent_id,
                pb::SurveyKind::Csat,
                *score,
                responded_at,
            )
        })
        .collect()
}

/// A compliance check of `agent_id`.
pub fn check(
    external_id: &str,
    agent_id: &str,
    kind: pb::ComplianceKind,
    passed: bool,
    checked_at: &str,
) -> pb::ComplianceCheck {
    pb::ComplianceCheck {
        source: "qa-tool".into(),
        external_id: external_id.into(),
        agent_id: agent_id.into(),
        kind: kind as i32,
        passed,
        checked_at: Some(at(checked_at)),
        ..Default::default()
    }
}

/// A violation of `agent_id`.
pub fn violation_at(external_id: &str, agent_id: &str, occurred_at: &str) -> pb::Violation {
    pb::Violation {
        source: "hr-system".into(),
        external_id: external_id.into(),
        agent_id: agent_id.into(),
        kind: pb::ViolationKind::LateArrival as i32,
        occurred_at: Some(at(occurred_at)),
        ..Default::default()
    }
}

/// A whole reporting-zone day of `agent_id`'s working time.
pub fn work_day(
    external_id: &str,
    agent_id: &str,
    day: &str,
    (scheduled, logged_in, handling): (i64, i64, i64),
) -> pb::AgentTime {
    pb::AgentTime {
        source: "wfm".into(),
        external_id: external_id.into(),
        agent_id: agent_id.into(),
        day: day.into(),
        scheduled_seconds: scheduled,
        logged_in_seconds: logged_in,
        handling_seconds: handling,
        ..Default::default()
    }
}

pub async fn ingest_interactions(app: &TestApp, items: Vec<pb::Interaction>) {
    app.ingest()
        .ingest_interactions(pb::IngestInteractionsRequest {
            interactions: items,
        })
        .await
        .expect("ingesting interactions failed");
}

pub async fn ingest_surveys(app: &TestApp, items: Vec<pb::SurveyResponse>) {
    app.ingest()
        .ingest_survey_responses(pb::IngestSurveyResponsesRequest {
            survey_responses: items,
        })
        .await
        .expect("ingesting survey responses failed");
}

pub async fn ingest_qa(app: &TestApp, items: Vec<pb::QaEvaluation>) {
    app.ingest()
        .ingest_qa_evaluations(pb::IngestQaEvaluationsRequest {
            qa_evaluations: items,
        })
        .await
        .expect("ingesting QA evaluations failed");
}

pub async fn ingest_checks(app: &TestApp, items: Vec<pb::ComplianceCheck>) {
    app.ingest()
        .ingest_compliance_checks(pb::IngestComplianceChecksRequest {
            compliance_checks: items,
        })
        .await
        .expect("ingesting compliance checks failed");
}

pub async fn ingest_violations(app: &TestApp, items: Vec<pb::Violation>) {
    app.ingest()
        .ingest_violations(pb::IngestViolationsRequest { violations: items })
        .await
        .expect("ingesting violations failed");
}

pub async fn ingest_training(app: &TestApp, items: Vec<pb::TrainingAssignment>) {
    app.ingest()
        .ingest_training_assignments(pb::IngestTrainingAssignmentsRequest {
            training_assignments: items,
        })
        .await
        .expect("ingesting training assignments failed");
}

pub async fn ingest_agent_time(app: &TestApp, items: Vec<pb::AgentTime>) {
    app.ingest()
        .ingest_agent_time(pb::IngestAgentTimeRequest { agent_time: items })
        .await
        .expect("ingesting agent time failed");
}

pub async fn add_team(app: &TestApp, team_id: &str) {
    app.directory()
        .upsert_team(pb::UpsertTeamRequest {
            team: Some(pb::Team {
                team_id: team_id.into(),
                ..Default::default()
            }),
        })
        .await
        .expect("upserting a team failed");
}

/// Creates or moves an agent; `team_id` empty = no team.
pub async fn put_agent(app: &TestApp, agent_id: &str, team_id: &str) {
    app.directory()
        .upsert_agent(pb::UpsertAgentRequest {
            agent: Some(pb::Agent {
                agent_id: agent_id.into(),
                team_id: team_id.into(),
                ..Default::default()
            }),
        })
        .await
        .expect("upserting an agent failed");
}

fn rule(kpi_id: &str, bound: pb::target::Bound) -> pb::KpiRule {
    pb::KpiRule {
        kpi_id: kpi_id.into(),
        target: Some(pb::Target { bound: Some(bound) }),
        warning_band: None,
        weight: 1.0,
        gate: false,
        min_sample_size: 1,
    }
}

/// A rule `value >= bound`, weight 1, minimum sample 1, no band, no gate.
pub fn at_least(kpi_id: &str, bound: f64) -> pb::KpiRule {
    rule(kpi_id, pb::target::Bound::AtLeast(bound))
}

/// A rule `value <= bound`, weight 1, minimum sample 1, no band, no gate.
pub fn at_most(kpi_id: &str, bound: f64) -> pb::KpiRule {
    rule(kpi_id, pb::target::Bound::AtMost(bound))
}

/// A rule `low <= value <= high`, weight 1, minimum sample 1.
pub fn between(kpi_id: &str, low: f64, high: f64) -> pb::KpiRule {
    rule(
        kpi_id,
        pb::target::Bound::Between(pb::ValueRange { low, high }),
    )
}

/// Stores a policy version (team empty = the organisation's).
pub async fn create_policy(
    app: &TestApp,
    team_id: &str,
    effective_from: &str,
    bonus_threshold: f64,
    rules: Vec<pb::KpiRule>,
) -> pb::PolicyVersion {
    app.policies()
        .create_policy_version(pb::CreatePolicyVersionRequest {
            request_id: String::new(),
            policy: Some(pb::PolicyVersion {
                team_id: team_id.into(),
                effective_from: effective_from.into(),
                rules,
                bonus_threshold,
                ..Default::default()
            }),
        })
        .await
        .expect("creating a policy version failed")
        .into_inner()
        .policy
        .expect("no policy in the response")
}

pub fn month(month: &str) -> pb::PeriodSelector {
    pb::PeriodSelector {
        period: Some(pb::period_selector::Period::Month(month.into())),
    }
}

pub fn day(day: &str) -> pb::PeriodSelector {
    pb::PeriodSelector {
        period: Some(pb::period_selector::Period::Day(day.into())),
    }
}

pub fn iso_week(date: &str) -> pb::PeriodSelector {
    pb::PeriodSelector {
        period: Some(pb::period_selector::Period::IsoWeek(date.into())),
    }
}

pub fn custom(start: &str, end: &str) -> pb::PeriodSelector {
    pb::PeriodSelector {
        period: Some(pb::period_selector::Period::Custom(pb::TimeRange {
            start_time: Some(at(start)),
            end_time: Some(at(end)),
        })),
    }
}

/// GetAgentScorecard, which must succeed.
pub async fn agent_scorecard(
    app: &TestApp,
    agent_id: &str,
    period: pb::PeriodSelector,
) -> pb::Scorecard {
    app.scorecards()
        .get_agent_scorecard(pb::GetAgentScorecardRequest {
            agent_id: agent_id.into(),
            period: Some(period),
            ..Default::default()
        })
        .await
        .unwrap_or_else(|status| panic!("GetAgentScorecard({agent_id}) failed: {status:?}"))
        .into_inner()
        .scorecard
        .expect("no scorecard in the response")
}

/// GetTeamScorecard, which must succeed.
pub async fn team_scorecard(
    app: &TestApp,
    team_id: &str,
    period: pb::PeriodSelector,
) -> pb::GetTeamScorecardResponse {
    app.scorecards()
        .get_team_scorecard(pb::GetTeamScorecardRequest {
            team_id: team_id.into(),
            period: Some(period),
            ..Default::default()
        })
        .await
        .unwrap_or_else(|status| panic!("GetTeamScorecard({team_id}) failed: {status:?}"))
        .into_inner()
}

/// The result of `kpi_id` in a scorecard.
pub fn kpi<'a>(scorecard: &'a pb::Scorecard, kpi_id: &str) -> &'a pb::KpiResult {
    scorecard
        .kpis
        .iter()
        .find(|result| result.kpi_id == kpi_id)
        .unwrap_or_else(|| panic!("the scorecard has no {kpi_id}"))
}

pub fn status_of(result: &pb::KpiResult) -> pb::KpiStatus {
    pb::KpiStatus::try_from(result.status).expect("unknown KPI status")
}

pub fn assert_close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= TOLERANCE,
        "{what}: expected {expected}, got {actual}"
    );
}

pub fn assert_close_option(actual: Option<f64>, expected: Option<f64>, what: &str) {
    match (actual, expected) {
        (Some(actual), Some(expected)) => assert_close(actual, expected, what),
        (None, None) => {}
        _ => panic!("{what}: expected {expected:?}, got {actual:?}"),
    }
}

/// Asserts a KPI's value, status and margin.
pub fn assert_judged(
    scorecard: &pb::Scorecard,
    kpi_id: &str,
    value: Option<f64>,
    status: pb::KpiStatus,
    margin: Option<f64>,
) {
    let result = kpi(scorecard, kpi_id);
    assert_close_option(result.value, value, &format!("{kpi_id} value"));
    assert_eq!(status_of(result), status, "{kpi_id} status");
    assert_close_option(result.margin, margin, &format!("{kpi_id} margin"));
}

/// The policy version id a scorecard was judged by.
pub fn policy_id(scorecard: &pb::Scorecard) -> i64 {
    scorecard
        .policy
        .as_ref()
        .expect("the scorecard names no policy")
        .policy_version_id
}
