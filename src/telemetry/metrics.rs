//! The service's Prometheus metrics: one registry per application (no
//! global recorder, so tests running several applications in one process
//! see only their own numbers), written through the `metrics` facade.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `kpi_grpc_requests_total` | counter | `service`, `method`, `code` |
//! | `kpi_grpc_errors_total` | counter (code != OK) | `service`, `method`, `code` |
//! | `kpi_grpc_request_duration_seconds` | histogram | `service`, `method`, `code` |
//! | `kpi_grpc_requests_in_flight` | gauge | `service`, `method` |
//! | `kpi_grpc_shed_total` | counter (RESOURCE_EXHAUSTED) | `service`, `method` |
//! | `kpi_ingest_items_total` | counter | `kind`, `outcome` |
//! | `kpi_ingest_batch_size` | histogram | `kind` |
//! | `kpi_db_pool_connections` | gauge | `state` (`in_use`, `idle`) |
//! | `kpi_db_pool_max_connections` | gauge | |
//! | `kpi_health_serving` | gauge (1 serving, 0 not) | |
//! | `kpi_build_info` | gauge (always 1) | `version` |

use std::{sync::Arc, time::Duration};

use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusRecorder};

const REQUESTS: &str = "kpi_grpc_requests_total";
const ERRORS: &str = "kpi_grpc_errors_total";
const DURATION: &str = "kpi_grpc_request_duration_seconds";
const IN_FLIGHT: &str = "kpi_grpc_requests_in_flight";
const SHED: &str = "kpi_grpc_shed_total";
const INGEST_ITEMS: &str = "kpi_ingest_items_total";
const BATCH_SIZE: &str = "kpi_ingest_batch_size";
const POOL_CONNECTIONS: &str = "kpi_db_pool_connections";
const POOL_MAX: &str = "kpi_db_pool_max_connections";
const HEALTH: &str = "kpi_health_serving";
const BUILD_INFO: &str = "kpi_build_info";

/// Latency buckets in seconds: a cached scorecard is milliseconds, a
/// 1,000-item batch on a busy database can take seconds.
const DURATION_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Items per ingest batch; the default cap is 1,000 and the hard cap 10,000.
const BATCH_SIZE_BUCKETS: &[f64] = &[
    1.0, 5.0, 10.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 10000.0,
];

/// A handle on the application's metrics registry. Cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    recorder: Arc<PrometheusRecorder>,
}

impl Metrics {
    /// A fresh registry with the buckets above and `kpi_build_info` set.
    pub fn new() -> Result<Self, BuildError> {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(DURATION.into()), DURATION_BUCKETS)?
            .set_buckets_for_metric(Matcher::Full(BATCH_SIZE.into()), BATCH_SIZE_BUCKETS)?
            .build_recorder();
        let metrics = Self {
            recorder: Arc::new(recorder),
        };
        metrics.with(describe_everything);
        Ok(metrics)
    }

    /// Runs `record` with this registry as the `metrics` recorder.
    fn with<T>(&self, record: impl FnOnce() -> T) -> T {
        metrics::with_local_recorder(self.recorder.as_ref(), record)
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        self.recorder.handle().render()
    }

    /// Folds recorded histogram samples into their buckets, so memory stays
    /// bounded between scrapes.
    pub fn run_upkeep(&self) {
        self.recorder.handle().run_upkeep();
    }

    /// A call has started (the in-flight gauge goes up).
    pub fn call_started(&self, service: &'static str, method: &'static str) {
        self.with(|| gauge!(IN_FLIGHT, "service" => service, "method" => method).increment(1.0));
    }

    /// A call has finished with the canonical `code` (`OK`, `NOT_FOUND`, ...).
    pub fn call_finished(
        &self,
        service: &'static str,
        method: &'static str,
        code: &'static str,
        latency: Duration,
    ) {
        self.with(|| {
            let labels = [("service", service), ("method", method), ("code", code)];
            gauge!(IN_FLIGHT, "service" => service, "method" => method).decrement(1.0);
            counter!(REQUESTS, &labels).increment(1);
            histogram!(DURATION, &labels).record(latency.as_secs_f64());
            if code != "OK" {
                counter!(ERRORS, &labels).increment(1);
            }
            if code == "RESOURCE_EXHAUSTED" {
                counter!(SHED, "service" => service, "method" => method).increment(1);
            }
        });
    }

    /// One ingest batch of `kind` (`interactions`, ...) and its items'
    /// outcomes (`created`, `unchanged`, ..., or `rejected` for every item
    /// of a batch refused as invalid).
    pub fn ingest_batch<'a>(&self, kind: &'static str, outcomes: impl Iterator<Item = &'a str>) {
        self.with(|| {
            let mut items = 0_u64;
            let mut counts: Vec<(&str, u64)> = Vec::new();
            for outcome in outcomes {
                items += 1;
                match counts.iter_mut().find(|(seen, _)| *seen == outcome) {
                    Some((_, count)) => *count += 1,
                    None => counts.push((outcome, 1)),
                }
            }
            for (outcome, count) in counts {
                counter!(INGEST_ITEMS, "kind" => kind, "outcome" => outcome.to_owned())
                    .increment(count);
            }
            histogram!(BATCH_SIZE, "kind" => kind).record(items as f64);
        });
    }

    /// The database pool as sampled at scrape time.
    pub fn database_pool(&self, in_use: u32, idle: u32, max: u32) {
        self.with(|| {
            gauge!(POOL_CONNECTIONS, "state" => "in_use").set(f64::from(in_use));
            gauge!(POOL_CONNECTIONS, "state" => "idle").set(f64::from(idle));
            gauge!(POOL_MAX).set(f64::from(max));
        });
    }

    /// The overall health status as sampled at scrape time.
    pub fn health(&self, serving: bool) {
        self.with(|| gauge!(HEALTH).set(if serving { 1.0 } else { 0.0 }));
    }
}

