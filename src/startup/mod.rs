//! Building and running the application: the database, the gRPC services,
//! health, reflection, limits and graceful shutdown. Tests build it exactly
//! as `main` does, on port 0.
//!
//! - `services`: the six `kpi.v1` services and reflection, with limits;
//! - `drain`: health, and the order of a graceful shutdown;
//! - `transport`: plain TCP or TLS, keepalives and connection lifetimes.

mod drain;
mod services;
mod transport;

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use tokio::net::TcpListener;
use tonic::service::Routes;

use crate::{
    auth::{layer::AuthLayer, Authenticator},
    configuration::Settings,
    resilience::guard::{CallGuardLayer, GuardLimits},
    storage::Database,
    telemetry::{calls::ObserveCallsLayer, metrics::Metrics},
    tls::ReloadableTls,
};
use drain::Draining;

/// A built application, bound to its port, not yet serving.
pub struct Application {
    listener: TcpListener,
    local_addr: SocketAddr,
    database: Database,
    settings: Settings,
    metrics: Option<MetricsEndpoint>,
    trust: Trust,
}

/// The Prometheus listener and the registry it serves.
struct MetricsEndpoint {
    listener: TcpListener,
    local_addr: SocketAddr,
    metrics: Metrics,
}

/// Transport security and authentication, built (and their files checked)
/// before the listener binds.
struct Trust {
    authenticator: Arc<Authenticator>,
    tls: Option<Arc<ReloadableTls>>,
}

impl Trust {
    fn build(settings: &Settings) -> anyhow::Result<Self> {
        settings
            .validate_trust()
            .context("refusing to start with these trust settings")?;
        let tls = ReloadableTls::from_settings(&settings.tls).context("cannot set up TLS")?;
        if tls.is_none() && settings.auth.mode != crate::configuration::AuthMode::None {
            tracing::warn!("credentials travel in plain text: set tls.cert_file and tls.key_file");
        }
        let authenticator =
            Arc::new(Authenticator::new(settings).context("cannot set up authentication")?);
        Ok(Self { authenticator, tls })
    }
}

impl Application {
    /// Connects to the database (migrating it if configured) and binds the
    /// listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let trust = Trust::build(&settings)?;
        let database = Database::connect(&settings.database)
            .await
            .context("could not connect to the database (check database.url)")?;
        if settings.database.migrate_on_start {
            database
                .migrate()
                .await
                .context("could not apply the database migrations")?;
        } else if !database
            .check_schema()
            .await
            .context("could not read the database's migrations")?
        {
            tracing::warn!("migrations are pending: NOT_SERVING until `kpi-service migrate` ran");
        }
        database
            .prepare_rollups(settings.reporting.time_zone())
            .await
            .context("the daily rollups cannot be served")?;
        let listener = TcpListener::bind(settings.server.listen_addr())
            .await
            .with_context(|| format!("could not listen on {}", settings.server.listen_addr))?;
        let local_addr = listener.local_addr()?;
        let metrics = bind_metrics_endpoint(&settings).await?;
        Ok(Self {
            listener,
            local_addr,
            database,
            settings,
            metrics,
            trust,
        })
    }

    /// The metrics listener's address, when `telemetry.metrics_addr` is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|endpoint| endpoint.local_addr)
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn database(&self) -> &Database {
        &self.database
    }

    /// Serves until `shutdown` completes, then reports NOT_SERVING, ends
    /// open health Watch streams, stops accepting calls and lets in-flight
    /// calls finish (at most the configured grace period), then closes the
    /// database connections.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let server_settings = &self.settings.server;
        let draining = Draining::start(&self.database, &self.settings.database).await;
        let routes = services::add_kpi_services(
            Routes::new(draining.health_service()),
            &self.database,
            &self.settings,
        )?;
        let metrics = self
            .metrics
            .as_ref()
            .map(|endpoint| endpoint.metrics.clone());
        let observe_calls = ObserveCallsLayer::new(metrics, services::known_methods()?);
        let metrics_task = self.metrics.map(|endpoint| {
            tracing::info!(address = %endpoint.local_addr, "serving metrics at /metrics");
            crate::telemetry::scrape::serve(
                endpoint.listener,
                endpoint.metrics,
                self.database.clone(),
                draining.health_reporter(),
            )
        });
        let guard = CallGuardLayer::new(
            GuardLimits {
                max_concurrent_requests: server_settings.max_concurrent_requests,
                max_concurrent_heavy_requests: server_settings.max_concurrent_heavy_requests,
                request_timeout: server_settings.request_timeout(),
                max_decode_message_bytes: server_settings.max_decode_message_bytes,
            },
            self.database.clone(),
        );
        // No `Server::timeout`: the guard enforces the time limit and answers
        // DEADLINE_EXCEEDED (tonic's own would answer CANCELLED).
        let router = transport::server(server_settings)
            // First, so that it observes every call, also those refused by
            // the guard that follows.
            .layer(observe_calls)
            // Then the guard: it sheds before any other work and catches
            // panics of every layer inside it.
            .layer(guard)
            .layer(AuthLayer::new(self.trust.authenticator.clone()))
            .add_routes(routes);

        tracing::info!(
            address = %self.local_addr,
            mode = ?self.settings.auth.mode,
            tls = self.trust.tls.is_some(),
            "serving gRPC"
        );
        let reloader = self.trust.tls.as_ref().map(|tls| {
            tls.spawn_reloader(Duration::from_secs(
                self.settings.tls.reload_interval_seconds,
            ))
        });
        let stop_accepting = draining.stop_accepting(shutdown);
        let serving: transport::Serving = match &self.trust.tls {
            Some(tls) => Box::pin(
                router.serve_with_incoming_shutdown(tls.incoming(self.listener), stop_accepting),
            ),
            None => Box::pin(router.serve_with_incoming_shutdown(
                transport::plain_incoming(self.listener),
                stop_accepting,
            )),
        };
        let grace = Duration::from_secs(server_settings.shutdown_grace_seconds);
        let outcome = draining.within_grace(serving, grace).await;
        if let Some(reloader) = reloader {
            reloader.abort();
        }
        if let Some(metrics_task) = metrics_task {
            metrics_task.abort();
        }
        self.database.close().await;
        tracing::info!("stopped");
        outcome
    }
}

/// Binds the metrics listener when `telemetry.metrics_addr` is set.
async fn bind_metrics_endpoint(settings: &Settings) -> anyhow::Result<Option<MetricsEndpoint>> {
    let Some(address) = settings.telemetry.metrics_addr() else {
        return Ok(None);
    };
    let address = address.context("telemetry.metrics_addr is not host:port")?;
    let listener = TcpListener::bind(address)
        .await
        .with_context(|| format!("could not listen for metrics on {address}"))?;
    Ok(Some(MetricsEndpoint {
        local_addr: listener.local_addr()?,
        listener,
        metrics: Metrics::new().context("could not build the metrics registry")?,
    }))
}
