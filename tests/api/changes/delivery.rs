//! How changes reach readers: a watcher that disconnects and resumes gets
//! every change once; a cursor older than the retention is refused with
//! the oldest one; a slow reader is cut off with its cursor and resumes;
//! draining ends streams with UNAVAILABLE and the last cursor.

use std::{collections::BTreeSet, time::Duration};

use kpi_service::grpc::pb;
use tonic::Code;

use crate::{
    helpers::{error_reason, spawn_app_with, Backend},
    kpi_fixtures::{add_team, call, ingest_interactions, put_agent},
    support::changes::{
        changes_client, error_metadata, latest_cursor, list_all, receive, watch, ARRIVAL,
    },
};

/// `count` calls of agent `agent` on 2026-11-02, one minute apart.
fn calls(prefix: &str, agent: &str, count: usize) -> Vec<pb::Interaction> {
    (0..count)
        .map(|index| {
            call(
                &format!("{prefix}-{index}"),
                agent,
                &format!("2026-11-02T09:{:02}:00Z", index % 60),
            )
        })
        .collect()
}

async fn a_watcher_that_resumes_from_its_last_cursor_gets_every_change_once(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.changes.changes_per_message = 3;
    })
    .await;
    add_team(&app, "north").await;
    for agent in ["ana", "bo", "cy"] {
        put_agent(&app, agent, "north").await;
    }
    let start = latest_cursor(&app.channel).await;
    let mut stream = watch(&app.channel, None, &start).await;
    ingest_interactions(&app, calls("a", "ana", 2)).await;
    ingest_interactions(&app, calls("b", "bo", 1)).await;
    // Read a little, then drop the connection mid-stream.
    let (mut received, mut cursor) = receive(&mut stream, 1).await;
    drop(stream);
    ingest_interactions(&app, calls("c", "cy", 3)).await;
    ingest_interactions(&app, calls("d", "ana", 1)).await;
    let latest = latest_cursor(&app.channel).await;
    let mut stream = watch(&app.channel, None, &cursor).await;
    while cursor != latest {
        let (more, next) = receive(&mut stream, 1).await;
        received.extend(more);
        cursor = next;
    }
    let (listed, _) = list_all(&app.channel, None, &start, 4).await;
    let cursors: Vec<&str> = received
        .iter()
        .map(|change| change.cursor.as_str())
        .collect();
    let unique: BTreeSet<&str> = cursors.iter().copied().collect();
    assert_eq!(unique.len(), cursors.len(), "a change arrived twice");
    assert_eq!(received, listed, "the watcher and the listing disagree");
    assert!(
        listed.len() > 10,
        "too few changes to prove much: {}",
        listed.len()
    );
}

async fn a_cursor_older_than_the_retention_is_refused_with_the_oldest(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.changes.retention_seconds = 1;
        settings.changes.prune_interval_seconds = 1;
    })
    .await;
    add_team(&app, "north").await;
    put_agent(&app, "ana", "north").await;
    let start = latest_cursor(&app.channel).await;
    ingest_interactions(&app, calls("a", "ana", 1)).await;
    let (first, _) = list_all(&app.channel, None, &start, 100).await;
    let old = first[0].cursor.clone();
    // The prune runs every second and removes what is older than a second.
    let deadline = tokio::time::Instant::now() + ARRIVAL;
    let refusal = loop {
        let outcome = changes_client(&app.channel)
            .list_scorecard_changes(pb::ListScorecardChangesRequest {
                since_cursor: old.clone(),
                ..Default::default()
            })
            .await;
        match outcome {
            Err(status) => break status,
            Ok(_) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Ok(_) => panic!("the old cursor was never refused"),
        }
    };
    assert_eq!(refusal.code(), Code::FailedPrecondition, "{refusal:?}");
    assert_eq!(error_reason(&refusal).as_deref(), Some("CURSOR_EXPIRED"));
    let oldest = error_metadata(&refusal, "oldest_cursor").expect("the oldest cursor");
    // The oldest cursor is accepted, by a watch too.
    let (rest, _) = list_all(&app.channel, None, &oldest, 100).await;
    assert!(rest.iter().all(|change| change.cursor != old));
    let watched = changes_client(&app.channel)
        .watch_scorecard_changes(pb::WatchScorecardChangesRequest {
            since_cursor: old,
            ..Default::default()
        })
        .await
        .expect_err("an expired cursor opened a watch");
    assert_eq!(watched.code(), Code::FailedPrecondition);
}

