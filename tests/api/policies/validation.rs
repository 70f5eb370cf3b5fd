//! A policy with bad rules is refused with a field violation per broken
//! rule, and nothing is stored.

use kpi_service::grpc::pb;
use tonic::Code;

use crate::{
    on_both_backends,
    support::{
        app::{error_reason, field_violations, spawn_app, Backend, TestApp},
        policies::{at_least, at_most, between},
    },
};

on_both_backends!(
    a_policy_with_bad_rules_is_refused_listing_every_violation,
    a_refused_policy_stores_nothing,
    a_policy_for_an_unknown_team_is_not_found,
);

/// An organisation policy whose rules 0-6, threshold and date are broken
/// (rule 7 is fine).
fn policy_with_bad_rules() -> pb::PolicyVersion {
    pb::PolicyVersion {
        team_id: String::new(),
        effective_from: "2026-13-01".into(),
        bonus_threshold: 150.0,
        rules: vec![
            // [0] a rate cannot reach 120 %.
            at_least("csat", 120.0),
            // [1] not in the catalogue.
            at_least("speed", 1.0),
            // [2] low > high.
            between("occupancy", 90.0, 75.0),
            // [3] negative weight.
            pb::KpiRule {
                weight: -1.0,
                ..at_most("aht", 300.0)
            },
            // [4] a second rule for aht.
            at_most("aht", 400.0),
            // [5] negative warning band.
            pb::KpiRule {
                warning_band: Some(-1.0),
                ..at_least("nps", 50.0)
            },
            // [6] negative minimum sample size.
            pb::KpiRule {
                min_sample_size: -3,
                ..at_least("fcr_rate", 80.0)
            },
            // [7] fine.
            at_most("escalation_rate", 10.0),
        ],
        ..Default::default()
    }
}

async fn create(app: &TestApp, policy: pb::PolicyVersion) -> Result<(), tonic::Status> {
    app.policies()
        .create_policy_version(pb::CreatePolicyVersionRequest {
            policy: Some(policy),
            request_id: String::new(),
        })
        .await
        .map(drop)
}

async fn a_policy_with_bad_rules_is_refused_listing_every_violation(backend: Backend) {
    let app = spawn_app(backend).await;

    let status = create(&app, policy_with_bad_rules()).await.unwrap_err();

    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(error_reason(&status).as_deref(), Some("INVALID_FIELDS"));
    let fields: Vec<String> = field_violations(&status)
        .into_iter()
        .map(|(field, _)| field)
        .collect();
    for prefix in [
        "policy.rules[0]",
        "policy.rules[1]",
        "policy.rules[2]",
        "policy.rules[3]",
        "policy.rules[4]",
        "policy.rules[5]",
        "policy.rules[6]",
        "policy.bonus_threshold",
        "policy.effective_from",
    ] {
        assert!(
            fields.iter().any(|field| field.starts_with(prefix)),
            "no violation at {prefix}: {fields:?}"
        );
    }
    assert!(
        !fields
            .iter()
            .any(|field| field.starts_with("policy.rules[7]")),
        "rule 7 is valid: {fields:?}"
    );
}

async fn a_refused_policy_stores_nothing(backend: Backend) {
    let app = spawn_app(backend).await;

    let _refused = create(&app, policy_with_bad_rules()).await.unwrap_err();

    let versions = app
        .policies()
        .list_policy_versions(pb::ListPolicyVersionsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(versions.policies.is_empty());
}

async fn a_policy_for_an_unknown_team_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;

    let status = create(
        &app,
        pb::PolicyVersion {
            team_id: "ghost".into(),
            effective_from: "2026-11-01".into(),
            bonus_threshold: 80.0,
            rules: vec![at_least("csat", 85.0)],
            ..Default::default()
        },
    )
    .await
    .unwrap_err();

    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(error_reason(&status).as_deref(), Some("TEAM_NOT_FOUND"));
}
