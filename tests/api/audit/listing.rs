//! The audit list filters by kind, principal and time, and pages one
//! event at a time with tokens bound to their filter.

use kpi_service::grpc::pb;
use tonic::Code;

use super::{list, seven_audited_changes};
use crate::{
    on_both_backends,
    support::app::{ts, Backend},
};

on_both_backends!(
    audit_events_filter_by_kind_one_page_at_a_time,
    an_audit_page_token_is_bound_to_its_filter,
    audit_events_filter_by_principal,
    a_time_range_in_the_future_lists_nothing,
    a_time_range_ending_before_it_starts_is_invalid,
);

fn team_events(page_token: &str) -> pb::ListAuditEventsRequest {
    pb::ListAuditEventsRequest {
        kind: pb::AuditEventKind::TeamUpserted as i32,
        page_size: 1,
        page_token: page_token.into(),
        ..Default::default()
    }
}

async fn audit_events_filter_by_kind_one_page_at_a_time(backend: Backend) {
    let changes = seven_audited_changes(backend).await;
    let (app, auditor) = (&changes.app, &changes.auditor);

    let first = list(app, auditor, team_events("")).await.unwrap();
    let second = list(app, auditor, team_events(&first.next_page_token))
        .await
        .unwrap();

    assert_eq!(first.events.len(), 1);
    assert_eq!(first.events[0].request_id, "req-team-south");
    assert!(!first.next_page_token.is_empty());
    assert_eq!(second.events[0].request_id, "req-team-north");
    assert!(second.next_page_token.is_empty());
}

async fn an_audit_page_token_is_bound_to_its_filter(backend: Backend) {
    let changes = seven_audited_changes(backend).await;
    let (app, auditor) = (&changes.app, &changes.auditor);
    let first = list(app, auditor, team_events("")).await.unwrap();

    let misuse = list(
        app,
        auditor,
        pb::ListAuditEventsRequest {
            principal: "crm-backend".into(),
            page_size: 1,
            page_token: first.next_page_token,
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
}

async fn audit_events_filter_by_principal(backend: Backend) {
    let changes = seven_audited_changes(backend).await;

    let by_connector = list(
        &changes.app,
        &changes.auditor,
        pb::ListAuditEventsRequest {
            principal: "genesys-connector".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    // The first batch and the correction.
    assert_eq!(by_connector.events.len(), 2);
}

async fn a_time_range_in_the_future_lists_nothing(backend: Backend) {
    let changes = seven_audited_changes(backend).await;

    let in_the_future = list(
        &changes.app,
        &changes.auditor,
        pb::ListAuditEventsRequest {
            start_time: Some(ts(crate::trust_support::now() + 3600)),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    assert!(in_the_future.events.is_empty());
}

async fn a_time_range_ending_before_it_starts_is_invalid(backend: Backend) {
    let changes = seven_audited_changes(backend).await;

    let backwards = list(
        &changes.app,
        &changes.auditor,
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
