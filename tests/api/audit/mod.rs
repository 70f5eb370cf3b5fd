//! AuditService and the append-only audit trail: what each change
//! records, listing with filters and pages, and a trail nothing rewrites.

use kpi_service::grpc::pb;

use crate::{
    support::{
        app::{spawn_app_with, Backend, TestApp},
        ingest::interactions,
        policies::at_least,
        records::interaction,
    },
    trust_support::{request, use_jwt, ScratchDir, TokenIssuer},
};

mod append_only;
mod events;
mod listing;

/// ListAuditEvents with `token`.
pub async fn list(
    app: &TestApp,
    token: &str,
    filter: pb::ListAuditEventsRequest,
) -> Result<pb::ListAuditEventsResponse, tonic::Status> {
    pb::audit_service_client::AuditServiceClient::new(app.channel.clone())
        .list_audit_events(request(filter, Some(token), None))
        .await
        .map(tonic::Response::into_inner)
}

/// The kind of `event`.
pub fn kind(event: &pb::AuditEvent) -> pb::AuditEventKind {
    pb::AuditEventKind::try_from(event.kind).unwrap()
}

/// An app with JWT authentication after seven audited changes, oldest
/// first: teams north and south, agent ann created in north and moved to
/// south (by crm-backend), a policy version (by ops-lead@example), three
/// calls, then a correction batch (by genesys-connector) that updates
/// call-1, voids call-2 and replays call-3.
pub struct AuditedChanges {
    pub app: TestApp,
    /// A token of "auditor" with kpi.audit.read.
    pub auditor: String,
    pub policy: pb::PolicyVersion,
    _scratch: ScratchDir,
}

pub async fn seven_audited_changes(backend: Backend) -> AuditedChanges {
    let scratch = ScratchDir::new("audit");
    let issuer = TokenIssuer::new(&scratch);
    let app = spawn_app_with(backend, |settings| use_jwt(settings, &issuer)).await;
    let directory_admin = issuer.token("crm-backend", &["kpi.directory.write"]);
    let policy_admin = issuer.token("ops-lead@example", &["kpi.policy.write"]);
    let connector = issuer.token("genesys-connector", &["kpi.ingest:genesys"]);
    let auditor = issuer.token("auditor", &["kpi.audit.read"]);

    for (team, request_id) in [("north", "req-team-north"), ("south", "req-team-south")] {
        app.directory()
            .upsert_team(request(
                pb::UpsertTeamRequest {
                    team: Some(pb::Team {
                        team_id: team.into(),
                        display_name: team.to_uppercase(),
                        ..Default::default()
                    }),
                },
                Some(&directory_admin),
                Some(request_id),
            ))
            .await
            .unwrap();
    }
    for (team, request_id) in [("north", "req-agent-1"), ("south", "req-agent-move")] {
        app.directory()
            .upsert_agent(request(
                pb::UpsertAgentRequest {
                    agent: Some(pb::Agent {
                        agent_id: "ann".into(),
                        display_name: "Ann".into(),
                        team_id: team.into(),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                Some(&directory_admin),
                Some(request_id),
            ))
            .await
            .unwrap();
    }
    let policy = app
        .policies()
        .create_policy_version(request(
            pb::CreatePolicyVersionRequest {
                request_id: String::new(),
                policy: Some(pb::PolicyVersion {
                    effective_from: "2026-11-01".into(),
                    rules: vec![at_least("csat", 80.0)],
                    bonus_threshold: 70.0,
                    ..Default::default()
                }),
            },
            Some(&policy_admin),
            Some("req-policy-1"),
        ))
        .await
        .unwrap()
        .into_inner()
        .policy
        .unwrap();
    let mut calls: Vec<pb::Interaction> = (1..=3)
        .map(|n| {
            let mut call = interaction(&format!("call-{n}"), "ann");
            call.source = "genesys".into();
            call
        })
        .collect();
    app.ingest()
        .ingest_interactions(request(
            interactions(calls.clone()),
            Some(&connector),
            Some("req-batch-1"),
        ))
        .await
        .unwrap();
    calls[0].talk_seconds += 60;
    calls[1].voided = true;
    app.ingest()
        .ingest_interactions(request(
            interactions(calls),
            Some(&connector),
            Some("req-correction"),
        ))
        .await
        .unwrap();
    AuditedChanges {
        app,
        auditor,
        policy,
        _scratch: scratch,
    }
}

/// Every event, newest first.
pub async fn every_event(changes: &AuditedChanges) -> Vec<pb::AuditEvent> {
    list(
        &changes.app,
        &changes.auditor,
        pb::ListAuditEventsRequest::default(),
    )
    .await
    .unwrap()
    .events
}
