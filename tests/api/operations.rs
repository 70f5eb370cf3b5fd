//! Operations: health, reflection, graceful shutdown, database outages.

use std::time::Duration;

use kpi_service::grpc::pb;
use sea_orm::TransactionTrait;
use tokio_stream::StreamExt;
use tonic::Code;
use tonic_health::pb::{
    health_check_response::ServingStatus, health_client::HealthClient, HealthCheckRequest,
};
use tonic_types::StatusExt;

use crate::{
    fixtures::{interaction, interactions},
    helpers::{error_reason, spawn_app, spawn_app_with, Backend},
    on_both_backends,
};

on_both_backends!(
    health_reports_serving_once_the_database_is_migrated,
    reflection_lists_every_service_in_v1_and_v1alpha,
    reflection_can_be_switched_off,
    shutdown_reports_not_serving_and_finishes_in_flight_calls,
    a_call_that_cannot_get_a_database_connection_is_busy_not_hung,
    an_open_health_watch_does_not_hold_shutdown,
);

async fn wait_for_status(
    client: &mut HealthClient<tonic::transport::Channel>,
    service: &str,
    wanted: ServingStatus,
) {
    for _ in 0..100 {
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

async fn reflection_lists_every_service_in_v1_and_v1alpha(backend: Backend) {
    use tonic_reflection::pb::{v1, v1alpha};
    let app = spawn_app(backend).await;

    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(
            String::new(),
        )),
    };
    let mut client = v1::server_reflection_client::ServerReflectionClient::new(app.channel.clone());
    let mut replies = client
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .expect("reflection v1 failed")
        .into_inner();
    let reply = replies
        .next()
        .await
        .expect("no reply")
        .expect("reflection error");
    let Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        reply.message_response
    else {
        panic!("unexpected reflection reply");
    };
    let names: Vec<String> = list
        .service
        .into_iter()
        .map(|service| service.name)
        .collect();
    for expected in [
        "kpi.v1.IngestService",
        "kpi.v1.DirectoryService",
        "kpi.v1.ScorecardService",
        "kpi.v1.PolicyService",
        "grpc.health.v1.Health",
    ] {
        assert!(
            names.iter().any(|name| name == expected),
            "{expected} missing from {names:?}"
        );
    }

    let request = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1alpha::server_reflection_request::MessageRequest::FileContainingSymbol(
                "kpi.v1.IngestService".into(),
            ),
        ),
    };
    let mut client =
        v1alpha::server_reflection_client::ServerReflectionClient::new(app.channel.clone());
    let mut replies = client
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .expect("reflection v1alpha failed")
        .into_inner();
    let reply = replies
        .next()
        .await
        .expect("no reply")
        .expect("reflection error");
    assert!(
        matches!(
            reply.message_response,
            Some(v1alpha::server_reflection_response::MessageResponse::FileDescriptorResponse(ref files))
                if !files.file_descriptor_proto.is_empty()
        ),
        "v1alpha must describe the ingest service"
    );
}

async fn reflection_can_be_switched_off(backend: Backend) {
    use tonic_reflection::pb::v1;
    let app = spawn_app_with(backend, |settings| settings.server.reflection = false).await;
    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(
            String::new(),
        )),
    };
    let status = v1::server_reflection_client::ServerReflectionClient::new(app.channel.clone())
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented);
}

