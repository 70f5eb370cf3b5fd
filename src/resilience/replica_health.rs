//! The standbys' health: the lag watcher (`storage::replicas`) runs here,
//! beside the database health check, and each standby is reported to
//! `grpc.health.v1` as its own service, `replica:<host:port/database>`:
//! SERVING while reads go to it (reachable, a standby, within
//! `database.max_replica_lag_ms`), NOT_SERVING while they fall back to the
//! primary. A standby never changes the overall status: without it the
//! primary serves every read.

use std::{collections::HashMap, time::Duration};

use tonic_health::{server::HealthReporter, ServingStatus};

use crate::storage::Database;

/// The `grpc.health.v1` service name of a standby.
pub fn replica_service_name(replica: &str) -> String {
    format!("replica:{replica}")
}

/// Watches the standbys' lag and reports each one's health on every
/// change, until the returned future is dropped. Pending forever when no
/// standby is configured.
pub async fn watch_replica_health(database: Database, reporter: HealthReporter, timeout: Duration) {
    if database.replicas().is_empty() {
        return std::future::pending().await;
    }
    for report in database.replicas().reports() {
        reporter
            .set_service_status(
                replica_service_name(&report.name),
                ServingStatus::NotServing,
            )
            .await;
    }
    let interval = database.replicas().watch_interval();
    let report_changes = async {
        let mut last: HashMap<String, bool> = HashMap::new();
        let mut ticks = tokio::time::interval(interval);
        loop {
            ticks.tick().await;
            for report in database.replicas().reports() {
                if last.get(&report.name) == Some(&report.serving) {
                    continue;
                }
                let status = if report.serving {
                    ServingStatus::Serving
                } else {
                    ServingStatus::NotServing
                };
                tracing::info!(
                    replica = %report.name,
                    serving = report.serving,
                    reachable = report.reachable,
                    lag_ms = report.lag.map(|lag| lag.as_millis() as u64),
                    "replica health changed"
                );
                reporter
                    .set_service_status(replica_service_name(&report.name), status)
                    .await;
                last.insert(report.name, report.serving);
            }
        }
    };
    tokio::join!(database.watch_replicas(timeout), report_changes);
}
