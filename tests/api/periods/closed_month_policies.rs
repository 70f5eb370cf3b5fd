//! A policy version effective inside a closed month is refused; one
//! effective in an open month applies, once per request id.

use kpi_service::grpc::pb;
use tonic::Code;

use crate::{
    on_both_backends,
    support::{
        app::{error_reason, spawn_app, Backend, TestApp},
        periods::close_month,
        policies::at_least,
    },
};

on_both_backends!(
    a_policy_effective_inside_a_closed_month_is_refused,
    a_policy_in_an_open_month_sent_twice_with_one_request_id_is_stored_once,
    a_request_id_reused_for_another_policy_is_invalid,
);

fn policy(effective_from: &str) -> pb::CreatePolicyVersionRequest {
    pb::CreatePolicyVersionRequest {
        policy: Some(pb::PolicyVersion {
            effective_from: effective_from.into(),
            bonus_threshold: 0.0,
            rules: vec![at_least("csat", 10.0)],
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

fn with_request_id(effective_from: &str) -> pb::CreatePolicyVersionRequest {
    pb::CreatePolicyVersionRequest {
        request_id: "payroll-policy-1".into(),
        ..policy(effective_from)
    }
}

async fn october_closed_without_data(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    close_month(&app, "2026-10").await;
    app
}

async fn a_policy_effective_inside_a_closed_month_is_refused(backend: Backend) {
    let app = october_closed_without_data(backend).await;

    for back_dated in ["2026-10-15", "2026-09-01"] {
        let refused = app
            .policies()
            .create_policy_version(policy(back_dated))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::FailedPrecondition, "{back_dated}");
        assert_eq!(error_reason(&refused).as_deref(), Some("PERIOD_CLOSED"));
        assert!(
            refused.message().contains("2026-10"),
            "{}",
            refused.message()
        );
    }
}

async fn a_policy_in_an_open_month_sent_twice_with_one_request_id_is_stored_once(backend: Backend) {
    let app = october_closed_without_data(backend).await;

    let first = app
        .policies()
        .create_policy_version(with_request_id("2026-11-01"))
        .await
        .expect("a policy effective in an open month applies")
        .into_inner();
    let retry = app
        .policies()
        .create_policy_version(with_request_id("2026-11-01"))
        .await
        .unwrap()
        .into_inner();

    assert_eq!(first, retry);
    let versions = app
        .policies()
        .list_policy_versions(pb::ListPolicyVersionsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(versions.policies.len(), 1);
}

async fn a_request_id_reused_for_another_policy_is_invalid(backend: Backend) {
    let app = october_closed_without_data(backend).await;
    app.policies()
        .create_policy_version(with_request_id("2026-11-01"))
        .await
        .unwrap();

    let reused = app
        .policies()
        .create_policy_version(with_request_id("2026-12-01"))
        .await
        .unwrap_err();

    assert_eq!(reused.code(), Code::InvalidArgument);
    let versions = app
        .policies()
        .list_policy_versions(pb::ListPolicyVersionsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(versions.policies.len(), 1, "the reuse stored nothing");
}
