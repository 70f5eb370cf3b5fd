//! The matrix's rows: every RPC of the API with what it needs, and a valid
//! request of each about a subject. One file, because the list must stay
//! complete: the matrix test asserts its length against the served methods.

use kpi_service::grpc::pb;
use tonic::{transport::Channel, Status};

use crate::{
    fixtures,
    helpers::at,
    kpi_fixtures::{at_least, month},
    trust::support::request,
};

/// Whose records / team / agent / policy a call is about.
pub(super) struct Subject {
    pub source: &'static str,
    pub team: &'static str,
    pub agent: &'static str,
    pub policy_version_id: i64,
}

/// What an RPC needs, for building the matrix.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Needs {
    Ingest,
    Read,
    /// A read that has no team (catalogue) or is organisation-wide only.
    ReadAny,
    ReadOrganisationWide,
    Scope(&'static str),
}

pub(super) const RPCS: &[(&str, Needs)] = &[
    ("/kpi.v1.IngestService/IngestInteractions", Needs::Ingest),
    ("/kpi.v1.IngestService/IngestSurveyResponses", Needs::Ingest),
    ("/kpi.v1.IngestService/IngestQaEvaluations", Needs::Ingest),
    (
        "/kpi.v1.IngestService/IngestComplianceChecks",
        Needs::Ingest,
    ),
    ("/kpi.v1.IngestService/IngestViolations", Needs::Ingest),
    (
        "/kpi.v1.IngestService/IngestTrainingAssignments",
        Needs::Ingest,
    ),
    ("/kpi.v1.IngestService/IngestAgentTime", Needs::Ingest),
    (
        "/kpi.v1.DirectoryService/UpsertTeam",
        Needs::Scope("kpi.directory.write"),
    ),
    (
        "/kpi.v1.DirectoryService/UpsertAgent",
        Needs::Scope("kpi.directory.write"),
    ),
    ("/kpi.v1.DirectoryService/GetTeam", Needs::Read),
    (
        "/kpi.v1.DirectoryService/ListTeams",
        Needs::ReadOrganisationWide,
    ),
    ("/kpi.v1.DirectoryService/GetAgent", Needs::Read),
    ("/kpi.v1.DirectoryService/ListAgents", Needs::Read),
    ("/kpi.v1.ScorecardService/ListKpis", Needs::ReadAny),
    ("/kpi.v1.ScorecardService/GetAgentScorecard", Needs::Read),
    ("/kpi.v1.ScorecardService/GetTeamScorecard", Needs::Read),
    ("/kpi.v1.ScorecardService/ListAgentScorecards", Needs::Read),
    (
        "/kpi.v1.ScorecardService/ListThresholdBreaches",
        Needs::Read,
    ),
    ("/kpi.v1.ScorecardService/GetKpiTrend", Needs::Read),
    (
        "/kpi.v1.ScorecardService/ListAgentInteractions",
        Needs::Read,
    ),
    ("/kpi.v1.ScorecardService/ListAgentRecords", Needs::Read),
    (
        "/kpi.v1.PolicyService/CreatePolicyVersion",
        Needs::Scope("kpi.policy.write"),
    ),
    ("/kpi.v1.PolicyService/GetPolicyVersion", Needs::Read),
    ("/kpi.v1.PolicyService/ListPolicyVersions", Needs::Read),
    ("/kpi.v1.PolicyService/GetEffectivePolicy", Needs::Read),
    ("/kpi.v1.ChangeService/WatchScorecardChanges", Needs::Read),
    ("/kpi.v1.ChangeService/ListScorecardChanges", Needs::Read),
    (
        "/kpi.v1.PolicyService/CreateAgentGoal",
        Needs::Scope("kpi.policy.write"),
    ),
    ("/kpi.v1.PolicyService/ListAgentGoals", Needs::Read),
    (
        "/kpi.v1.AuditService/ListAuditEvents",
        Needs::Scope("kpi.audit.read"),
    ),
    // ClosePeriod runs before RestatePeriod, which needs the closed month.
    (
        "/kpi.v1.PeriodService/ClosePeriod",
        Needs::Scope("kpi.period.write"),
    ),
    (
        "/kpi.v1.PeriodService/RestatePeriod",
        Needs::Scope("kpi.period.write"),
    ),
    ("/kpi.v1.PeriodService/GetPeriod", Needs::ReadAny),
    ("/kpi.v1.PeriodService/ListPeriods", Needs::ReadAny),
    (
        "/kpi.v1.PeriodService/ListAdjustments",
        Needs::ReadOrganisationWide,
    ),
];

