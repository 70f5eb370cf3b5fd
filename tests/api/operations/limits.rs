//! The call guard's limits, seen from a client and from the metrics: past
//! the concurrency limits a call is shed at once with RESOURCE_EXHAUSTED
//! (never queued), heavy calls have a smaller limit of their own, health
//! answers throughout, and a call past the server's time limit is answered
//! DEADLINE_EXCEEDED. Every wait is on the server's own in-flight count,
//! never on the clock.

use kpi_service::grpc::pb;
use sea_orm::{DatabaseTransaction, TransactionTrait};
use tokio::task::JoinHandle;
use tonic::Code;
use tonic_health::pb::{
    health_check_response::ServingStatus, health_client::HealthClient, HealthCheckRequest,
};
use tonic_types::StatusExt;

use super::support::{
    handled, scrape, spawn_observed_app, value, wait_for_health, wait_for_in_flight, PATIENCE,
};
use crate::{
    fixtures::{interaction, interactions},
    helpers::{error_reason, Backend, TestApp},
    kpi_fixtures::{add_team, month, put_agent},
    on_both_backends,
};

on_both_backends!(
    a_call_past_the_time_limit_is_answered_deadline_exceeded_and_counted_so,
    a_call_past_the_concurrency_limit_is_shed_at_once_and_counted,
    a_heavy_call_past_the_heavy_limit_is_shed_though_the_overall_limit_has_room,
    health_answers_while_every_slot_is_taken,
);

const INGEST: &str = "/kpi.v1.IngestService/IngestInteractions";
const GET_AGENT: &str = "/kpi.v1.DirectoryService/GetAgent";
const LIST_SCORECARDS: &str = "/kpi.v1.ScorecardService/ListAgentScorecards";

/// A call that is admitted and then waits for the (held) database.
fn get_agent(app: &TestApp) -> JoinHandle<Result<(), tonic::Status>> {
    let mut client = app.directory();
    tokio::spawn(async move {
        client
            .get_agent(pb::GetAgentRequest {
                agent_id: "ana".into(),
            })
            .await
            .map(drop)
    })
}

fn list_scorecards(app: &TestApp) -> JoinHandle<Result<(), tonic::Status>> {
    let mut client = app.scorecards();
    tokio::spawn(async move {
        client
            .list_agent_scorecards(pb::ListAgentScorecardsRequest {
                period: Some(month("2026-11")),
                ..Default::default()
            })
            .await
            .map(drop)
    })
}

#[track_caller]
fn assert_shed(status: &tonic::Status, reason: &str) {
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(error_reason(status).as_deref(), Some(reason));
    assert!(status.get_details_retry_info().is_some(), "{status:?}");
    assert!(status.metadata().get("grpc-retry-pushback-ms").is_some());
}

/// A server allowing 3 calls (1 heavy) over one database connection, and
/// that connection held by the test: admitted calls stay in flight until
/// the test lets go.
async fn saturable_app(backend: Backend) -> (TestApp, DatabaseTransaction) {
    let app = spawn_observed_app(backend, |settings| {
        settings.server.max_concurrent_requests = 3;
        settings.server.max_concurrent_heavy_requests = 1;
        settings.database.max_connections = 1;
        settings.database.min_connections = 1;
        settings.database.acquire_timeout_seconds = 60;
    })
    .await;
    add_team(&app, "red").await;
    put_agent(&app, "ana", "red").await;
    wait_for_health(&app, ServingStatus::Serving).await;
    let blocker = app.database.connection().begin().await.unwrap();
    (app, blocker)
}

/// The server's limit is 1 s (the smallest it takes); the call waits for
/// the one database connection, which the test holds longer than that.
async fn a_call_past_the_time_limit_is_answered_deadline_exceeded_and_counted_so(backend: Backend) {
    let app = spawn_observed_app(backend, |settings| {
        settings.server.request_timeout_seconds = 1;
        settings.database.max_connections = 1;
        settings.database.min_connections = 1;
        settings.database.acquire_timeout_seconds = 60;
    })
    .await;
    let blocker = app.database.connection().begin().await.unwrap();
    let status = app
        .ingest()
        .ingest_interactions(interactions(vec![interaction("call-1", "ana")]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert_eq!(error_reason(&status).as_deref(), Some("REQUEST_TIMEOUT"));
    drop(blocker);

    let metrics = scrape(&app).await;
    let count = |code| {
        value(
            &metrics,
            "grpc_server_handled_total",
            &handled("unary", INGEST, code),
        )
    };
    assert_eq!(count("DEADLINE_EXCEEDED"), Some(1.0));
    assert_eq!(count("CANCELLED"), Some(0.0), "the client never cancelled");
}

async fn a_call_past_the_concurrency_limit_is_shed_at_once_and_counted(backend: Backend) {
    let (app, blocker) = saturable_app(backend).await;
    let admitted = [get_agent(&app), get_agent(&app), get_agent(&app)];
    wait_for_in_flight(&app, GET_AGENT, 3.0).await;

    // Shed, not queued: these are answered while the admitted calls still
    // wait for the connection the test holds (a queued call would wait too).
    for _ in 0..10 {
        let status = tokio::time::timeout(PATIENCE, get_agent(&app))
            .await
            .expect("the call was queued behind the admitted ones, not shed")
            .unwrap()
            .unwrap_err();
        assert_shed(&status, "TOO_MANY_REQUESTS");
    }
    wait_for_in_flight(&app, GET_AGENT, 3.0).await;
    let metrics = scrape(&app).await;
    assert_eq!(
        value(
            &metrics,
            "grpc_server_handled_total",
            &handled("unary", GET_AGENT, "RESOURCE_EXHAUSTED")
        ),
        Some(10.0)
    );

    drop(blocker);
    for call in admitted {
        call.await.unwrap().expect("an admitted call completes");
    }
    get_agent(&app)
        .await
        .unwrap()
        .expect("the slots are free again");
}

async fn a_heavy_call_past_the_heavy_limit_is_shed_though_the_overall_limit_has_room(
    backend: Backend,
) {
    let (app, blocker) = saturable_app(backend).await;
    let admitted = list_scorecards(&app);
    wait_for_in_flight(&app, LIST_SCORECARDS, 1.0).await;
    let status = list_scorecards(&app).await.unwrap().unwrap_err();
    assert_shed(&status, "TOO_MANY_HEAVY_REQUESTS");
    drop(blocker);
    admitted
        .await
        .unwrap()
        .expect("the admitted heavy call completes");
    list_scorecards(&app)
        .await
        .unwrap()
        .expect("the heavy slot is free again");
}

async fn health_answers_while_every_slot_is_taken(backend: Backend) {
    let (app, blocker) = saturable_app(backend).await;
    let admitted = [get_agent(&app), get_agent(&app), get_agent(&app)];
    wait_for_in_flight(&app, GET_AGENT, 3.0).await;
    let status = get_agent(&app).await.unwrap().unwrap_err();
    assert_shed(&status, "TOO_MANY_REQUESTS");
    let mut health = HealthClient::new(app.channel.clone());
    for _ in 0..5 {
        let reply = health
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .expect("health sits outside every limit")
            .into_inner();
        assert_eq!(reply.status, ServingStatus::Serving as i32);
    }
    drop(blocker);
    for call in admitted {
        call.await.unwrap().unwrap();
    }
}
