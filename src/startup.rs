//! Building and running the application: the database, the gRPC services,
//! health, reflection, limits and graceful shutdown. Tests build it exactly
//! as `main` does, on port 0.

use std::{future::Future, net::SocketAddr, pin::Pin, sync::Arc, time::Duration};

use anyhow::Context;
use tokio::{net::TcpListener, sync::watch};
use tonic::{
    codec::CompressionEncoding,
    transport::{server::TcpIncoming, Server},
};
use tonic_health::{server::HealthReporter, ServingStatus};

use crate::{
    auth::{layer::AuthLayer, Authenticator},
    configuration::Settings,
    grpc::{
        audit::AuditApi,
        directory::DirectoryApi,
        ingest::{IngestApi, IngestLimits},
        pb::{
            self, audit_service_server::AuditServiceServer,
            directory_service_server::DirectoryServiceServer,
            ingest_service_server::IngestServiceServer, period_service_server::PeriodServiceServer,
            policy_service_server::PolicyServiceServer,
            scorecard_service_server::ScorecardServiceServer,
        },
        periods::PeriodApi,
        policy::PolicyApi,
        scorecard::ScorecardApi,
    },
    scorecard::ScorecardEngine,
    storage::Database,
    telemetry::{
        calls::{KnownMethods, ObserveCallsLayer},
        metrics::Metrics,
    },
    tls::ReloadableTls,
};

/// The gRPC services whose health is reported, besides the overall "".
const SERVICE_NAMES: &[&str] = &[
    "kpi.v1.IngestService",
    "kpi.v1.DirectoryService",
    "kpi.v1.ScorecardService",
    "kpi.v1.PolicyService",
    "kpi.v1.AuditService",
    "kpi.v1.PeriodService",
];

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

    /// Serves until `shutdown` completes, then reports NOT_SERVING, stops
    /// accepting calls and lets in-flight calls finish (at most the
    /// configured grace period).
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let server_settings = &self.settings.server;
        let (health_reporter, health_service) = tonic_health::server::health_reporter();
        set_health(&health_reporter, ServingStatus::NotServing).await;

        let (draining_sender, draining) = watch::channel(false);
        let health_task = tokio::spawn(watch_database_health(
            self.database.clone(),
            health_reporter.clone(),
            Duration::from_secs(self.settings.database.health_check_interval_seconds.max(1)),
            draining.clone(),
        ));

        let limits = IngestLimits {
            max_batch_size: self.settings.ingest.max_batch_size,
            max_new_agents_per_batch: self.settings.ingest.max_new_agents_per_batch,
            future_tolerance: chrono::Duration::seconds(
                self.settings.ingest.future_tolerance_seconds,
            ),
            time_zone: self.settings.reporting.time_zone(),
        };
        let decode_limit = server_settings.max_decode_message_bytes;
        let encode_limit = server_settings.max_encode_message_bytes;
        let gzip = CompressionEncoding::Gzip;
        let ingest = IngestServiceServer::new(IngestApi::new(self.database.clone(), limits))
            .max_decoding_message_size(decode_limit)
            .max_encoding_message_size(encode_limit)
            .accept_compressed(gzip)
            .send_compressed(gzip);
        let directory = DirectoryServiceServer::new(DirectoryApi::new(self.database.clone()))
            .max_decoding_message_size(decode_limit)
            .max_encoding_message_size(encode_limit)
            .accept_compressed(gzip)
            .send_compressed(gzip);
        let engine =
            ScorecardEngine::new(self.database.clone(), self.settings.reporting.time_zone());
        let scorecards = ScorecardServiceServer::new(ScorecardApi::new(engine.clone()))
            .max_decoding_message_size(decode_limit)
            .max_encoding_message_size(encode_limit)
            .accept_compressed(gzip)
            .send_compressed(gzip);
        let periods = PeriodServiceServer::new(PeriodApi::new(engine.clone()))
            .max_decoding_message_size(decode_limit)
            .max_encoding_message_size(encode_limit)
            .accept_compressed(gzip)
            .send_compressed(gzip);
        let policies = PolicyServiceServer::new(PolicyApi::new(engine))
            .max_decoding_message_size(decode_limit)
            .max_encoding_message_size(encode_limit)
            .accept_compressed(gzip)
            .send_compressed(gzip);
        let audit = AuditServiceServer::new(AuditApi::new(self.database.clone()))
            .max_decoding_message_size(decode_limit)
            .max_encoding_message_size(encode_limit)
            .accept_compressed(gzip)
            .send_compressed(gzip);

        let (reflection_v1, reflection_v1alpha) = if server_settings.reflection {
            let descriptors = || {
                tonic_reflection::server::Builder::configure()
                    .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
                    .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
                    .register_encoded_file_descriptor_set(pb::GOOGLE_RPC_FILE_DESCRIPTOR_SET)
            };
            (
                Some(descriptors().build_v1()?),
                Some(descriptors().build_v1alpha()?),
            )
        } else {
            (None, None)
        };

        let stop_accepting = {
            let health_reporter = health_reporter.clone();
            async move {
                shutdown.await;
                tracing::info!("shutdown requested: reporting NOT_SERVING and draining");
                let _ = draining_sender.send(true);
                set_health(&health_reporter, ServingStatus::NotServing).await;
            }
        };

        let metrics = self
            .metrics
            .as_ref()
            .map(|endpoint| endpoint.metrics.clone());
        let observe_calls = ObserveCallsLayer::new(metrics, known_methods()?);
        let metrics_task = self.metrics.map(|endpoint| {
            tracing::info!(address = %endpoint.local_addr, "serving metrics at /metrics");
            crate::telemetry::scrape::serve(
                endpoint.listener,
                endpoint.metrics,
                self.database.clone(),
                health_reporter.clone(),
            )
        });

        let grace = Duration::from_secs(server_settings.shutdown_grace_seconds);
        let router = with_connection_lifetimes(Server::builder(), server_settings)
            .timeout(server_settings.request_timeout())
            // First, so that it observes every call, also those refused by
            // the limits that follow.
            .layer(observe_calls)
            .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
                server_settings.max_concurrent_requests,
            ))
            .layer(AuthLayer::new(self.trust.authenticator.clone()))
            .add_service(health_service)
            .add_optional_service(reflection_v1)
            .add_optional_service(reflection_v1alpha)
            .add_service(ingest)
            .add_service(directory)
            .add_service(scorecards)
            .add_service(policies)
            .add_service(periods)
            .add_service(audit);

        let mut reloader = None;
        type Serving = Pin<Box<dyn Future<Output = Result<(), tonic::transport::Error>> + Send>>;
        let serve: Serving = match &self.trust.tls {
            Some(tls) => {
                tracing::info!(address = %self.local_addr, mode = ?self.settings.auth.mode, "serving gRPC over TLS");
                reloader = Some(tls.spawn_reloader(Duration::from_secs(
                    self.settings.tls.reload_interval_seconds,
                )));
                Box::pin(
                    router
                        .serve_with_incoming_shutdown(tls.incoming(self.listener), stop_accepting),
                )
            }
            None => {
                tracing::info!(address = %self.local_addr, mode = ?self.settings.auth.mode, "serving gRPC");
                let incoming = TcpIncoming::from(self.listener).with_nodelay(Some(true));
                Box::pin(router.serve_with_incoming_shutdown(incoming, stop_accepting))
            }
        };
        let mut draining_started = draining;
        let outcome = tokio::select! {
            result = serve => result.context("the gRPC server failed"),
            () = async {
                let _ = draining_started.wait_for(|draining| *draining).await;
                tokio::time::sleep(grace).await;
            } => {
                tracing::warn!(grace_seconds = grace.as_secs(), "in-flight calls outlived the shutdown grace period");
                Ok(())
            }
        };
        health_task.abort();
        if let Some(reloader) = reloader {
            reloader.abort();
        }
        if let Some(metrics_task) = metrics_task {
            metrics_task.abort();
        }
        tracing::info!("stopped");
        outcome
    }
}

