//! Health and shutdown: `grpc.health.v1` and the plain-HTTP probes of the
//! operations listener (`/healthz`, `/readyz`, which work whatever TLS and
//! authentication the gRPC port has), NOT_SERVING from the moment draining
//! starts, in-flight calls finished, open Watch streams ended.

use std::time::Duration;

use kpi_service::grpc::pb;
use sea_orm::TransactionTrait;
use tokio_stream::StreamExt;
use tonic::Code;
use tonic_health::pb::{
    health_check_response::ServingStatus, health_client::HealthClient, HealthCheckRequest,
};

use super::support::{http_get, spawn_observed_app, wait_for_health, wait_for_in_flight, PATIENCE};
use crate::{
    fixtures::{interaction, interactions},
    helpers::{spawn_app, spawn_app_with, spawn_app_with_client, Backend},
    on_both_backends,
    trust_support::{use_jwt, use_server_tls, write_server_tls, ScratchDir, TestCa, TokenIssuer},
};

on_both_backends!(
    health_reports_serving_once_the_database_is_migrated,
    the_liveness_probe_answers_over_plain_http,
    the_readiness_probe_is_ready_while_health_is_serving,
    the_probes_answer_plain_http_while_the_grpc_port_has_tls_and_jwt,
    the_readiness_probe_fails_from_the_moment_draining_starts,
    shutdown_reports_not_serving_and_finishes_in_flight_calls,
    an_open_health_watch_does_not_hold_shutdown,
);