async fn unary<Req, Resp>(
    channel: &Channel,
    path: &'static str,
    message: Req,
    token: Option<&str>,
) -> Result<(), Status>
where
    Req: prost::Message + Send + Sync + 'static,
    Resp: prost::Message + Default + Send + Sync + 'static,
{
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready()
        .await
        .map_err(|error| Status::unavailable(error.to_string()))?;
    let codec = tonic_prost::ProstCodec::<Req, Resp>::default();
    grpc.unary(
        request(message, token, None),
        tonic::codegen::http::uri::PathAndQuery::from_static(path),
        codec,
    )
    .await
    .map(|_| ())
}

/// Opens a server stream; Ok once the server accepted it (its headers).
async fn server_stream<Req, Resp>(
    channel: &Channel,
    path: &'static str,
    message: Req,
    token: Option<&str>,
) -> Result<(), Status>
where
    Req: prost::Message + Send + Sync + 'static,
    Resp: prost::Message + Default + Send + Sync + 'static,
{
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready()
        .await
        .map_err(|error| Status::unavailable(error.to_string()))?;
    let codec = tonic_prost::ProstCodec::<Req, Resp>::default();
    grpc.server_streaming(
        request(message, token, None),
        tonic::codegen::http::uri::PathAndQuery::from_static(path),
        codec,
    )
    .await
    .map(|_| ())
}

/// A change filter about one team.
fn team_changes(team: String) -> Option<pb::ScorecardChangeFilter> {
    Some(pb::ScorecardChangeFilter {
        team_ids: vec![team],
        ..Default::default()
    })
}

