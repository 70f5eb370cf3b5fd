//! The change feed across processes: batches ingested on replica A reach a
//! watcher on replica B (woken by PostgreSQL `NOTIFY`, read from the shared
//! log), in cursor order, each once, and agree with a listing on either
//! replica; a watcher that moves to the other replica mid-stream resumes
//! there from its last cursor without loss or duplicates.

use std::collections::BTreeSet;

use kpi_service::grpc::pb;

use super::Replicas;
use crate::{
    kpi_fixtures::call,
    support::changes::{latest_cursor, list_all, receive, subjects, watch},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_on_one_replica_reaches_a_watcher_on_the_other() {
    let replicas = Replicas::start(2).await;
    let (a, b) = (&replicas[0], &replicas[1]);
    let start = latest_cursor(&b.channel).await;
    let mut on_b = watch(&b.channel, Some(subjects(&["ana", "bo"], &[])), &start).await;
    let batch = |prefix: &str, agent: &str| -> Vec<pb::Interaction> {
        (0..3)
            .map(|index| {
                call(
                    &format!("{prefix}-{index}"),
                    agent,
                    &format!("2026-11-0{}T09:05:00Z", index + 2),
                )
            })
            .collect()
    };
    a.ingest_interactions(batch("a", "ana")).await.unwrap();
    let (mut received, mut progress) = receive(&mut on_b, 1).await;
    // The watcher moves from B to A mid-stream, while B and A both write.
    drop(on_b);
    b.ingest_interactions(batch("b", "bo")).await.unwrap();
    a.ingest_interactions(batch("c", "ana")).await.unwrap();
    let latest = latest_cursor(&a.channel).await;
    let mut on_a = watch(&a.channel, Some(subjects(&["ana", "bo"], &[])), &progress).await;
    while progress != latest {
        let (more, next) = receive(&mut on_a, 1).await;
        received.extend(more);
        progress = next;
    }
    let cursors: BTreeSet<&str> = received
        .iter()
        .map(|change| change.cursor.as_str())
        .collect();
    assert_eq!(cursors.len(), received.len(), "a change arrived twice");
    let (listed_on_a, _) =
        list_all(&a.channel, Some(subjects(&["ana", "bo"], &[])), &start, 50).await;
    let (listed_on_b, _) =
        list_all(&b.channel, Some(subjects(&["ana", "bo"], &[])), &start, 50).await;
    assert_eq!(received, listed_on_a);
    assert_eq!(listed_on_a, listed_on_b);
    assert!(received.iter().any(|change| change.agent_id == "bo"));
    assert!(received.iter().any(|change| change.agent_id == "ana"));
}