async fn wait_for_status(
    client: &mut HealthClient<tonic::transport::Channel>,
    service: &str,
    wanted: ServingStatus,
) {
    for _ in 0..600 {
        let reply = client
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .expect("health check failed")
            .into_inner();
        if reply.status == wanted as i32 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{service:?} never reported {wanted:?}");
}

async fn health_reports_serving_once_the_database_is_migrated(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut health = HealthClient::new(app.channel.clone());
    wait_for_status(&mut health, "", ServingStatus::Serving).await;
    for service in [
        "kpi.v1.IngestService",
        "kpi.v1.DirectoryService",
        "kpi.v1.ScorecardService",
        "kpi.v1.PolicyService",
    ] {
        wait_for_status(&mut health, service, ServingStatus::Serving).await;
    }
    let status = health
        .check(HealthCheckRequest {
            service: "no.such.Service".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

async fn the_liveness_probe_answers_over_plain_http(backend: Backend) {
    let app = spawn_observed_app(backend, |_| {}).await;
    assert_eq!(
        http_get(&app, "/healthz").await,
        (200, "alive\n".to_owned())
    );
}

async fn the_readiness_probe_is_ready_while_health_is_serving(backend: Backend) {
    let app = spawn_observed_app(backend, |_| {}).await;
    wait_for_health(&app, ServingStatus::Serving).await;
    assert_eq!(http_get(&app, "/readyz").await, (200, "ready\n".to_owned()));
}

/// What the Kubernetes example relies on: the kubelet's `httpGet` probes
/// speak plain HTTP to the operations listener, with no credentials, while
/// the gRPC port wants TLS and a bearer token.
async fn the_probes_answer_plain_http_while_the_grpc_port_has_tls_and_jwt(backend: Backend) {
    let scratch = ScratchDir::new("probes");
    let ca = TestCa::new("probe CA");
    let issuer = TokenIssuer::new(&scratch);
    write_server_tls(&scratch, &ca, None);
    let dir = scratch.0.clone();
    let app = spawn_app_with_client(
        backend,
        |settings| {
            use_server_tls(settings, &dir, false);
            use_jwt(settings, &issuer);
            settings.telemetry.metrics_addr = "127.0.0.1:0".into();
        },
        Some(ca.client_tls()),
    )
    .await;
    wait_for_health(&app, ServingStatus::Serving).await;
    assert_eq!(http_get(&app, "/healthz").await.0, 200);
    assert_eq!(http_get(&app, "/readyz").await, (200, "ready\n".to_owned()));
}

async fn the_readiness_probe_fails_from_the_moment_draining_starts(backend: Backend) {
    let mut app = spawn_observed_app(backend, |settings| {
        settings.database.max_connections = 1;
        settings.database.min_connections = 1;
        settings.database.acquire_timeout_seconds = 60;
    })
    .await;
    wait_for_health(&app, ServingStatus::Serving).await;
    // A call held in flight keeps the server draining, not stopped.
    let blocker = app.database.connection().begin().await.unwrap();
    let mut client = app.ingest();
    let in_flight = tokio::spawn(async move {
        client
            .ingest_interactions(interactions(vec![interaction("call-1", "ana")]))
            .await
    });
    wait_for_in_flight(&app, "/kpi.v1.IngestService/IngestInteractions", 1.0).await;
    let server = app.begin_shutdown();
    let mut answer = (0, String::new());
    for _ in 0..1500 {
        answer = http_get(&app, "/readyz").await;
        if answer.0 == 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        answer,
        (503, "not ready: draining: shutting down\n".to_owned())
    );
    assert_eq!(http_get(&app, "/healthz").await.0, 200, "draining is alive");
    drop(blocker);
    in_flight
        .await
        .unwrap()
        .expect("the in-flight call completes");
    tokio::time::timeout(PATIENCE, server)
        .await
        .expect("the server did not stop")
        .unwrap()
        .unwrap();
}

async fn shutdown_reports_not_serving_and_finishes_in_flight_calls(backend: Backend) {
    let mut app = spawn_observed_app(backend, |settings| {
        settings.database.max_connections = 1;
        settings.database.min_connections = 1;
        settings.database.acquire_timeout_seconds = 10;
    })
    .await;
    let mut health = HealthClient::new(app.channel.clone());
    wait_for_health(&app, ServingStatus::Serving).await;
    let mut watch = health
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        watch.next().await.unwrap().unwrap().status,
        ServingStatus::Serving as i32
    );

    // Hold the only database connection so that the call below is surely
    // in flight (waiting for it) when shutdown begins.
    let blocker = app.database.connection().begin().await.unwrap();
    let batch: Vec<pb::Interaction> = (0..200)
        .map(|n| interaction(&format!("call-{n}"), "ana"))
        .collect();
    let mut client = app.ingest();
    let in_flight =
        tokio::spawn(async move { client.ingest_interactions(interactions(batch)).await });
    wait_for_in_flight(&app, "/kpi.v1.IngestService/IngestInteractions", 1.0).await;

    let server = app.begin_shutdown();
    let next = tokio::time::timeout(Duration::from_secs(5), watch.next())
        .await
        .expect("no health update after shutdown")
        .unwrap()
        .unwrap();
    assert_eq!(next.status, ServingStatus::NotServing as i32);
    drop(watch);
    drop(blocker);

    let reply = in_flight
        .await
        .unwrap()
        .expect("the in-flight call must complete");
    assert_eq!(reply.into_inner().results.len(), 200);
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server did not stop")
        .unwrap()
        .expect("the server failed");
    // Shutdown closed the application's pool.
    assert!(app.database.connection().ping().await.is_err());
    app.reopen_database().await;
    assert_eq!(app.count_rows("interactions").await, 200);
}

async fn an_open_health_watch_does_not_hold_shutdown(backend: Backend) {
    // A grace period far longer than the test may take: shutdown must not
    // wait for it.
    let mut app = spawn_app_with(backend, |settings| {
        settings.server.shutdown_grace_seconds = 60;
    })
    .await;
    let mut health = HealthClient::new(app.channel.clone());
    wait_for_health(&app, ServingStatus::Serving).await;
    // What Envoy and gRPC client-side health checking keep open.
    let mut watch = health
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        watch.next().await.unwrap().unwrap().status,
        ServingStatus::Serving as i32
    );

    let started = std::time::Instant::now();
    let server = app.begin_shutdown();
    let last = tokio::time::timeout(Duration::from_secs(5), watch.next())
        .await
        .expect("no health update after shutdown")
        .expect("the stream ended without NOT_SERVING")
        .unwrap();
    assert_eq!(last.status, ServingStatus::NotServing as i32);
    let end = tokio::time::timeout(Duration::from_secs(5), watch.next())
        .await
        .expect("the Watch stream stayed open");
    assert!(
        !matches!(end, Some(Ok(_))),
        "nothing follows NOT_SERVING: {end:?}"
    );
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server waited for the grace period")
        .unwrap()
        .expect("the server failed");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "shutdown took {:?}",
        started.elapsed()
    );
    assert!(
        app.database.connection().ping().await.is_err(),
        "the database connections are closed"
    );
}