async fn set_health(reporter: &HealthReporter, status: ServingStatus) {
    reporter.set_service_status("", status).await;
    for service in SERVICE_NAMES {
        reporter.set_service_status(*service, status).await;
    }
}

/// Reports SERVING while the database answers and its schema is current,
/// NOT_SERVING otherwise, until draining starts.
async fn watch_database_health(
    database: Database,
    reporter: HealthReporter,
    interval: Duration,
    draining: watch::Receiver<bool>,
) {
    let mut last = None;
    loop {
        if *draining.borrow() {
            return;
        }
        let ready = database.is_ready().await;
        if *draining.borrow() {
            return;
        }
        if last != Some(ready) {
            let status = if ready {
                ServingStatus::Serving
            } else {
                ServingStatus::NotServing
            };
            tracing::info!(ready, "database health changed");
            set_health(&reporter, status).await;
            last = Some(ready);
        }
        tokio::time::sleep(interval).await;
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

/// Every method served, for bounded metric labels.
fn known_methods() -> anyhow::Result<KnownMethods> {
    KnownMethods::from_descriptor_sets(&[
        pb::FILE_DESCRIPTOR_SET,
        tonic_health::pb::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
    ])
    .context("could not read the service descriptors")
}

/// HTTP/2 keepalive pings find dead peers; a maximum connection age makes
/// clients reconnect now and then, so that behind a Kubernetes Service
/// they spread over new replicas instead of sticking to the first one.
fn with_connection_lifetimes(
    builder: Server,
    settings: &crate::configuration::ServerSettings,
) -> Server {
    let seconds = |value: u64| (value > 0).then(|| Duration::from_secs(value));
    let builder = builder
        .http2_keepalive_interval(seconds(settings.keepalive_interval_seconds))
        .http2_keepalive_timeout(seconds(settings.keepalive_timeout_seconds));
    match seconds(settings.max_connection_age_seconds) {
        Some(age) => builder
            .max_connection_age(age)
            .max_connection_age_grace(settings.request_timeout()),
        None => builder,
    }
}
