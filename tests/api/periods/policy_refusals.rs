//! A policy version and the closed months: a version effective inside one
//! is refused, the refusal is audited and nothing is stored; a retry of a
//! request answered before the month closed gets its first answer.

use kpi_service::{
    domain::audit::{AuditChange, AuditFilter, AuditKind},
    grpc::pb::{self, period_service_client::PeriodServiceClient},
};
use tonic::Code;

use crate::{
    helpers::{error_reason, spawn_app, Backend, TestApp},
    kpi_fixtures::{add_team, at_least},
    on_both_backends,
};

on_both_backends!(
    a_refused_version_is_audited_and_stores_nothing,
    a_retried_creation_gets_its_first_answer_after_the_month_closed,
);

async fn close(app: &TestApp, month: &str) {
    PeriodServiceClient::new(app.channel.clone())
        .close_period(pb::ClosePeriodRequest {
            month: month.into(),
            request_id: String::new(),
            ..Default::default()
        })
        .await
        .unwrap_or_else(|status| panic!("ClosePeriod({month}) failed: {status:?}"));
}

fn version(
    team_id: &str,
    effective_from: &str,
    request_id: &str,
) -> pb::CreatePolicyVersionRequest {
    pb::CreatePolicyVersionRequest {
        request_id: request_id.into(),
        policy: Some(pb::PolicyVersion {
            team_id: team_id.into(),
            effective_from: effective_from.into(),
            rules: vec![at_least("csat", 10.0)],
            bonus_threshold: 0.0,
            ..Default::default()
        }),
    }
}

async fn versions_of(app: &TestApp, team_id: &str) -> Vec<pb::PolicyVersion> {
    app.policies()
        .list_policy_versions(pb::ListPolicyVersionsRequest {
            team_id: team_id.into(),
            ..Default::default()
        })
        .await
        .expect("listing versions failed")
        .into_inner()
        .policies
}

async fn a_refused_version_is_audited_and_stores_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    add_team(&app, "red").await;
    close(&app, "2026-09").await;
    close(&app, "2026-10").await;

    let refused = app
        .policies()
        .create_policy_version(version("red", "2026-09-15", ""))
        .await
        .expect_err("a version inside a closed month must be refused");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(error_reason(&refused).as_deref(), Some("PERIOD_CLOSED"));
    assert!(
        refused.message().contains("2026-09"),
        "the first closed month it would change: {}",
        refused.message()
    );
    assert!(versions_of(&app, "red").await.is_empty());

    let refusals = kpi_service::storage::audit::list(
        app.database.connection(),
        &AuditFilter {
            kind: Some(AuditKind::ChangeRefused),
            ..Default::default()
        },
        10,
    )
    .await
    .unwrap();
    let refusals: Vec<AuditChange> = refusals.into_iter().map(|event| event.change).collect();
    assert_eq!(
        refusals,
        vec![AuditChange::ChangeRefused {
            what: "policy_version".into(),
            subject: "red".into(),
            effective_from: "2026-09-15".into(),
            closed_month: "2026-09".into(),
        }]
    );
    let created = kpi_service::storage::audit::list(
        app.database.connection(),
        &AuditFilter {
            kind: Some(AuditKind::PolicyVersionCreated),
            ..Default::default()
        },
        10,
    )
    .await
    .unwrap();
    assert!(created.is_empty(), "{created:?}");
}

async fn a_retried_creation_gets_its_first_answer_after_the_month_closed(backend: Backend) {
    let app = spawn_app(backend).await;
    let request = version("", "2026-10-01", "payroll-october-policy");
    let first = app
        .policies()
        .create_policy_version(request.clone())
        .await
        .expect("October is open")
        .into_inner();
    close(&app, "2026-10").await;

    let retry = app
        .policies()
        .create_policy_version(request)
        .await
        .expect("a retry of an answered request is not a new change")
        .into_inner();
    assert_eq!(retry, first);
    assert_eq!(versions_of(&app, "").await.len(), 1);

    // A new request effective in the closed month is refused.
    let refused = app
        .policies()
        .create_policy_version(version("", "2026-10-01", "payroll-october-policy-2"))
        .await
        .expect_err("October is closed");
    assert_eq!(refused.code(), Code::FailedPrecondition);
}
