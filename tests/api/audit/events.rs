//! Each change is audited with its principal, request id and method, and
//! what it changed.

use kpi_service::grpc::pb;

use super::{every_event, kind, list, seven_audited_changes};
use crate::{
    on_both_backends,
    support::{app::Backend, records::key},
};

on_both_backends!(
    every_change_is_listed_newest_first,
    a_correction_batch_is_audited_with_its_principal_request_id_and_keys,
    a_policy_creation_is_audited_and_names_its_creator,
    an_agent_move_is_audited_with_the_team_it_left,
);

async fn every_change_is_listed_newest_first(backend: Backend) {
    let changes = seven_audited_changes(backend).await;

    let all = list(
        &changes.app,
        &changes.auditor,
        pb::ListAuditEventsRequest::default(),
    )
    .await
    .unwrap();

    assert_eq!(all.events.len(), 7, "{:#?}", all.events);
    assert!(all.next_page_token.is_empty());
    let ids: Vec<i64> = all
        .events
        .iter()
        .map(|event| event.audit_event_id)
        .collect();
    assert!(ids.windows(2).all(|pair| pair[0] > pair[1]), "{ids:?}");
}

async fn a_correction_batch_is_audited_with_its_principal_request_id_and_keys(backend: Backend) {
    let changes = seven_audited_changes(backend).await;

    let events = every_event(&changes).await;

    let correction = &events[0];
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
}

async fn a_policy_creation_is_audited_and_names_its_creator(backend: Backend) {
    let changes = seven_audited_changes(backend).await;

    let events = every_event(&changes).await;

    assert_eq!(changes.policy.created_by, "ops-lead@example");
    let policy = &events[2];
    assert_eq!(kind(policy), pb::AuditEventKind::PolicyVersionCreated);
    assert_eq!(policy.principal, "ops-lead@example");
    assert_eq!(policy.request_id, "req-policy-1");
    let Some(pb::audit_event::Change::PolicyVersionCreated(version)) = &policy.change else {
        panic!("not a policy change: {policy:?}");
    };
    assert_eq!(version.policy_version_id, changes.policy.policy_version_id);
    assert_eq!(version.bonus_threshold, 70.0);
}

async fn an_agent_move_is_audited_with_the_team_it_left(backend: Backend) {
    let changes = seven_audited_changes(backend).await;

    let events = every_event(&changes).await;

    let moved = &events[3];
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
}
