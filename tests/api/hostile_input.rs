//! Hostile input, table-driven: every case gets its documented code with
//! ErrorInfo and a short message, nothing is written, and the server stays
//! healthy. Each row was once a panic, an INTERNAL, an unreadable error or
//! an accepted value that should not have been.

use kpi_service::grpc::pb;
use tonic::{Code, Status};
use tonic_health::pb::{
    health_check_response::ServingStatus, health_client::HealthClient, HealthCheckRequest,
};

use crate::{
    fixtures::{interaction, interactions},
    helpers::{error_reason, spawn_app, Backend, TestApp},
    kpi_fixtures::{add_team, at_least, between, day, ingest_interactions, iso_week, month},
    on_both_backends,
};

on_both_backends!(hostile_input_gets_a_documented_code_and_leaves_no_trace);

/// One hostile call.
enum Call {
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

fn weekly_trend(period: pb::PeriodSelector) -> pb::GetKpiTrendRequest {
    pb::GetKpiTrendRequest {
        subject: Some(pb::get_kpi_trend_request::Subject::AgentId("ana".into())),
        kpi_ids: vec!["aht".into()],
        period: Some(period),
        granularity: pb::TrendGranularity::Week as i32,
    }
}

/// A custom range given in raw seconds (years chrono cannot write).
fn raw_range(start_seconds: i64, end_seconds: i64, nanos: i32) -> pb::PeriodSelector {
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

fn policy(effective_from: &str, rules: Vec<pb::KpiRule>) -> pb::PolicyVersion {
    pb::PolicyVersion {
        effective_from: effective_from.into(),
        bonus_threshold: 80.0,
        rules,
        ..Default::default()
    }
}

fn team(display_name: &str) -> pb::Team {
    pb::Team {
        team_id: "blue".into(),
        display_name: display_name.into(),
        ..Default::default()
    }
}

fn agent(display_name: &str) -> pb::Agent {
    pb::Agent {
        agent_id: "zoe".into(),
        display_name: display_name.into(),
        ..Default::default()
    }
}

/// Seconds since the epoch of 262142-12-01T00:00:00Z, near chrono's end.
const YEAR_262142: i64 = 8_210_266_790_400 - 30 * 86_400;

fn cases() -> Vec<(&'static str, Call, Code, &'static str)> {
    use Code::{InvalidArgument, ResourceExhausted};
    let huge = "9".repeat(10_240);
    let mut nul_id = interaction("c-nul", "ana");
    nul_id.external_id = "c\0nul".into();
    let mut frozen = interaction("c-frozen", "ana");
    frozen.revision = Some(i64::MAX);
    let mut seventeen_mib = interaction("c-big", "ana");
    seventeen_mib.external_id = "x".repeat(17 * 1024 * 1024);
    let mut band = at_least("csat", 95.0);
    band.warning_band = Some(6.0);
    let mut range_band = between("occupancy", 75.0, 90.0);
    range_band.warning_band = Some(8.0);
    vec![
        // Once panics: date arithmetic at the ends of chrono's calendar.
        (
            "iso week in year -262143",
            Call::AgentScorecard(iso_week("-262143-01-01")),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "iso week in year 262142",
            Call::Breaches(iso_week("+262142-12-31")),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "team scorecard week 262142",
            Call::TeamScorecard(iso_week("+262142-12-31")),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "drill-down week 262142",
            Call::Interactions(iso_week("+262142-12-31")),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "weekly trend ending in 262142",
            Call::WeeklyTrend(raw_range(YEAR_262142, YEAR_262142 + 20 * 86_400, 0)),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "day before 2000",
            Call::AgentScorecard(day("1999-12-31")),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "month after 9999",
            Call::AgentScorecard(month("+10000-01")),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "timestamp at i64::MAX",
            Call::AgentScorecard(raw_range(i64::MAX - 1, i64::MAX, 0)),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "negative nanos",
            Call::AgentScorecard(raw_range(1_700_000_000, 1_700_086_400, -1)),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        // Once INTERNAL on PostgreSQL.
        (
            "NUL in a team name",
            Call::Team(team("Blue\0team")),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "NUL in an agent name",
            Call::Agent(agent("Zoe\0")),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "line break in a name",
            Call::Agent(agent("Zoe\nZ")),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "NUL in an external id",
            Call::Ingest(vec![nul_id]),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "policy in year 10000",
            Call::Policy(policy("+10000-01-01", vec![])),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "policy in year -1",
            Call::Policy(policy("-0001-01-01", vec![])),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "effective policy in year 10000",
            Call::EffectivePolicy("+10000-01-01"),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        // Once unreadable: echoed whole into 23 KB of trailers.
        (
            "10 KB day",
            Call::AgentScorecard(day(&huge)),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "10 KB month",
            Call::Breaches(month(&huge)),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "10 KB KPI id",
            Call::Trend(pb::GetKpiTrendRequest {
                kpi_ids: vec![huge.clone()],
                ..weekly_trend(month("2026-11"))
            }),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "10 KB policy KPI id",
            Call::Policy(policy("2026-12-01", vec![at_least(&huge, 1.0)])),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "10 KB page token",
            Call::ListAgents(pb::ListAgentsRequest {
                page_token: huge.clone(),
                ..Default::default()
            }),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "10 KB agent id",
            Call::GetAgent(huge.clone()),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "17 MiB message",
            Call::Ingest(vec![seventeen_mib]),
            ResourceExhausted,
            "MESSAGE_TOO_LARGE",
        ),
        // Once accepted.
        (
            "revision i64::MAX",
            Call::Ingest(vec![frozen]),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "band swallowing an at-least target",
            Call::Policy(policy("2026-12-01", vec![band])),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "band swallowing a range",
            Call::Policy(policy("2026-12-01", vec![range_band])),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        // Already refused; they stay so.
        (
            "negative page size",
            Call::ListAgents(pb::ListAgentsRequest {
                page_size: -1,
                ..Default::default()
            }),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "empty batch",
            Call::Ingest(vec![]),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
        (
            "month 13",
            Call::AgentScorecard(month("2026-13")),
            InvalidArgument,
            "INVALID_FIELDS",
        ),
    ]
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

async fn hostile_input_gets_a_documented_code_and_leaves_no_trace(backend: Backend) {
    let app = spawn_app(backend).await;
    add_team(&app, "red").await;
    ingest_interactions(&app, vec![interaction("c-1", "ana")]).await;
    let rows_before = rows_everywhere(&app).await;
    let mut health = HealthClient::new(app.channel.clone());

    for (name, call, expected_code, expected_reason) in cases() {
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
