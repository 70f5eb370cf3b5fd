//! Hostile input, table-driven per service: every case gets its
//! documented code with ErrorInfo and a short message, nothing is written,
//! and the server stays healthy. Each row was once a panic, an INTERNAL, an
//! unreadable error or an accepted value that should not have been.

use kpi_service::grpc::pb;
use tonic::{Code, Status};
use tonic_health::pb::{
    health_check_response::ServingStatus, health_client::HealthClient, HealthCheckRequest,
};

use super::{
    app::{error_reason, spawn_app, Backend, TestApp},
    directory::add_team,
    ingest::{ingest_interactions, interactions},
    records::interaction,
};

/// One hostile call, to any service.
pub enum Call {
    AgentScorecard(pb::PeriodSelector),
    TeamScorecard(pb::PeriodSelector),
    Breaches(pb::PeriodSelector),
    Interactions(pb::PeriodSelector),
    WeeklyTrend(pb::PeriodSelector),
    Trend(pb::GetKpiTrendRequest),
    Team(pb::Team),
    Agent(pb::Agent),
    Policy(pb::PolicyVersion),
    EffectivePolicy(&'static str),
    Ingest(Vec<pb::Interaction>),
    ListAgents(pb::ListAgentsRequest),
    GetAgent(String),
}

async fn send(app: &TestApp, call: Call) -> Result<(), Status> {
    let mut scorecards = app.scorecards();
    match call {
        Call::AgentScorecard(period) => scorecards
            .get_agent_scorecard(pb::GetAgentScorecardRequest {
                agent_id: "ana".into(),
                period: Some(period),
                ..Default::default()
            })
            .await
            .map(drop),
        Call::TeamScorecard(period) => scorecards
            .get_team_scorecard(pb::GetTeamScorecardRequest {
                team_id: "red".into(),
                period: Some(period),
                ..Default::default()
            })
            .await
            .map(drop),
        Call::Breaches(period) => scorecards
            .list_threshold_breaches(pb::ListThresholdBreachesRequest {
                period: Some(period),
                ..Default::default()
            })
            .await
            .map(drop),
        Call::Interactions(period) => scorecards
            .list_agent_interactions(pb::ListAgentInteractionsRequest {
                agent_id: "ana".into(),
                period: Some(period),
                ..Default::default()
            })
            .await
            .map(drop),
        Call::WeeklyTrend(period) => scorecards
            .get_kpi_trend(weekly_trend(period))
            .await
            .map(drop),
        Call::Trend(request) => scorecards.get_kpi_trend(request).await.map(drop),
        Call::Team(team) => app
            .directory()
            .upsert_team(pb::UpsertTeamRequest { team: Some(team) })
            .await
            .map(drop),
        Call::Agent(agent) => app
            .directory()
            .upsert_agent(pb::UpsertAgentRequest {
                agent: Some(agent),
                ..Default::default()
            })
            .await
            .map(drop),
        Call::Policy(policy) => app
            .policies()
            .create_policy_version(pb::CreatePolicyVersionRequest {
                policy: Some(policy),
                ..Default::default()
            })
            .await
            .map(drop),
        Call::EffectivePolicy(date) => app
            .policies()
            .get_effective_policy(pb::GetEffectivePolicyRequest {
                date: date.into(),
                ..Default::default()
            })
            .await
            .map(drop),
        Call::Ingest(items) => app
            .ingest()
            .ingest_interactions(interactions(items))
            .await
            .map(drop),
        Call::ListAgents(request) => app.directory().list_agents(request).await.map(drop),
        Call::GetAgent(agent_id) => app
            .directory()
            .get_agent(pb::GetAgentRequest { agent_id })
            .await
            .map(drop),
    }
}

/// A weekly AHT trend of ana's over `period`.
pub fn weekly_trend(period: pb::PeriodSelector) -> pb::GetKpiTrendRequest {
    pb::GetKpiTrendRequest {
        consistency_token: String::new(),
        subject: Some(pb::get_kpi_trend_request::Subject::AgentId("ana".into())),
        kpi_ids: vec!["aht".into()],
        period: Some(period),
        granularity: pb::TrendGranularity::Week as i32,
    }
}

/// A custom range given in raw seconds (years chrono cannot write).
pub fn raw_range(start_seconds: i64, end_seconds: i64, nanos: i32) -> pb::PeriodSelector {
    pb::PeriodSelector {
        period: Some(pb::period_selector::Period::Custom(pb::TimeRange {
            start_time: Some(prost_types::Timestamp {
                seconds: start_seconds,
                nanos,
            }),
            end_time: Some(prost_types::Timestamp {
                seconds: end_seconds,
                nanos: 0,
            }),
        })),
    }
}

/// An organisation policy with bonus threshold 80.
pub fn policy(effective_from: &str, rules: Vec<pb::KpiRule>) -> pb::PolicyVersion {
    pb::PolicyVersion {
        effective_from: effective_from.into(),
        bonus_threshold: 80.0,
        rules,
        ..Default::default()
    }
}

/// The team blue named `display_name`.
pub fn team(display_name: &str) -> pb::Team {
    pb::Team {
        team_id: "blue".into(),
        display_name: display_name.into(),
        ..Default::default()
    }
}

/// The agent zoe named `display_name`.
pub fn agent(display_name: &str) -> pb::Agent {
    pb::Agent {
        agent_id: "zoe".into(),
        display_name: display_name.into(),
        ..Default::default()
    }
}

async fn rows_everywhere(app: &TestApp) -> i64 {
    let mut total = 0;
    for table in [
        "teams",
        "agents",
        "interactions",
        "survey_responses",
        "qa_evaluations",
        "compliance_checks",
        "violations",
        "training_assignments",
        "agent_time",
        "policy_versions",
    ] {
        total += app.count_rows(table).await;
    }
    total
}

/// One hostile case: its name, the call, the code and ErrorInfo reason.
pub type Case = (&'static str, Call, Code, &'static str);

/// Sends each case to a fresh app holding the team red and one interaction
/// of ana's, and asserts the documented refusal, a short answer, a serving
/// server after each, and no row written by any of them.
pub async fn assert_refused_without_trace(backend: Backend, cases: Vec<Case>) {
    let app = spawn_app(backend).await;
    add_team(&app, "red").await;
    ingest_interactions(&app, vec![interaction("c-1", "ana")]).await;
    let rows_before = rows_everywhere(&app).await;
    let mut health = HealthClient::new(app.channel.clone());

    for (name, call, expected_code, expected_reason) in cases {
        let status = send(&app, call)
            .await
            .expect_err(&format!("{name}: hostile input was accepted"));
        assert_eq!(status.code(), expected_code, "{name}: {status:?}");
        assert_eq!(
            error_reason(&status).as_deref(),
            Some(expected_reason),
            "{name}"
        );
        assert!(
            status.message().len() < 1024,
            "{name}: a {} byte message",
            status.message().len()
        );
        assert!(
            status.details().len() < 4096,
            "{name}: {} bytes of details",
            status.details().len()
        );
        let serving = health
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .unwrap_or_else(|error| panic!("{name}: health failed after the call: {error:?}"))
            .into_inner();
        assert_eq!(serving.status, ServingStatus::Serving as i32, "{name}");
    }
    assert_eq!(
        rows_everywhere(&app).await,
        rows_before,
        "hostile calls wrote nothing"
    );
}
