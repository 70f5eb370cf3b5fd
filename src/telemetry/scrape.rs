//! The operations listener, on its own address (`telemetry.metrics_addr`),
//! apart from the gRPC port so that it can stay cluster-internal, and plain
//! HTTP whatever the gRPC port's TLS and authentication, so that the
//! kubelet's `httpGet` probes work with both on:
//!
//! - `GET /metrics`: Prometheus text; gauges of state (database pool,
//!   health) and the `process_*` metrics are sampled when scraped;
//! - `GET /healthz`: 200 while the process answers (liveness: a database
//!   outage must not restart the service);
//! - `GET /replicas`: each read replica's state, one line each;
//! - `GET /readyz`: 200 while `grpc.health.v1` reports SERVING (the database
//!   prepared and reachable, not draining), else 503 saying why
//!   (readiness).

use std::{sync::Arc, time::Duration};

use axum::{
    extract::State,
    http::{header, StatusCode},
    response::IntoResponse,
    routing::get,
    Router,
};
use sea_orm::DatabaseBackend;
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};
use tonic_health::{
    pb::{health_server::Health, HealthCheckRequest},
    server::{HealthReporter, HealthService},
    ServingStatus,
};

use super::{metrics::Metrics, process};
use crate::{resilience::readiness::Readiness, storage::Database};

/// How often histogram samples are folded into buckets between scrapes.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Clone)]
struct ScrapeState {
    metrics: Metrics,
    database: Database,
    health: Arc<HealthService>,
    readiness: Readiness,
    draining: watch::Receiver<bool>,
}

/// What the operations listener reports on.
pub struct Observed {
    pub metrics: Metrics,
    pub database: Database,
    pub health_reporter: HealthReporter,
    pub readiness: Readiness,
    /// True once draining has begun.
    pub draining: watch::Receiver<bool>,
}

/// Serves `/metrics`, `/healthz` and `/readyz` on `listener` until the
/// returned task is aborted.
pub fn serve(listener: TcpListener, observed: Observed) -> JoinHandle<()> {
    let metrics = observed.metrics.clone();
    let state = ScrapeState {
        metrics: observed.metrics,
        database: observed.database,
        health: Arc::new(HealthService::from_health_reporter(
            observed.health_reporter,
        )),
        readiness: observed.readiness,
        draining: observed.draining,
    };
    let router = Router::new()
        .route("/metrics", get(scrape))
        .route("/healthz", get(alive))
        .route("/readyz", get(ready))
        .route("/replicas", get(replicas))
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
    let replicas = state.database.replicas();
    state
        .metrics
        .database_reads(&replicas.reports(), replicas.primary_reads());
    state
        .metrics
        .change_feed(state.database.change_signal().stats().sample());
    state.metrics.health(serving(&state).await);
    let mut text = state.metrics.render();
    text.push_str(&process::render());
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], text)
}

/// Whether `grpc.health.v1` reports SERVING for the whole server.
async fn serving(state: &ScrapeState) -> bool {
    state
        .health
        .check(tonic::Request::new(HealthCheckRequest {
            service: String::new(),
        }))
        .await
        .is_ok_and(|reply| reply.into_inner().status == ServingStatus::Serving as i32)
}

/// One line per read replica: its name, whether reads go to it, whether
/// it answers, its lag and replay position. Always 200: a lagging replica
/// sends reads to the primary, it does not make the service unready.
async fn replicas(State(state): State<ScrapeState>) -> impl IntoResponse {
    let reports = state.database.replicas().reports();
    if reports.is_empty() {
        return "no read replicas configured\n".to_owned();
    }
    let mut text = String::new();
    for report in reports {
        let lag = report.lag.map_or_else(
            || "unknown".to_owned(),
            |lag| format!("{}ms", lag.as_millis()),
        );
        text.push_str(&format!(
            "{} serving={} reachable={} lag={} replay_lsn={:X}/{:X} reads={}\n",
            report.name,
            report.serving,
            report.reachable,
            lag,
            report.replay_lsn >> 32,
            report.replay_lsn & 0xFFFF_FFFF,
            report.reads[0] + report.reads[1],
        ));
    }
    text
}

async fn alive() -> impl IntoResponse {
    "alive\n"
}

/// 200 exactly when health reports SERVING; otherwise 503 and the reason.
async fn ready(State(state): State<ScrapeState>) -> impl IntoResponse {
    if serving(&state).await {
        return (StatusCode::OK, "ready\n".to_owned());
    }
    let reason = if *state.draining.borrow() {
        "draining: shutting down".to_owned()
    } else if !state.readiness.is_prepared() {
        format!("starting: {}", state.readiness.waiting_for())
    } else if !state.database.is_reachable() {
        "the database cannot be reached".to_owned()
    } else {
        "waiting for the first database health check".to_owned()
    };
    (
        StatusCode::SERVICE_UNAVAILABLE,
        format!("not ready: {reason}\n"),
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

/// `GET url` (plain `http://host:port/path`, as the operations listener
/// serves it) within `timeout`: `Ok` on 200, otherwise an error quoting the
/// answer. For a container's HEALTHCHECK, which has no curl to run.
pub async fn probe(url: &str, timeout: Duration) -> anyhow::Result<()> {
    use anyhow::Context;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let rest = url
        .strip_prefix("http://")
        .with_context(|| format!("{url:?} is not an http:// URL"))?;
    let (authority, path) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, "/"),
    };
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(authority).await?;
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).await?;
        Ok::<_, std::io::Error>(String::from_utf8_lossy(&reply).into_owned())
    };
    let reply = tokio::time::timeout(timeout, exchange)
        .await
        .with_context(|| format!("{url} did not answer within {timeout:?}"))?
        .with_context(|| format!("could not ask {url}"))?;
    let status = reply.split_whitespace().nth(1).unwrap_or_default();
    let body = reply
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.trim())
        .unwrap_or_default();
    anyhow::ensure!(status == "200", "{url} answered {status}: {body}");
    Ok(())
}
