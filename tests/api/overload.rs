//! Overload: past the concurrency limits calls are shed at once with
//! RESOURCE_EXHAUSTED (ErrorInfo, RetryInfo, pushback metadata) instead of
//! queueing, heavy calls have a smaller limit of their own, and health
//! answers SERVING throughout.

use std::time::{Duration, Instant};

use kpi_service::grpc::pb;
use sea_orm::TransactionTrait;
use tokio::task::JoinHandle;
use tonic::Code;
use tonic_health::pb::{
    health_check_response::ServingStatus, health_client::HealthClient, HealthCheckRequest,
};
use tonic_types::StatusExt;

use crate::{
    helpers::{error_reason, spawn_app_with, Backend, TestApp},
    kpi_fixtures::{add_team, month, put_agent},
    on_both_backends,
};

on_both_backends!(calls_past_the_limits_are_shed_at_once_while_health_answers);

/// A call that is admitted and then waits for the (held) database.
fn admitted_get_agent(app: &TestApp) -> JoinHandle<Result<(), tonic::Status>> {
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

fn admitted_team_list(app: &TestApp) -> JoinHandle<Result<(), tonic::Status>> {
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

fn assert_shed(status: &tonic::Status, reason: &str) {
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(error_reason(status).as_deref(), Some(reason));
    assert!(status.get_details_retry_info().is_some(), "{status:?}");
    assert!(status.metadata().get("grpc-retry-pushback-ms").is_some());
}

async fn health_is_serving_quickly(health: &mut HealthClient<tonic::transport::Channel>) {
    let started = Instant::now();
    let reply = health
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health must answer under overload")
        .into_inner();
    assert_eq!(reply.status, ServingStatus::Serving as i32);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "health waited {:?}",
        started.elapsed()
    );
}

async fn calls_past_the_limits_are_shed_at_once_while_health_answers(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.server.max_concurrent_requests = 3;
        settings.server.max_concurrent_heavy_requests = 1;
        settings.database.max_connections = 1;
        settings.database.min_connections = 1;
        settings.database.acquire_timeout_seconds = 20;
    })
    .await;
    add_team(&app, "red").await;
    put_agent(&app, "ana", "red").await;
    let mut health = HealthClient::new(app.channel.clone());

    // Hold the only pooled connection: admitted calls now stay in flight.
    let blocker = app.database.connection().begin().await.unwrap();
    let heavy_in_flight = admitted_team_list(&app);
    tokio::time::sleep(Duration::from_millis(200)).await;

    // The heavy limit (1) is reached: a second heavy call is shed at once,
    // though the overall limit still has room.
    let started = Instant::now();
    let status = admitted_team_list(&app).await.unwrap().unwrap_err();
    assert_shed(&status, "TOO_MANY_HEAVY_REQUESTS");
    assert!(started.elapsed() < Duration::from_secs(2));

    // Two ordinary calls fill the overall limit (3)...
    let ordinary_in_flight = [admitted_get_agent(&app), admitted_get_agent(&app)];
    tokio::time::sleep(Duration::from_millis(200)).await;

    // ...and every further call is shed at once, not queued.
    let started = Instant::now();
    let excess: Vec<_> = (0..20).map(|_| admitted_get_agent(&app)).collect();
    for call in excess {
        let status = call.await.unwrap().unwrap_err();
        assert_shed(&status, "TOO_MANY_REQUESTS");
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "20 excess calls took {:?} to be refused",
        started.elapsed()
    );
    // Health sits outside every limit.
    for _ in 0..5 {
        health_is_serving_quickly(&mut health).await;
    }

    // Once the database is free, the admitted calls complete.
    drop(blocker);
    heavy_in_flight
        .await
        .unwrap()
        .expect("the admitted heavy call completes");
    for call in ordinary_in_flight {
        call.await
            .unwrap()
            .expect("the admitted ordinary calls complete");
    }
    // The slots are free again.
    admitted_get_agent(&app).await.unwrap().unwrap();
    admitted_team_list(&app).await.unwrap().unwrap();
}
