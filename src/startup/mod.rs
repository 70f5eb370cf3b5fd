//! Building and running the application: the database, the gRPC services,
//! health, reflection, limits and graceful shutdown. Tests build it exactly
//! as `main` does, on port 0.
//!
//! - `services`: the six `kpi.v1` services and reflection, with limits;
//! - `preparation`: migrating the database and readying the rollups, at
//!   once or, while the database cannot be reached, in the background;
//! - `drain`: health, and the order of a graceful shutdown;
//! - `transport`: plain TCP or TLS, keepalives and connection lifetimes;
//! - `web`: the port's edge: gRPC-Web and CORS for browsers, and plain HTTP
//!   answers to what is not gRPC.

mod drain;
mod preparation;
mod services;
mod transport;
pub mod web;

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use tokio::net::TcpListener;
use tonic::service::Routes;

use crate::{
    auth::{layer::AuthLayer, Authenticator},
    configuration::Settings,
    resilience::{
        guard::{CallGuardLayer, GuardLimits},
        readiness::Readiness,
    },
    storage::Database,
    telemetry::{calls::ObserveCallsLayer, methods::KnownMethods, metrics::Metrics, scrape},
    tls::ReloadableTls,
};
use drain::Draining;
use preparation::Attempt;
use web::{WebEdgeLayer, WebSettings};

/// A built application, bound to its port, not yet serving.
pub struct Application {
    listener: TcpListener,
    local_addr: SocketAddr,
    database: Database,
    settings: Settings,
    metrics: Option<MetricsEndpoint>,
    trust: Trust,
    /// Every method served (reflection only when it is on).
    methods: KnownMethods,
    readiness: Readiness,
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
        let tls = ReloadableTls::from_settings(&settings.tls, settings.server.grpc_web)
            .context("cannot set up TLS")?;
        if tls.is_none() && settings.auth.mode != crate::configuration::AuthMode::None {
            tracing::warn!("credentials travel in plain text: set tls.cert_file and tls.key_file");
        }
        let authenticator =
            Arc::new(Authenticator::new(settings).context("cannot set up authentication")?);
        Ok(Self { authenticator, tls })
    }
}

impl Application {
    /// Opens the database, prepares it (migrations, rollups) and binds the
    /// listeners. When the database cannot be reached, the application is
    /// built all the same (unless `database.fail_fast_at_start`): it serves
    /// NOT_SERVING and prepares the database in the background.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let trust = Trust::build(&settings)?;
        let fail_fast = settings.database.fail_fast_at_start;
        let database = if fail_fast {
            Database::connect(&settings.database).await
        } else {
            Database::connect_lazy(&settings.database).await
        }
        .context("could not connect to the database (check database.url)")?;
        let readiness = Readiness::new();
        match preparation::attempt(&database, &settings).await {
            Attempt::Prepared => readiness.set_prepared(),
            Attempt::NotYet(reason) if !fail_fast => {
                tracing::warn!(
                    reason = %reason,
                    "the database is not ready: starting NOT_SERVING, retrying in the background"
                );
                readiness.set_waiting_for(reason);
            }
            Attempt::NotYet(reason) => anyhow::bail!("the database is not ready: {reason}"),
            Attempt::Failed(error) => return Err(error),
        }
        let listener = TcpListener::bind(settings.server.listen_addr())
            .await
            .with_context(|| format!("could not listen on {}", settings.server.listen_addr))?;
        let local_addr = listener.local_addr()?;
        let mut methods = services::known_methods()?;
        if !settings.server.reflection {
            methods = methods.without("/grpc.reflection.");
        }
        let metrics = bind_metrics_endpoint(&settings, &methods).await?;
        Ok(Self {
            listener,
            local_addr,
            database,
            settings,
            metrics,
            trust,
            methods,
            readiness,
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
        let draining =
            Draining::start(&self.database, &self.settings.database, &self.readiness).await;
        let preparing = (!self.readiness.is_prepared()).then(|| {
            tokio::spawn(preparation::keep_trying(
                self.database.clone(),
                self.settings.clone(),
                self.readiness.clone(),
            ))
        });
        let routes = services::add_kpi_services(
            Routes::new(draining.health_service()),
            &self.database,
            &self.settings,
            draining.draining(),
        )?;
        let metrics = self
            .metrics
            .as_ref()
            .map(|endpoint| endpoint.metrics.clone());
        let observe_calls = ObserveCallsLayer::new(metrics.clone(), self.methods.clone())
            .starting_traces(self.settings.telemetry.otlp_endpoint().is_some());
        let metrics_task = self
            .metrics
            .map(|endpoint| endpoint.serve(&self.database, &draining, &self.readiness));
        let guard = call_guard(server_settings, &self.database, &self.readiness);
        // No `Server::timeout`: the guard enforces the time limit and answers
        // DEADLINE_EXCEEDED (tonic's own would answer CANCELLED).
        let router = transport::server(server_settings)
            // Outermost: what is not gRPC is answered here, and gRPC-Web
            // becomes gRPC, so that every layer behind sees gRPC calls.
            .layer(WebEdgeLayer::new(web_settings(server_settings), metrics))
            // Then observation, so that it sees every call, also those
            // refused by the guard and auth that follow.
            .layer(observe_calls)
            // Then the guard: it sheds before any other work and catches
            // panics of every layer inside it.
            .layer(guard)
            .layer(AuthLayer::new(
                self.trust.authenticator.clone(),
                self.methods.paths(),
            ))
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
        let outcome =
            preparation::unless_it_fails(draining.within_grace(serving, grace), preparing).await;
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

/// Binds the operations listener (metrics and probes) when
/// `telemetry.metrics_addr` is set.
async fn bind_metrics_endpoint(
    settings: &Settings,
    methods: &KnownMethods,
) -> anyhow::Result<Option<MetricsEndpoint>> {
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
        metrics: Metrics::new(methods).context("could not build the metrics registry")?,
    }))
}

/// The call guard with the listener's limits.
fn call_guard(
    settings: &crate::configuration::ServerSettings,
    database: &Database,
    readiness: &crate::resilience::readiness::Readiness,
) -> CallGuardLayer {
    CallGuardLayer::new(
        GuardLimits {
            max_concurrent_requests: settings.max_concurrent_requests,
            max_concurrent_heavy_requests: settings.max_concurrent_heavy_requests,
            request_timeout: settings.request_timeout(),
            max_decode_message_bytes: settings.max_decode_message_bytes,
        },
        database.clone(),
        readiness.clone(),
    )
}

/// What the port's edge lets browsers do.
fn web_settings(settings: &crate::configuration::ServerSettings) -> WebSettings {
    WebSettings {
        grpc_web: settings.grpc_web,
        allowed_origins: settings.cors_allowed_origins.iter().cloned().collect(),
    }
}

impl MetricsEndpoint {
    /// Serves `/metrics`, `/healthz` and `/readyz` until the task is aborted.
    fn serve(
        self,
        database: &Database,
        draining: &Draining,
        readiness: &crate::resilience::readiness::Readiness,
    ) -> tokio::task::JoinHandle<()> {
        tracing::info!(
            address = %self.local_addr,
            "serving /metrics, /healthz and /readyz"
        );
        scrape::serve(
            self.listener,
            scrape::Observed {
                metrics: self.metrics,
                database: database.clone(),
                health_reporter: draining.health_reporter(),
                readiness: readiness.clone(),
                draining: draining.draining(),
            },
        )
    }
}
