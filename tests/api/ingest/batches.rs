//! A batch of the largest default size commits in one call, and replays
//! in one call.

use kpi_service::grpc::pb;
use pb::IngestOutcome::{Created, Unchanged};

use crate::{
    on_both_backends,
    support::{
        app::{spawn_app, Backend},
        ingest::{ingest_interactions, interactions, outcomes},
        records::interaction,
    },
};

on_both_backends!(
    a_batch_of_a_thousand_is_created_in_one_call,
    a_batch_of_a_thousand_replayed_is_unchanged,
);

/// 1,000 calls of 50 agents, 20 each.
fn thousand_calls() -> Vec<pb::Interaction> {
    (0..1000)
        .map(|n| interaction(&format!("call-{n}"), &format!("agent-{}", n % 50)))
        .collect()
}

async fn a_batch_of_a_thousand_is_created_in_one_call(backend: Backend) {
    let app = spawn_app(backend).await;

    let reply = app
        .ingest()
        .ingest_interactions(interactions(thousand_calls()))
        .await
        .unwrap()
        .into_inner();

    assert_eq!(reply.results.len(), 1000);
    assert!(outcomes(&reply.results)
        .iter()
        .all(|outcome| *outcome == Created));
    assert_eq!(reply.registered_agent_ids.len(), 50);
    assert_eq!(app.count_rows("interactions").await, 1000);
}

async fn a_batch_of_a_thousand_replayed_is_unchanged(backend: Backend) {
    let app = spawn_app(backend).await;
    ingest_interactions(&app, thousand_calls()).await;

    let replay = app
        .ingest()
        .ingest_interactions(interactions(thousand_calls()))
        .await
        .unwrap()
        .into_inner();

    assert!(outcomes(&replay.results)
        .iter()
        .all(|outcome| *outcome == Unchanged));
    assert_eq!(app.count_rows("interactions").await, 1000);
}
