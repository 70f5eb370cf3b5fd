//! Every rule a source system can break gives INVALID_ARGUMENT with a field
//! violation at the right path, and a rejected batch writes nothing.

use kpi_service::grpc::pb;
use tonic::Code;

use super::broken_rules::{broken_rules, send};
use crate::{
    on_both_backends,
    support::{
        app::{error_reason, field_violations, spawn_app, spawn_app_with, Backend, TestApp},
        ingest::interactions,
        records::interaction,
    },
};

on_both_backends!(
    each_broken_rule_is_reported_at_its_field_and_nothing_is_written,
    an_invalid_item_rejects_the_whole_batch_listing_every_violation,
    a_batch_with_an_invalid_item_writes_none_of_its_valid_items,
    a_batch_above_the_maximum_size_is_rejected,
);

async fn total_rows(app: &TestApp) -> i64 {
    let mut total = 0;
    for table in [
        "interactions",
        "survey_responses",
        "qa_evaluations",
        "compliance_checks",
        "violations",
        "training_assignments",
        "agent_time",
        "agents",
    ] {
        total += app.count_rows(table).await;
    }
    total
}

async fn each_broken_rule_is_reported_at_its_field_and_nothing_is_written(backend: Backend) {
    let app = spawn_app(backend).await;
    for (rule, batch, field) in broken_rules() {
        let status = send(&app, batch).await.expect_err(rule);
        assert_eq!(status.code(), Code::InvalidArgument, "{rule}: {status:?}");
        assert_eq!(
            error_reason(&status).as_deref(),
            Some("INVALID_FIELDS"),
            "{rule}"
        );
        let violations = field_violations(&status);
        assert!(
            violations.iter().any(|(path, _)| path == field),
            "{rule}: expected a violation at {field}, got {violations:?}"
        );
        assert!(
            !status.message().is_empty() && status.message().contains(field),
            "{rule}: {}",
            status.message()
        );
        assert_eq!(
            total_rows(&app).await,
            0,
            "{rule}: a rejected batch must write nothing"
        );
    }
}

/// Four calls; the second has a negative talk time and no channel, the
/// fourth no agent.
fn batch_with_two_invalid_items() -> Vec<pb::Interaction> {
    let mut second = interaction("call-2", "bob");
    second.talk_seconds = -3;
    second.channel = 0;
    let mut fourth = interaction("call-4", "dan");
    fourth.agent_id.clear();
    vec![
        interaction("call-1", "ana"),
        second,
        interaction("call-3", "cid"),
        fourth,
    ]
}

async fn an_invalid_item_rejects_the_whole_batch_listing_every_violation(backend: Backend) {
    let app = spawn_app(backend).await;

    let status = app
        .ingest()
        .ingest_interactions(interactions(batch_with_two_invalid_items()))
        .await
        .unwrap_err();

    assert_eq!(status.code(), Code::InvalidArgument);
    let mut paths: Vec<String> = field_violations(&status)
        .into_iter()
        .map(|(path, _)| path)
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        vec![
            "interactions[1].channel",
            "interactions[1].talk_seconds",
            "interactions[3].agent_id",
        ]
    );
}

async fn a_batch_with_an_invalid_item_writes_none_of_its_valid_items(backend: Backend) {
    let app = spawn_app(backend).await;

    let _refused = app
        .ingest()
        .ingest_interactions(interactions(batch_with_two_invalid_items()))
        .await
        .unwrap_err();

    assert_eq!(
        total_rows(&app).await,
        0,
        "the valid items must not be written either"
    );
}

async fn a_batch_above_the_maximum_size_is_rejected(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.ingest.max_batch_size = 5).await;
    let batch: Vec<pb::Interaction> = (0..6)
        .map(|n| interaction(&format!("call-{n}"), "ana"))
        .collect();

    let status = app
        .ingest()
        .ingest_interactions(interactions(batch))
        .await
        .unwrap_err();

    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(error_reason(&status).as_deref(), Some("BATCH_TOO_LARGE"));
    assert_eq!(field_violations(&status)[0].0, "interactions");
    assert_eq!(total_rows(&app).await, 0);
}