async fn shutdown_reports_not_serving_and_finishes_in_flight_calls(backend: Backend) {
    let mut app = spawn_app_with(backend, |settings| {
        settings.database.max_connections = 1;
        settings.database.min_connections = 1;
        settings.database.acquire_timeout_seconds = 10;
    })
    .await;
    let mut health = HealthClient::new(app.channel.clone());
    wait_for_status(&mut health, "", ServingStatus::Serving).await;
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
    tokio::time::sleep(Duration::from_millis(300)).await;

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

async fn a_call_that_cannot_get_a_database_connection_is_busy_not_hung(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.database.max_connections = 1;
        settings.database.min_connections = 1;
        settings.database.acquire_timeout_seconds = 1;
    })
    .await;
    let blocker = app.database.connection().begin().await.unwrap();

    let started = std::time::Instant::now();
    let status = app
        .ingest()
        .ingest_interactions(interactions(vec![interaction("call-1", "ana")]))
        .await
        .unwrap_err();

    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the call must not hang"
    );
    // The database is up, the pool merely exhausted: that is not an outage.
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(error_reason(&status).as_deref(), Some("DATABASE_BUSY"));
    assert!(
        status.get_details_retry_info().is_some(),
        "a busy pool carries RetryInfo"
    );
    assert_eq!(
        status
            .metadata()
            .get("grpc-retry-pushback-ms")
            .and_then(|value| value.to_str().ok()),
        Some("1000"),
        "RetryInfo is mirrored for gRPC retry policies"
    );
    let message = status.message().to_lowercase();
    for internal in ["sql", "pool", "timed out", "select", "insert"] {
        assert!(
            !message.contains(internal),
            "internal detail {internal:?} leaked: {message}"
        );
    }
    drop(blocker);
    app.ingest()
        .ingest_interactions(interactions(vec![interaction("call-1", "ana")]))
        .await
        .expect("the service recovers once the database is free");
}

/// PostgreSQL only: an embedded SQLite file cannot become unreachable the
/// way a database server can; the SQLite side of "no connection" is covered
/// by `a_call_that_cannot_get_a_database_connection_is_busy_not_hung`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_going_away_makes_calls_unavailable_and_health_not_serving() {
    use sea_orm::ConnectionTrait;

    let app = spawn_app_with(Backend::Postgres, |settings| {
        settings.database.acquire_timeout_seconds = 2;
        settings.database.connect_timeout_seconds = 2;
    })
    .await;
    let mut health = HealthClient::new(app.channel.clone());
    wait_for_status(&mut health, "", ServingStatus::Serving).await;

    // Refuse new connections to the test database and cut the open ones.
    let name = app.postgres_database_name().expect("a PostgreSQL test app");
    let admin = sea_orm::Database::connect(crate::helpers::postgres_admin_url())
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!(
            "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"
        ))
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .await
        .unwrap();

    let started = std::time::Instant::now();
    let status = app
        .ingest()
        .ingest_interactions(interactions(vec![interaction("call-1", "ana")]))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "the call must not hang"
    );
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(
        error_reason(&status).as_deref(),
        Some("DATABASE_UNAVAILABLE")
    );
    wait_for_status(&mut health, "", ServingStatus::NotServing).await;
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "NOT_SERVING within about one check interval (1 s here), not after {:?}",
        started.elapsed()
    );

    // Health has seen the outage: calls fail fast instead of each waiting
    // for the pool's acquire timeout.
    let started = std::time::Instant::now();
    let status = app
        .directory()
        .get_agent(pb::GetAgentRequest {
            agent_id: "ana".into(),
        })
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "a call waited {:?} during a known outage",
        started.elapsed()
    );
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(
        error_reason(&status).as_deref(),
        Some("DATABASE_UNAVAILABLE")
    );
    assert!(status.get_details_retry_info().is_some());
    assert!(status.metadata().get("grpc-retry-pushback-ms").is_some());

    admin
        .execute_unprepared(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"))
        .await
        .unwrap();
    wait_for_status(&mut health, "", ServingStatus::Serving).await;
    app.ingest()
        .ingest_interactions(interactions(vec![interaction("call-1", "ana")]))
        .await
        .expect("the service recovers when the database is back");
}

async fn an_open_health_watch_does_not_hold_shutdown(backend: Backend) {
    // A grace period far longer than the test may take: shutdown must not
    // wait for it.
    let mut app = spawn_app_with(backend, |settings| {
        settings.server.shutdown_grace_seconds = 60;
    })
    .await;
    let mut health = HealthClient::new(app.channel.clone());
    wait_for_status(&mut health, "", ServingStatus::Serving).await;
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
