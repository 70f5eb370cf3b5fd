//! The database failing under the service: an exhausted pool is
//! RESOURCE_EXHAUSTED (busy), not a hang and not an outage; a PostgreSQL
//! server that goes away makes calls UNAVAILABLE and health NOT_SERVING
//! until it is back; connections it dropped while idle are replaced before
//! a call sees them.

use std::time::Duration;

use kpi_service::grpc::pb;
use sea_orm::{ConnectionTrait, TransactionTrait};
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_types::StatusExt;

use super::support::{wait_for_health, PATIENCE};
use crate::{
    fixtures::{interaction, interactions},
    helpers::{error_reason, postgres_admin_url, spawn_app, spawn_app_with, Backend},
    on_both_backends,
};

on_both_backends!(a_call_that_cannot_get_a_database_connection_is_busy_not_hung);

async fn a_call_that_cannot_get_a_database_connection_is_busy_not_hung(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.database.max_connections = 1;
        settings.database.min_connections = 1;
        settings.database.acquire_timeout_seconds = 1;
    })
    .await;
    let blocker = app.database.connection().begin().await.unwrap();

    // The test holds the only connection throughout: a call that waited
    // for it instead of giving up after the acquire timeout would never end.
    let status = tokio::time::timeout(
        PATIENCE,
        app.ingest()
            .ingest_interactions(interactions(vec![interaction("call-1", "ana")])),
    )
    .await
    .expect("the call hung instead of giving up")
    .unwrap_err();

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
    let app = spawn_app_with(Backend::Postgres, |settings| {
        settings.database.acquire_timeout_seconds = 2;
        settings.database.connect_timeout_seconds = 2;
    })
    .await;
    wait_for_health(&app, ServingStatus::Serving).await;

    // Refuse new connections to the test database and cut the open ones.
    let name = app.postgres_database_name().expect("a PostgreSQL test app");
    let admin = sea_orm::Database::connect(postgres_admin_url())
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

    let status = tokio::time::timeout(
        PATIENCE,
        app.ingest()
            .ingest_interactions(interactions(vec![interaction("call-1", "ana")])),
    )
    .await
    .expect("the call hung")
    .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(
        error_reason(&status).as_deref(),
        Some("DATABASE_UNAVAILABLE")
    );
    wait_for_health(&app, ServingStatus::NotServing).await;

    // Health has seen the outage: calls are refused by the guard (that they
    // are refused without touching the pool is the guard's unit test).
    let status = app
        .directory()
        .get_agent(pb::GetAgentRequest {
            agent_id: "ana".into(),
        })
        .await
        .unwrap_err();
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
    wait_for_health(&app, ServingStatus::Serving).await;
    app.ingest()
        .ingest_interactions(interactions(vec![interaction("call-1", "ana")]))
        .await
        .expect("the service recovers when the database is back");
}

/// The pool skips the round trip that tests a connection just released,
/// but tests one that sat idle for a second or more: after the server
/// dropped every connection (a restart, a failover), calls arriving a
/// moment later all succeed instead of each finding a dead connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_the_server_dropped_while_idle_are_replaced_unseen() {
    let app = spawn_app(Backend::Postgres).await;
    // Several connections into the pool: concurrent calls need their own.
    let calls = (0..6).map(|n| {
        let mut ingest = app.ingest();
        async move {
            ingest
                .ingest_interactions(interactions(vec![interaction(&format!("call-{n}"), "ana")]))
                .await
                .unwrap()
        }
    });
    futures_util::future::join_all(calls).await;

    let name = app.postgres_database_name().expect("a PostgreSQL test app");
    let admin = sea_orm::Database::connect(postgres_admin_url())
        .await
        .unwrap();
    let dropped = admin
        .query_all(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            ),
        ))
        .await
        .unwrap();
    assert!(dropped.len() >= 2, "only {} connections", dropped.len());
    tokio::time::sleep(Duration::from_millis(1_500)).await;

    for n in 0..8 {
        app.directory()
            .get_agent(pb::GetAgentRequest {
                agent_id: "ana".into(),
            })
            .await
            .unwrap_or_else(|status| panic!("call {n} after the drop: {status:?}"));
    }
    app.ingest()
        .ingest_interactions(interactions(vec![interaction("call-after", "ana")]))
        .await
        .expect("a write after the drop");
}