async fn a_slow_reader_is_cut_off_with_its_cursor_and_resumes(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.changes.stream_buffer_messages = 1;
        settings.changes.changes_per_message = 1;
        settings.changes.slow_reader_grace_millis = 200;
    })
    .await;
    add_team(&app, "north").await;
    let agents: Vec<String> = (0..10).map(|index| format!("agent-{index:02}")).collect();
    for agent in &agents {
        put_agent(&app, agent, "north").await;
    }
    let start = latest_cursor(&app.channel).await;
    // A client whose transport buffers little (64 KiB windows), so that
    // the server's side fills up soon.
    let narrow = tonic::transport::Endpoint::from_shared(format!("http://{}", app.address))
        .unwrap()
        .initial_stream_window_size(Some(65_535))
        .initial_connection_window_size(Some(65_535))
        .connect()
        .await
        .unwrap();
    let mut stream = watch(&narrow, None, &start).await;
    // About 2,500 one-change messages (10 agents and their team, a day and
    // a month, a dozen KPIs, 10 days) while the client reads nothing.
    for day in 1..=10 {
        let batch = agents
            .iter()
            .map(|agent| {
                call(
                    &format!("s{day}-{agent}"),
                    agent,
                    &format!("2026-11-{day:02}T09:05:00Z"),
                )
            })
            .collect();
        ingest_interactions(&app, batch).await;
    }
    let (all, _) = list_all(&app.channel, None, &start, 1000).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut received = Vec::new();
    let mut progress = String::new();
    let deadline = tokio::time::Instant::now() + ARRIVAL;
    let status = loop {
        match tokio::time::timeout_at(deadline, stream.message()).await {
            Ok(Ok(Some(message))) => {
                received.extend(message.changes);
                progress = message.progress_cursor;
            }
            Ok(Ok(None)) => panic!("the stream ended without a status"),
            Ok(Err(status)) => break status,
            Err(_) => panic!(
                "the slow reader was never cut off ({} of {} changes received)",
                received.len(),
                all.len()
            ),
        }
    };
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(error_reason(&status).as_deref(), Some("SLOW_READER"));
    // The cursor to resume from is the last message's progress: past the
    // last change received, and past the rest of its row when that row
    // holds no more changes.
    let last = error_metadata(&status, "last_cursor").expect("the last cursor");
    assert_eq!(last, progress);
    assert!(received.len() < all.len(), "nothing was cut off");
    // Resuming from the last cursor gets the rest, once.
    let (rest, _) = list_all(&app.channel, None, &last, 1000).await;
    received.extend(rest);
    assert_eq!(received, all);
}

async fn draining_ends_streams_with_unavailable_and_the_last_cursor(backend: Backend) {
    let mut app = spawn_app_with(backend, |settings| {
        settings.changes.heartbeat_seconds = 1;
    })
    .await;
    add_team(&app, "north").await;
    put_agent(&app, "ana", "north").await;
    let start = latest_cursor(&app.channel).await;
    let mut stream = watch(&app.channel, None, &start).await;
    ingest_interactions(&app, calls("a", "ana", 1)).await;
    let (received, _) = receive(&mut stream, 1).await;
    let server = app.begin_shutdown();
    let mut last_progress = String::new();
    let status = loop {
        match tokio::time::timeout(ARRIVAL, stream.message()).await {
            Ok(Ok(Some(message))) => last_progress = message.progress_cursor,
            Ok(Ok(None)) => panic!("the stream ended without a status"),
            Ok(Err(status)) => break status,
            Err(_) => panic!("draining did not end the stream"),
        }
    };
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(error_reason(&status).as_deref(), Some("SERVER_DRAINING"));
    let last = error_metadata(&status, "last_cursor").expect("the last cursor");
    assert!(!received.is_empty());
    if !last_progress.is_empty() {
        assert_eq!(last, last_progress);
    }
    let stopped = tokio::time::timeout(Duration::from_secs(10), server).await;
    assert!(stopped.is_ok(), "the server did not stop");
}

async fn a_heartbeat_tells_an_idle_watcher_it_is_current(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.changes.heartbeat_seconds = 1;
    })
    .await;
    let filter = pb::ScorecardChangeFilter {
        kpi_ids: vec!["csat".into()],
        ..Default::default()
    };
    add_team(&app, "north").await;
    put_agent(&app, "ana", "north").await;
    let mut stream = watch(&app.channel, Some(filter), "").await;
    // A change that does not pass the filter still moves the progress.
    ingest_interactions(&app, calls("a", "ana", 1)).await;
    let latest = latest_cursor(&app.channel).await;
    let deadline = tokio::time::Instant::now() + ARRIVAL;
    loop {
        let message = tokio::time::timeout_at(deadline, stream.message())
            .await
            .expect("no heartbeat at the latest cursor")
            .expect("the stream failed")
            .expect("the stream ended");
        assert!(message.changes.is_empty(), "{message:?}");
        if message.progress_cursor == latest {
            break;
        }
    }
}

crate::on_both_backends!(
    a_watcher_that_resumes_from_its_last_cursor_gets_every_change_once,
    a_cursor_older_than_the_retention_is_refused_with_the_oldest,
    a_slow_reader_is_cut_off_with_its_cursor_and_resumes,
    draining_ends_streams_with_unavailable_and_the_last_cursor,
    a_heartbeat_tells_an_idle_watcher_it_is_current,
);