/// Calls `path` about `subject` with a valid request.
pub(super) async fn invoke(
    channel: &Channel,
    path: &'static str,
    subject: &Subject,
    token: Option<&str>,
) -> Result<(), Status> {
    let source = subject.source.to_owned();
    let agent = subject.agent;
    let team = subject.team.to_owned();
    match path.rsplit('/').next().unwrap() {
        "IngestInteractions" => {
            let mut item = fixtures::interaction("matrix-call", agent);
            item.source = source;
            unary::<_, pb::IngestInteractionsResponse>(
                channel,
                path,
                pb::IngestInteractionsRequest {
                    interactions: vec![item],
                },
                token,
            )
            .await
        }
        "IngestSurveyResponses" => {
            let mut item = fixtures::csat_for_interaction("matrix-survey", "matrix-call", 5);
            item.interaction = Some(fixtures::key(&source, "matrix-call"));
            item.source = source;
            unary::<_, pb::IngestSurveyResponsesResponse>(
                channel,
                path,
                pb::IngestSurveyResponsesRequest {
                    survey_responses: vec![item],
                },
                token,
            )
            .await
        }
        "IngestQaEvaluations" => {
            let mut item = fixtures::qa_evaluation("matrix-qa", agent);
            item.source = source;
            unary::<_, pb::IngestQaEvaluationsResponse>(
                channel,
                path,
                pb::IngestQaEvaluationsRequest {
                    qa_evaluations: vec![item],
                },
                token,
            )
            .await
        }
        "IngestComplianceChecks" => {
            let mut item = fixtures::compliance_check("matrix-check", agent);
            item.source = source;
            unary::<_, pb::IngestComplianceChecksResponse>(
                channel,
                path,
                pb::IngestComplianceChecksRequest {
                    compliance_checks: vec![item],
                },
                token,
            )
            .await
        }
        "IngestViolations" => {
            let mut item = fixtures::violation("matrix-violation", agent);
            item.source = source;
            unary::<_, pb::IngestViolationsResponse>(
                channel,
                path,
                pb::IngestViolationsRequest {
                    violations: vec![item],
                },
                token,
            )
            .await
        }
        "IngestTrainingAssignments" => {
            let mut item = fixtures::training_assignment("matrix-training", agent);
            item.source = source;
            unary::<_, pb::IngestTrainingAssignmentsResponse>(
                channel,
                path,
                pb::IngestTrainingAssignmentsRequest {
                    training_assignments: vec![item],
                },
                token,
            )
            .await
        }
        "IngestAgentTime" => {
            let mut item = fixtures::agent_day("matrix-time", agent, "2026-11-02");
            item.source = source;
            unary::<_, pb::IngestAgentTimeResponse>(
                channel,
                path,
                pb::IngestAgentTimeRequest {
                    agent_time: vec![item],
                },
                token,
            )
            .await
        }
        "UpsertTeam" => {
            unary::<_, pb::UpsertTeamResponse>(
                channel,
                path,
                pb::UpsertTeamRequest {
                    team: Some(pb::Team {
                        team_id: team,
                        display_name: "Team".into(),
                        ..Default::default()
                    }),
                },
                token,
            )
            .await
        }
        "UpsertAgent" => {
            unary::<_, pb::UpsertAgentResponse>(
                channel,
                path,
                pb::UpsertAgentRequest {
                    agent: Some(pb::Agent {
                        agent_id: agent.into(),
                        display_name: "Agent".into(),
                        team_id: team,
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                token,
            )
            .await
        }
        "GetTeam" => {
            unary::<_, pb::GetTeamResponse>(
                channel,
                path,
                pb::GetTeamRequest { team_id: team },
                token,
            )
            .await
        }
        "ListTeams" => {
            unary::<_, pb::ListTeamsResponse>(channel, path, pb::ListTeamsRequest::default(), token)
                .await
        }
        "GetAgent" => {
            unary::<_, pb::GetAgentResponse>(
                channel,
                path,
                pb::GetAgentRequest {
                    agent_id: agent.into(),
                },
                token,
            )
            .await
        }
        "ListAgents" => {
            unary::<_, pb::ListAgentsResponse>(
                channel,
                path,
                pb::ListAgentsRequest {
                    team_id: team,
                    ..Default::default()
                },
                token,
            )
            .await
        }
        "ListKpis" => {
            unary::<_, pb::ListKpisResponse>(channel, path, pb::ListKpisRequest {}, token).await
        }
        "GetAgentScorecard" => {
            unary::<_, pb::GetAgentScorecardResponse>(
                channel,
                path,
                pb::GetAgentScorecardRequest {
                    agent_id: agent.into(),
                    period: Some(month("2026-11")),
                    ..Default::default()
                },
                token,
            )
            .await
        }
        "GetTeamScorecard" => {
            unary::<_, pb::GetTeamScorecardResponse>(
                channel,
                path,
                pb::GetTeamScorecardRequest {
                    team_id: team,
                    period: Some(month("2026-11")),
                    ..Default::default()
                },
                token,
            )
            .await
        }
        "ListAgentScorecards" => {
            unary::<_, pb::ListAgentScorecardsResponse>(
                channel,
                path,
                pb::ListAgentScorecardsRequest {
                    team_id: team,
                    period: Some(month("2026-11")),
                    ..Default::default()
                },
                token,
            )
            .await
        }
        "ListThresholdBreaches" => {
            unary::<_, pb::ListThresholdBreachesResponse>(
                channel,
                path,
                pb::ListThresholdBreachesRequest {
                    team_id: team,
                    period: Some(month("2026-11")),
                    ..Default::default()
                },
                token,
            )
            .await
        }
        "GetKpiTrend" => {
            unary::<_, pb::GetKpiTrendResponse>(
                channel,
                path,
                pb::GetKpiTrendRequest {
                    consistency_token: String::new(),
                    subject: Some(pb::get_kpi_trend_request::Subject::AgentId(agent.into())),
                    kpi_ids: vec!["aht".into()],
                    period: Some(month("2026-11")),
                    granularity: pb::TrendGranularity::Week as i32,
                },
                token,
            )
            .await
        }
        "ListAgentInteractions" => {
            unary::<_, pb::ListAgentInteractionsResponse>(
                channel,
                path,
                pb::ListAgentInteractionsRequest {
                    agent_id: agent.into(),
                    period: Some(month("2026-11")),
                    ..Default::default()
                },
                token,
            )
            .await
        }
        "ListAgentRecords" => {
            unary::<_, pb::ListAgentRecordsResponse>(
                channel,
                path,
                pb::ListAgentRecordsRequest {
                    agent_id: agent.into(),
                    period: Some(month("2026-11")),
                    ..Default::default()
                },
                token,
            )
            .await
        }
        "CreatePolicyVersion" => {
            unary::<_, pb::CreatePolicyVersionResponse>(
                channel,
                path,
                pb::CreatePolicyVersionRequest {
                    request_id: String::new(),
                    policy: Some(pb::PolicyVersion {
                        team_id: team,
                        effective_from: "2026-11-01".into(),
                        rules: vec![at_least("csat", 80.0)],
                        bonus_threshold: 80.0,
                        ..Default::default()
                    }),
                },
                token,
            )
            .await
        }
        "GetPolicyVersion" => {
            unary::<_, pb::GetPolicyVersionResponse>(
                channel,
                path,
                pb::GetPolicyVersionRequest {
                    policy_version_id: subject.policy_version_id,
                },
                token,
            )
            .await
        }
        "ListPolicyVersions" => {
            unary::<_, pb::ListPolicyVersionsResponse>(
                channel,
                path,
                pb::ListPolicyVersionsRequest {
                    team_id: team,
                    ..Default::default()
                },
                token,
            )
            .await
        }
        "GetEffectivePolicy" => {
            unary::<_, pb::GetEffectivePolicyResponse>(
                channel,
                path,
                pb::GetEffectivePolicyRequest {
                    team_id: team,
                    date: "2026-11-15".into(),
                },
                token,
            )
            .await
        }
        "CreateAgentGoal" => {
            unary::<_, pb::CreateAgentGoalResponse>(
                channel,
                path,
                pb::CreateAgentGoalRequest {
                    request_id: String::new(),
                    goal: Some(pb::AgentGoal {
                        agent_id: agent.into(),
                        kpi_id: "csat".into(),
                        effective_from: "2026-11-01".into(),
                        target: at_least("csat", 75.0).target,
                        ..Default::default()
                    }),
                },
                token,
            )
            .await
        }
        "ListAgentGoals" => {
            unary::<_, pb::ListAgentGoalsResponse>(
                channel,
                path,
                pb::ListAgentGoalsRequest {
                    agent_id: agent.into(),
                    ..Default::default()
                },
                token,
            )
            .await
        }
        "ListAuditEvents" => {
            unary::<_, pb::ListAuditEventsResponse>(
                channel,
                path,
                pb::ListAuditEventsRequest {
                    start_time: Some(at("2026-01-01T00:00:00Z")),
                    ..Default::default()
                },
                token,
            )
            .await
        }
        "ClosePeriod" => {
            unary::<_, pb::ClosePeriodResponse>(
                channel,
                path,
                pb::ClosePeriodRequest {
                    month: "2026-10".into(),
                    request_id: String::new(),
                    ..Default::default()
                },
                token,
            )
            .await
        }
        "RestatePeriod" => {
            unary::<_, pb::RestatePeriodResponse>(
                channel,
                path,
                pb::RestatePeriodRequest {
                    month: "2026-10".into(),
                    reason: "matrix".into(),
                    request_id: String::new(),
                    ..Default::default()
                },
                token,
            )
            .await
        }
        "GetPeriod" => {
            unary::<_, pb::GetPeriodResponse>(
                channel,
                path,
                pb::GetPeriodRequest {
                    month: "2026-10".into(),
                    ..Default::default()
                },
                token,
            )
            .await
        }
        "ListPeriods" => {
            unary::<_, pb::ListPeriodsResponse>(
                channel,
                path,
                pb::ListPeriodsRequest::default(),
                token,
            )
            .await
        }
        "ListAdjustments" => {
            unary::<_, pb::ListAdjustmentsResponse>(
                channel,
                path,
                pb::ListAdjustmentsRequest {
                    month: "2026-10".into(),
                    ..Default::default()
                },
                token,
            )
            .await
        }
        "WatchScorecardChanges" => {
            server_stream::<_, pb::WatchScorecardChangesResponse>(
                channel,
                path,
                pb::WatchScorecardChangesRequest {
                    filter: team_changes(team),
                    ..Default::default()
                },
                token,
            )
            .await
        }
        "ListScorecardChanges" => {
            unary::<_, pb::ListScorecardChangesResponse>(
                channel,
                path,
                pb::ListScorecardChangesRequest {
                    filter: team_changes(team),
                    ..Default::default()
                },
                token,
            )
            .await
        }
        other => panic!("no request for {other}"),
    }
}
