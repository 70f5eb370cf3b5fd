//! A record delivered again: a replay changes nothing, a correction
//! replaces the stored row, an older revision is stale, a void is kept and
//! can be restored.

use kpi_service::{grpc::pb, storage::entities};
use pb::IngestOutcome::{Stale, Unchanged, Updated, Voided};
use sea_orm::EntityTrait;

use crate::{
    on_both_backends,
    support::{
        app::{spawn_app, Backend, TestApp},
        ingest::{ingest_interactions, ingest_violations, interactions, outcomes},
        records::{interaction, violation},
    },
};

on_both_backends!(
    a_replay_is_unchanged_and_registers_no_one,
    a_replay_leaves_the_stored_rows_untouched,
    a_correction_is_reported_updated,
    a_correction_replaces_the_stored_row_instead_of_adding_one,
    an_older_revision_arriving_late_is_stale_and_the_newer_survives,
    a_higher_revision_after_a_stale_one_is_an_update,
    a_voided_record_is_kept_and_marked_void,
    a_void_sent_again_is_unchanged,
    a_voided_record_sent_without_the_flag_is_restored,
);

async fn stored_interactions(app: &TestApp) -> Vec<entities::interaction::Model> {
    entities::interaction::Entity::find()
        .all(app.database.connection())
        .await
        .unwrap()
}

async fn stored_violations(app: &TestApp) -> Vec<entities::violation::Model> {
    entities::violation::Entity::find()
        .all(app.database.connection())
        .await
        .unwrap()
}

async fn send_interactions(
    app: &TestApp,
    items: Vec<pb::Interaction>,
) -> pb::IngestInteractionsResponse {
    app.ingest()
        .ingest_interactions(interactions(items))
        .await
        .unwrap()
        .into_inner()
}

async fn send_violations(app: &TestApp, items: Vec<pb::Violation>) -> pb::IngestViolationsResponse {
    app.ingest()
        .ingest_violations(pb::IngestViolationsRequest { violations: items })
        .await
        .unwrap()
        .into_inner()
}

fn two_calls() -> Vec<pb::Interaction> {
    vec![interaction("call-1", "ana"), interaction("call-2", "ana")]
}

async fn a_replay_is_unchanged_and_registers_no_one(backend: Backend) {
    let app = spawn_app(backend).await;
    ingest_interactions(&app, two_calls()).await;

    let reply = send_interactions(&app, two_calls()).await;

    assert_eq!(outcomes(&reply.results), vec![Unchanged, Unchanged]);
    assert!(reply.registered_agent_ids.is_empty());
}

async fn a_replay_leaves_the_stored_rows_untouched(backend: Backend) {
    let app = spawn_app(backend).await;
    ingest_interactions(&app, two_calls()).await;
    let first = stored_interactions(&app).await;

    send_interactions(&app, two_calls()).await;

    assert_eq!(
        stored_interactions(&app).await,
        first,
        "a replay must not touch the stored rows"
    );
    assert_eq!(app.count_rows("interactions").await, 2);
}

fn corrected_call_1() -> pb::Interaction {
    pb::Interaction {
        talk_seconds: 300,
        escalated: true,
        ..interaction("call-1", "ana")
    }
}

async fn a_correction_is_reported_updated(backend: Backend) {
    let app = spawn_app(backend).await;
    ingest_interactions(&app, vec![interaction("call-1", "ana")]).await;

    let reply = send_interactions(&app, vec![corrected_call_1()]).await;

    assert_eq!(outcomes(&reply.results), vec![Updated]);
}

async fn a_correction_replaces_the_stored_row_instead_of_adding_one(backend: Backend) {
    let app = spawn_app(backend).await;
    ingest_interactions(&app, vec![interaction("call-1", "ana")]).await;

    send_interactions(&app, vec![corrected_call_1()]).await;

    let rows = stored_interactions(&app).await;
    assert_eq!(rows.len(), 1, "a correction replaces, it does not add");
    assert_eq!(rows[0].talk_seconds, 300);
    assert!(rows[0].escalated);
}

fn revision(number: i64, complaint: bool) -> pb::Interaction {
    pb::Interaction {
        revision: Some(number),
        complaint,
        ..interaction("call-1", "ana")
    }
}

async fn an_older_revision_arriving_late_is_stale_and_the_newer_survives(backend: Backend) {
    let app = spawn_app(backend).await;
    ingest_interactions(&app, vec![revision(2, true)]).await;

    let reply = send_interactions(&app, vec![revision(1, false)]).await;

    assert_eq!(outcomes(&reply.results), vec![Stale]);
    let rows = stored_interactions(&app).await;
    assert!(rows[0].complaint, "the newer revision must survive");
    assert_eq!(rows[0].revision, Some(2));
}

async fn a_higher_revision_after_a_stale_one_is_an_update(backend: Backend) {
    let app = spawn_app(backend).await;
    ingest_interactions(&app, vec![revision(2, true)]).await;
    send_interactions(&app, vec![revision(1, false)]).await;

    let reply = send_interactions(&app, vec![revision(3, false)]).await;

    assert_eq!(outcomes(&reply.results), vec![Updated]);
}

fn voided_v1() -> pb::Violation {
    pb::Violation {
        voided: true,
        ..violation("v-1", "ana")
    }
}

async fn a_voided_record_is_kept_and_marked_void(backend: Backend) {
    let app = spawn_app(backend).await;
    ingest_violations(&app, vec![violation("v-1", "ana")]).await;

    let reply = send_violations(&app, vec![voided_v1()]).await;

    assert_eq!(outcomes(&reply.results), vec![Voided]);
    let rows = stored_violations(&app).await;
    assert_eq!(rows.len(), 1);
    assert!(rows[0].voided);
}

async fn a_void_sent_again_is_unchanged(backend: Backend) {
    let app = spawn_app(backend).await;
    ingest_violations(&app, vec![violation("v-1", "ana")]).await;
    ingest_violations(&app, vec![voided_v1()]).await;

    let reply = send_violations(&app, vec![voided_v1()]).await;

    assert_eq!(outcomes(&reply.results), vec![Unchanged]);
}

async fn a_voided_record_sent_without_the_flag_is_restored(backend: Backend) {
    let app = spawn_app(backend).await;
    ingest_violations(&app, vec![violation("v-1", "ana")]).await;
    ingest_violations(&app, vec![voided_v1()]).await;

    let reply = send_violations(&app, vec![violation("v-1", "ana")]).await;

    assert_eq!(outcomes(&reply.results), vec![Updated]);
    assert!(!stored_violations(&app).await[0].voided);
}
