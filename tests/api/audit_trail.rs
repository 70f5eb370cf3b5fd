//! The audit trail: a policy creation, directory changes and a correction
//! batch each appear with their principal and request id; the list filters
//! by time, principal and kind and pages by keyset; nothing rewrites it.

use kpi_service::grpc::pb;
use sea_orm::{ConnectionTrait, Statement};
use tonic::Code;

use crate::{
    fixtures::{interaction, interactions, key},
    helpers::{spawn_app_with, ts, Backend, TestApp},
    kpi_fixtures::at_least,
    on_both_backends,
    trust_support::{request, use_jwt, ScratchDir, TokenIssuer},
};

async fn list(
    app: &TestApp,
    token: &str,
    filter: pb::ListAuditEventsRequest,
) -> Result<pb::ListAuditEventsResponse, tonic::Status> {
    pb::audit_service_client::AuditServiceClient::new(app.channel.clone())
        .list_audit_events(request(filter, Some(token), None))
        .await
        .map(tonic::Response::into_inner)
}

fn kind(event: &pb::AuditEvent) -> pb::AuditEventKind {
    pb::AuditEventKind::try_from(event.kind).unwrap()
}

async fn changes_are_audited_with_principal_and_request_id(backend: Backend) {
    let scratch = ScratchDir::new("audit");
    let issuer = TokenIssuer::new(&scratch);
    let app = spawn_app_with(backend, |settings| use_jwt(settings, &issuer)).await;
    let directory_admin = issuer.token("crm-backend", &["kpi.directory.write"]);
    let policy_admin = issuer.token("ops-lead@example", &["kpi.policy.write"]);
    let connector = issuer.token("genesys-connector", &["kpi.ingest:genesys"]);
    let auditor = issuer.token("auditor", &["kpi.audit.read"]);

    // Directory: a team, an agent in it, then the agent moved.
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

    // A policy version, which also names its creator.
    let created = app
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
    assert_eq!(created.created_by, "ops-lead@example");

    // Records, then a correction batch: one updated, one voided, one replayed.
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

    let all = list(&app, &auditor, pb::ListAuditEventsRequest::default())
        .await
        .unwrap();
    assert_eq!(all.events.len(), 7, "{:#?}", all.events);
    assert!(all.next_page_token.is_empty());
    // Newest first.
    let ids: Vec<i64> = all
        .events
        .iter()
        .map(|event| event.audit_event_id)
        .collect();
    assert!(ids.windows(2).all(|pair| pair[0] > pair[1]), "{ids:?}");

    let correction = &all.events[0];
    assert_eq!(kind(correction), pb::AuditEventKind::RecordsIngested);
    assert_eq!(correction.principal, "genesys-connector");
    assert_eq!(correction.request_id, "req-correction");
    assert_eq!(
        correction.method,
        "/kpi.v1.IngestService/IngestInteractions"
    );
    let Some(pb::audit_event::Change::RecordsIngested(batch)) = &correction.change else {
        panic!("not an ingest change: {correction:?}");
    };
    assert_eq!(batch.record_kind, "interactions");
    assert_eq!(
        (
            batch.created_count,
            batch.updated_count,
            batch.unchanged_count,
            batch.stale_count,
            batch.voided_count
        ),
        (0, 1, 1, 0, 1)
    );
    assert_eq!(batch.updated_keys, vec![key("genesys", "call-1")]);
    assert_eq!(batch.voided_keys, vec![key("genesys", "call-2")]);

    let policy = &all.events[2];
    assert_eq!(kind(policy), pb::AuditEventKind::PolicyVersionCreated);
    assert_eq!(policy.principal, "ops-lead@example");
    assert_eq!(policy.request_id, "req-policy-1");
    let Some(pb::audit_event::Change::PolicyVersionCreated(version)) = &policy.change else {
        panic!("not a policy change: {policy:?}");
    };
    assert_eq!(version.policy_version_id, created.policy_version_id);
    assert_eq!(version.bonus_threshold, 70.0);

    let moved = &all.events[3];
    assert_eq!(kind(moved), pb::AuditEventKind::AgentUpserted);
    assert_eq!(
        (moved.principal.as_str(), moved.request_id.as_str()),
        ("crm-backend", "req-agent-move")
    );
    let Some(pb::audit_event::Change::AgentUpserted(agent)) = &moved.change else {
        panic!("not an agent change: {moved:?}");
    };
    assert_eq!(
        (
            agent.created,
            agent.previous_team_id.as_str(),
            agent.team_id.as_str()
        ),
        (false, "north", "south")
    );

    // Filters: kind, principal, time range; pages of one, bound to the filter.
    let teams = list(
        &app,
        &auditor,
        pb::ListAuditEventsRequest {
            kind: pb::AuditEventKind::TeamUpserted as i32,
            page_size: 1,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(teams.events.len(), 1);
    assert_eq!(teams.events[0].request_id, "req-team-south");
    assert!(!teams.next_page_token.is_empty());
    let second = list(
        &app,
        &auditor,
        pb::ListAuditEventsRequest {
            kind: pb::AuditEventKind::TeamUpserted as i32,
            page_size: 1,
            page_token: teams.next_page_token.clone(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(second.events[0].request_id, "req-team-north");
    assert!(second.next_page_token.is_empty());
    let misuse = list(
        &app,
        &auditor,
        pb::ListAuditEventsRequest {
            principal: "crm-backend".into(),
            page_size: 1,
            page_token: teams.next_page_token,
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(
        misuse.code(),
        Code::InvalidArgument,
        "a token is bound to its filter"
    );

    let by_connector = list(
        &app,
        &auditor,
        pb::ListAuditEventsRequest {
            principal: "genesys-connector".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(by_connector.events.len(), 2);
    let in_the_future = list(
        &app,
        &auditor,
        pb::ListAuditEventsRequest {
            start_time: Some(ts(crate::trust_support::now() + 3600)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(in_the_future.events.is_empty());
    let backwards = list(
        &app,
        &auditor,
        pb::ListAuditEventsRequest {
            start_time: Some(ts(2_000_000_000)),
            end_time: Some(ts(1_000_000_000)),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(backwards.code(), Code::InvalidArgument);
}

async fn the_database_refuses_to_rewrite_the_audit_trail(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    app.directory()
        .upsert_team(pb::UpsertTeamRequest {
            team: Some(pb::Team {
                team_id: "north".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    assert_eq!(app.count_rows("audit_events").await, 1);
    let connection = app.database.connection();
    let backend_kind = connection.get_database_backend();
    for statement in [
        "UPDATE audit_events SET principal = 'someone else'",
        "DELETE FROM audit_events",
    ] {
        let outcome = connection
            .execute(Statement::from_string(backend_kind, statement))
            .await;
        assert!(outcome.is_err(), "{statement} was allowed");
    }
    let events =
        kpi_service::storage::audit::list(app.database.connection(), &Default::default(), 10)
            .await
            .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].actor.principal, "anonymous",
        "mode none audits the anonymous principal"
    );
}

on_both_backends!(
    changes_are_audited_with_principal_and_request_id,
    the_database_refuses_to_rewrite_the_audit_trail,
);