fn describe_everything() {
    describe_counter!(
        REQUESTS,
        "gRPC calls finished, by method and canonical code"
    );
    describe_counter!(ERRORS, "gRPC calls finished with a code other than OK");
    describe_histogram!(
        DURATION,
        metrics::Unit::Seconds,
        "gRPC call latency, from the request's arrival to the end of its response"
    );
    describe_gauge!(IN_FLIGHT, "gRPC calls started and not yet finished");
    describe_counter!(
        SHED,
        "gRPC calls refused with RESOURCE_EXHAUSTED (load shed, limits)"
    );
    describe_counter!(INGEST_ITEMS, "ingested items by record kind and outcome");
    describe_histogram!(BATCH_SIZE, "items per ingest batch");
    describe_gauge!(
        POOL_CONNECTIONS,
        "database pool connections, in use or idle"
    );
    describe_gauge!(POOL_MAX, "the database pool's maximum size");
    describe_gauge!(
        HEALTH,
        "1 when grpc.health.v1 reports SERVING for the whole server, else 0"
    );
    describe_gauge!(BUILD_INFO, "always 1; the labels describe the build");
    gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registries_are_independent_and_count_by_label() {
        let first = Metrics::new().unwrap();
        let second = Metrics::new().unwrap();
        first.call_started("kpi.v1.DirectoryService", "GetAgent");
        first.call_finished(
            "kpi.v1.DirectoryService",
            "GetAgent",
            "NOT_FOUND",
            Duration::from_millis(3),
        );
        first.ingest_batch("interactions", ["created", "created", "stale"].into_iter());

        let text = first.render();
        assert!(text.contains(
            "kpi_grpc_requests_total{service=\"kpi.v1.DirectoryService\",method=\"GetAgent\",code=\"NOT_FOUND\"} 1"
        ), "{text}");
        assert!(text.contains(
            "kpi_grpc_errors_total{service=\"kpi.v1.DirectoryService\",method=\"GetAgent\",code=\"NOT_FOUND\"} 1"
        ), "{text}");
        assert!(text.contains(
            "kpi_grpc_requests_in_flight{service=\"kpi.v1.DirectoryService\",method=\"GetAgent\"} 0"
        ), "{text}");
        assert!(
            text.contains("kpi_ingest_items_total{kind=\"interactions\",outcome=\"created\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("kpi_ingest_batch_size_bucket{kind=\"interactions\",le=\"5\"} 1"),
            "{text}"
        );
        assert!(
            !second.render().contains("GetAgent"),
            "a second registry must not see the first one's calls"
        );
    }

    #[test]
    fn resource_exhausted_counts_as_shed() {
        let metrics = Metrics::new().unwrap();
        metrics.call_started("kpi.v1.IngestService", "IngestInteractions");
        metrics.call_finished(
            "kpi.v1.IngestService",
            "IngestInteractions",
            "RESOURCE_EXHAUSTED",
            Duration::from_millis(1),
        );
        let text = metrics.render();
        assert!(
            text.contains(
                "kpi_grpc_shed_total{service=\"kpi.v1.IngestService\",method=\"IngestInteractions\"} 1"
            ),
            "{text}"
        );
    }
}
