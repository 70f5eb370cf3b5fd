//! Health and the order of a graceful shutdown: NOT_SERVING until the
//! database health check first passes; on shutdown, NOT_SERVING at once,
//! open Watch streams ended, no new calls, and in-flight calls given at
//! most the grace period.

use std::{future::Future, time::Duration};

use anyhow::Context;
use tokio::{sync::watch, task::JoinHandle};
use tonic::codec::CompressionEncoding;
use tonic_health::{pb::health_server::HealthServer, server::HealthReporter, ServingStatus};

use crate::{
    configuration::DatabaseSettings,
    resilience::{
        health::{set_health, watch_database_health, DrainingHealth},
        readiness::Readiness,
        replica_health::watch_replica_health,
    },
    storage::{probe_timeout, Database},
};

/// The health reporter, the health check's task and the draining flag.
pub(super) struct Draining {
    reporter: HealthReporter,
    started: watch::Receiver<bool>,
    start: watch::Sender<bool>,
    health_checks: JoinHandle<()>,
    /// The standbys' lag watcher and health (idle without standbys).
    replica_checks: JoinHandle<()>,
}

impl Draining {
    /// Reports NOT_SERVING and starts the database health check, which
    /// reports SERVING once the database is prepared and answers.
    pub(super) async fn start(
        database: &Database,
        settings: &DatabaseSettings,
        readiness: &Readiness,
    ) -> Self {
        let (reporter, _) = tonic_health::server::health_reporter();
        set_health(&reporter, ServingStatus::NotServing).await;
        let (start, started) = watch::channel(false);
        let health_checks = tokio::spawn(watch_database_health(
            database.clone(),
            reporter.clone(),
            Duration::from_secs(settings.health_check_interval_seconds.max(1)),
            probe_timeout(settings),
            readiness.clone(),
            started.clone(),
        ));
        let replica_health =
            watch_replica_health(database.clone(), reporter.clone(), probe_timeout(settings));
        let mut application_alive = started.clone();
        let replica_checks = tokio::spawn(async move {
            // Until the application that owns the draining flag is gone;
            // draining itself does not stop it (calls in flight still read).
            tokio::select! {
                () = replica_health => {}
                () = async { while application_alive.changed().await.is_ok() {} } => {}
            }
        });
        Self {
            reporter,
            started,
            start,
            health_checks,
            replica_checks,
        }
    }

    /// `grpc.health.v1.Health`, whose Watch streams end once draining starts.
    /// It takes gzip like every other service: a client that compresses
    /// every call of its channel must still be able to check health.
    pub(super) fn health_service(&self) -> HealthServer<DrainingHealth> {
        HealthServer::new(DrainingHealth::new(
            self.reporter.clone(),
            self.started.clone(),
        ))
        .accept_compressed(CompressionEncoding::Gzip)
        .send_compressed(CompressionEncoding::Gzip)
    }

    pub(super) fn health_reporter(&self) -> HealthReporter {
        self.reporter.clone()
    }

    /// True from the moment draining starts.
    pub(super) fn draining(&self) -> watch::Receiver<bool> {
        self.started.clone()
    }

    /// Completes once `shutdown` has and draining has begun: after it, the
    /// server accepts no new calls.
    pub(super) fn stop_accepting(
        &self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = ()> + Send + 'static {
        let reporter = self.reporter.clone();
        let health_checks = self.health_checks.abort_handle();
        let start = self.start.clone();
        async move {
            shutdown.await;
            tracing::info!("shutdown requested: reporting NOT_SERVING and draining");
            // No probe may report SERVING again; then Watch streams send
            // NOT_SERVING and end, so that only unary calls are awaited.
            health_checks.abort();
            let _ = start.send(true);
            set_health(&reporter, ServingStatus::NotServing).await;
        }
    }

    /// Runs `serving` until it ends, or until the grace period has passed
    /// since draining began, whichever comes first.
    pub(super) async fn within_grace(
        mut self,
        serving: impl Future<Output = Result<(), tonic::transport::Error>>,
        grace: Duration,
    ) -> anyhow::Result<()> {
        let outcome = tokio::select! {
            result = serving => result.context("the gRPC server failed"),
            () = async {
                let _ = self.started.wait_for(|draining| *draining).await;
                tokio::time::sleep(grace).await;
            } => {
                tracing::warn!(
                    grace_seconds = grace.as_secs(),
                    "in-flight calls outlived the shutdown grace period"
                );
                Ok(())
            }
        };
        self.health_checks.abort();
        self.replica_checks.abort();
        outcome
    }
}
