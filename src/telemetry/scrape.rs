//! The metrics listener: Prometheus text at `GET /metrics`, on its own
//! address (`telemetry.metrics_addr`), apart from the gRPC port so that it
//! can stay cluster-internal. Gauges of state (database pool, health) are
//! sampled when scraped.

use std::{sync::Arc, time::Duration};

use axum::{extract::State, http::header, response::IntoResponse, routing::get, Router};
use sea_orm::DatabaseBackend;
use tokio::{net::TcpListener, task::JoinHandle};
use tonic_health::{
    pb::{health_server::Health, HealthCheckRequest},
    server::{HealthReporter, HealthService},
    ServingStatus,
};

use super::metrics::Metrics;
use crate::storage::Database;

/// How often histogram samples are folded into buckets between scrapes.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Clone)]
struct ScrapeState {
    metrics: Metrics,
    database: Database,
    health: Arc<HealthService>,
}

/// Serves `/metrics` on `listener` until the returned task is aborted.
pub fn serve(
    listener: TcpListener,
    metrics: Metrics,
    database: Database,
    health_reporter: HealthReporter,
) -> JoinHandle<()> {
    let state = ScrapeState {
        metrics: metrics.clone(),
        database,
        health: Arc::new(HealthService::from_health_reporter(health_reporter)),
    };
    let router = Router::new()
        .route("/metrics", get(scrape))
        .with_state(state);
    tokio::spawn(async move {
        let upkeep = tokio::spawn(async move {
            let mut interval = tokio::time::interval(UPKEEP_INTERVAL);
            loop {
                interval.tick().await;
                metrics.run_upkeep();
            }
        });
        if let Err(error) = axum::serve(listener, router).await {
            tracing::error!(%error, "the metrics listener failed");
        }
        upkeep.abort();
    })
}

async fn scrape(State(state): State<ScrapeState>) -> impl IntoResponse {
    sample_database_pool(&state.metrics, &state.database);
    let serving = state
        .health
        .check(tonic::Request::new(HealthCheckRequest {
            service: String::new(),
        }))
        .await
        .is_ok_and(|reply| reply.into_inner().status == ServingStatus::Serving as i32);
    state.metrics.health(serving);
    (
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        state.metrics.render(),
    )
}

/// The sqlx pool's size and idle count; "in use" is the difference. (sqlx
/// does not expose acquire waits or their latency.)
fn sample_database_pool(metrics: &Metrics, database: &Database) {
    let connection = database.connection();
    let (size, idle, max) = match database.backend() {
        DatabaseBackend::Postgres => {
            let pool = connection.get_postgres_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
        DatabaseBackend::Sqlite => {
            let pool = connection.get_sqlite_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
        _ => return,
    };
    let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
    metrics.database_pool(size - idle, idle, max);
}
