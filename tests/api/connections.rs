//! The connection pool on PostgreSQL: connections that died while idle
//! are replaced before a call sees them.

use std::time::Duration;

use kpi_service::grpc::pb;
use sea_orm::ConnectionTrait;

use crate::{
    fixtures::{interaction, interactions},
    helpers::{postgres_admin_url, spawn_app, Backend},
};

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
