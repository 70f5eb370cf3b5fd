//! `grpc.health.v1`: SERVING while the database answers and its schema is
//! current, NOT_SERVING otherwise and from the moment draining starts; and
//! Watch streams that end once draining starts, so that a load balancer's
//! open health stream never holds shutdown for the whole grace period.

use std::{pin::Pin, time::Duration};

use futures_util::{Stream, StreamExt};
use tokio::sync::watch;
use tonic::{Request, Response, Status};
use tonic_health::{
    pb::{
        health_check_response::ServingStatus as WireStatus, health_server::Health,
        HealthCheckRequest, HealthCheckResponse,
    },
    server::{HealthReporter, HealthService},
    ServingStatus,
};

use super::readiness::Readiness;
use crate::storage::Database;

/// The gRPC services whose health is reported, besides the overall "".
pub const SERVICE_NAMES: &[&str] = &[
    "kpi.v1.IngestService",
    "kpi.v1.DirectoryService",
    "kpi.v1.ScorecardService",
    "kpi.v1.PolicyService",
    "kpi.v1.AuditService",
    "kpi.v1.PeriodService",
];

/// Sets the overall status and every service's.
pub async fn set_health(reporter: &HealthReporter, status: ServingStatus) {
    reporter.set_service_status("", status).await;
    for service in SERVICE_NAMES {
        reporter.set_service_status(*service, status).await;
    }
}

/// Once the database is prepared (see [`Readiness`]), probes it every
/// `interval` (or at once when a call saw it fail) and reports SERVING or
/// NOT_SERVING on every change, until draining starts. Each probe takes at
/// most `probe_timeout`, so an outage shows as NOT_SERVING within about one
/// interval, and calls fail fast from then on.
pub async fn watch_database_health(
    database: Database,
    reporter: HealthReporter,
    interval: Duration,
    probe_timeout: Duration,
    readiness: Readiness,
    mut draining: watch::Receiver<bool>,
) {
    tokio::select! {
        () = readiness.wait_until_prepared() => {}
        _ = draining.wait_for(|draining| *draining) => return,
    }
    let mut last = None;
    loop {
        if *draining.borrow() {
            return;
        }
        let ready = database.probe(probe_timeout).await;
        if *draining.borrow() {
            return;
        }
        if last != Some(ready) {
            let status = if ready {
                ServingStatus::Serving
            } else {
                ServingStatus::NotServing
            };
            if ready {
                tracing::info!(ready, "database health changed");
            } else {
                tracing::warn!(ready, "database health changed");
            }
            set_health(&reporter, status).await;
            last = Some(ready);
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = database.probe_requested() => {}
            changed = draining.changed() => {
                // The application that owned the flag is gone (its server
                // task was aborted): nothing is left to report health to.
                if changed.is_err() {
                    return;
                }
            }
        }
    }
}

/// The standard health service, with Watch streams that end at draining.
pub struct DrainingHealth {
    inner: HealthService,
    draining: watch::Receiver<bool>,
}

impl DrainingHealth {
    pub fn new(reporter: HealthReporter, draining: watch::Receiver<bool>) -> Self {
        Self {
            inner: HealthService::from_health_reporter(reporter),
            draining,
        }
    }
}

type StatusStream = Pin<Box<dyn Stream<Item = Result<HealthCheckResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Health for DrainingHealth {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        self.inner.check(request).await
    }

    type WatchStream = StatusStream;

    async fn watch(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let statuses = self.inner.watch(request).await?.into_inner();
        Ok(Response::new(until_draining(
            Box::pin(statuses),
            self.draining.clone(),
        )))
    }
}

fn not_serving() -> HealthCheckResponse {
    HealthCheckResponse {
        status: WireStatus::NotServing as i32,
    }
}

/// Passes `statuses` on until draining starts, then sends NOT_SERVING (if
/// that was not the last status sent) and ends the stream.
fn until_draining(statuses: StatusStream, draining: watch::Receiver<bool>) -> StatusStream {
    struct State {
        statuses: StatusStream,
        draining: watch::Receiver<bool>,
        last_sent: Option<i32>,
    }
    let farewell = |last_sent: Option<i32>| {
        (last_sent != Some(WireStatus::NotServing as i32)).then(|| (Ok(not_serving()), None))
    };
    let start = State {
        statuses,
        draining,
        last_sent: None,
    };
    Box::pin(futures_util::stream::unfold(
        Some(start),
        move |state| async move {
            let mut state = state?;
            if *state.draining.borrow() {
                return farewell(state.last_sent);
            }
            tokio::select! {
                biased;
                _ = state.draining.changed() => farewell(state.last_sent),
                item = state.statuses.next() => match item {
                    Some(Ok(response)) => {
                        state.last_sent = Some(response.status);
                        Some((Ok(response), Some(state)))
                    }
                    Some(Err(status)) => Some((Err(status), None)),
                    None => None,
                },
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use tonic_health::pb::health_server::Health as _;

    use super::*;

    /// The health check ends when the flag's sender is gone (its
    /// application's server task was aborted), instead of spinning on a
    /// `changed()` that fails at once.
    #[tokio::test]
    async fn the_health_check_ends_when_its_application_is_gone() {
        let mut settings = crate::configuration::Settings::defaults()
            .expect("default settings")
            .database;
        settings.url = "sqlite::memory:".into();
        let database = Database::connect(&settings)
            .await
            .expect("in-memory SQLite");
        database.migrate().await.expect("migrations");
        let (reporter, _) = tonic_health::server::health_reporter();
        let health = HealthService::from_health_reporter(reporter.clone());
        let readiness = Readiness::new();
        readiness.set_prepared();
        let (sender, receiver) = watch::channel(false);
        let checking = tokio::spawn(watch_database_health(
            database,
            reporter,
            Duration::from_secs(3600),
            Duration::from_secs(1),
            readiness,
            receiver,
        ));
        // Once SERVING is reported, the check is in its loop.
        let serving = async {
            loop {
                let status = health
                    .check(Request::new(HealthCheckRequest {
                        service: String::new(),
                    }))
                    .await
                    .map(|response| response.into_inner().status);
                if status.is_ok_and(|status| status == WireStatus::Serving as i32) {
                    return;
                }
                tokio::task::yield_now().await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), serving)
            .await
            .expect("the health check never reported SERVING");
        drop(sender);
        tokio::time::timeout(Duration::from_secs(10), checking)
            .await
            .expect("the health check kept running after its application was gone")
            .expect("the health check panicked");
    }
}
