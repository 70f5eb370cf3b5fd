//! Scorecard reads that must succeed, and assertions on KPI results.
//! Expected numbers live in the tests, computed by hand from the catalogue.

use kpi_service::grpc::pb;

use super::app::TestApp;

/// Absolute tolerance for KPI values computed by hand.
pub const TOLERANCE: f64 = 1e-9;

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
