//! The service's Prometheus metrics: one registry per application (no
//! global recorder, so tests running several applications in one process
//! see only their own numbers), written through the `metrics` facade.
//!
//! gRPC calls are counted in the go-grpc-prometheus convention (the names
//! and labels that Grafana's gRPC dashboards and most alert rules expect),
//! with every served method initialised at zero for every code, so that
//! `increase()` sees the first INTERNAL instead of a series appearing:
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `grpc_server_started_total` | counter | `grpc_type`, `grpc_service`, `grpc_method` |
//! | `grpc_server_handled_total` | counter | the same and `grpc_code` |
//! | `grpc_server_handling_seconds` | histogram, unary calls only | `grpc_type`, `grpc_service`, `grpc_method` |
//! | `kpi_grpc_server_in_flight` | gauge | `grpc_type`, `grpc_service`, `grpc_method` |
//! | `kpi_ingest_items_total` | counter | `kind`, `outcome` |
//! | `kpi_ingest_batch_size` | histogram | `kind` |
//! | `kpi_db_pool_connections` | gauge | `state` (`in_use`, `idle`) |
//! | `kpi_db_pool_max_connections` | gauge | |
//! | `kpi_health_serving` | gauge (1 serving, 0 not) | |
//! | `kpi_db_replica_lag_seconds` | gauge (absent until first known) | `replica` |
//! | `kpi_db_replica_serving` | gauge (1 reads go to it, 0 not) | `replica` |
//! | `kpi_db_reads_total` | counter | `database` (`primary` or a replica), `preference` (`primary`, `replica_ok`, `after_token`) |
//! | `kpi_non_grpc_requests_total` | counter | `status` (the HTTP status answered) |
//! | `kpi_build_info` | gauge (always 1) | `version` |
//! | `kpi_change_streams_open` | gauge | |
//! | `kpi_changes_written_total` | counter (this process's writes; stored rows, one per subject, period and write) | |
//! | `kpi_changes_sent_total` | counter (to this process's streams) | |
//! | `kpi_change_reader_lag_max` | gauge (cursors between the latest change seen and the furthest-behind open stream) | |
//!
//! and the `process_*` metrics of [`super::process`]. A stream's lifetime
//! says nothing about the service's speed, so streams (health `Watch`) are
//! counted but kept out of the latency histogram.

use std::{sync::Arc, time::Duration};

use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusRecorder};

use crate::storage::{replicas::PREFERENCES, ReplicaReport};

use super::{
    codes::CANONICAL_NAMES,
    methods::{CallKind, KnownMethods, MethodLabels},
};

const STARTED: &str = "grpc_server_started_total";
const HANDLED: &str = "grpc_server_handled_total";
const HANDLING: &str = "grpc_server_handling_seconds";
const IN_FLIGHT: &str = "kpi_grpc_server_in_flight";
const INGEST_ITEMS: &str = "kpi_ingest_items_total";
const BATCH_SIZE: &str = "kpi_ingest_batch_size";
const POOL_CONNECTIONS: &str = "kpi_db_pool_connections";
const POOL_MAX: &str = "kpi_db_pool_max_connections";
const HEALTH: &str = "kpi_health_serving";
const REPLICA_LAG: &str = "kpi_db_replica_lag_seconds";
const REPLICA_SERVING: &str = "kpi_db_replica_serving";
const READS: &str = "kpi_db_reads_total";
const NON_GRPC: &str = "kpi_non_grpc_requests_total";
const BUILD_INFO: &str = "kpi_build_info";
const CHANGE_STREAMS: &str = "kpi_change_streams_open";
const CHANGES_WRITTEN: &str = "kpi_changes_written_total";
const CHANGES_SENT: &str = "kpi_changes_sent_total";
const CHANGE_LAG: &str = "kpi_change_reader_lag_max";

/// The HTTP statuses the gRPC port's edge answers what is not gRPC with.
const NON_GRPC_STATUSES: [u16; 4] = [204, 403, 404, 415];

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
    /// A fresh registry with the buckets above, `kpi_build_info` set, and
    /// every method of `methods` (and the `unknown` row) at zero for every
    /// code.
    pub fn new(methods: &KnownMethods) -> Result<Self, BuildError> {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(HANDLING.into()), DURATION_BUCKETS)?
            .set_buckets_for_metric(Matcher::Full(BATCH_SIZE.into()), BATCH_SIZE_BUCKETS)?
            .build_recorder();
        let metrics = Self {
            recorder: Arc::new(recorder),
        };
        metrics.with(|| {
            describe_everything();
            for labels in methods.all().chain([MethodLabels::UNKNOWN]) {
                initialise(labels);
            }
            for status in NON_GRPC_STATUSES {
                counter!(NON_GRPC, "status" => status.to_string()).absolute(0);
            }
        });
        Ok(metrics)
    }

    /// Runs `record` with this registry as the `metrics` recorder.
    fn with<T>(&self, record: impl FnOnce() -> T) -> T {
        metrics::with_local_recorder(self.recorder.as_ref(), record)
    }

    /// The Prometheus text exposition of every metric of the registry.
    pub fn render(&self) -> String {
        self.recorder.handle().render()
    }

    /// Folds recorded histogram samples into their buckets, so memory stays
    /// bounded between scrapes.
    pub fn run_upkeep(&self) {
        self.recorder.handle().run_upkeep();
    }

    /// A call has started.
    pub fn call_started(&self, labels: MethodLabels) {
        self.with(|| {
            let method = method_labels(labels);
            counter!(STARTED, &method).increment(1);
            gauge!(IN_FLIGHT, &method).increment(1.0);
        });
    }

    /// A call has finished with the canonical `code` (`OK`, `NOT_FOUND`, ...)
    /// after `latency`; only unary calls are timed.
    pub fn call_finished(&self, labels: MethodLabels, code: &'static str, latency: Duration) {
        self.with(|| {
            let method = method_labels(labels);
            gauge!(IN_FLIGHT, &method).decrement(1.0);
            counter!(HANDLED, &handled_labels(labels, code)).increment(1);
            if labels.kind == CallKind::Unary {
                histogram!(HANDLING, &method).record(latency.as_secs_f64());
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

    /// The standbys and where reads went, as sampled at scrape time. A
    /// `replica_ok` or `after_token` read on the primary is a fallback.
    pub fn database_reads(&self, replicas: &[ReplicaReport], primary_reads: [u64; 3]) {
        self.with(|| {
            for (preference, count) in PREFERENCES.iter().zip(primary_reads) {
                counter!(READS, "database" => "primary", "preference" => *preference)
                    .absolute(count);
            }
            for replica in replicas {
                let name = replica.name.clone();
                if let Some(lag) = replica.lag {
                    gauge!(REPLICA_LAG, "replica" => name.clone()).set(lag.as_secs_f64());
                }
                gauge!(REPLICA_SERVING, "replica" => name.clone()).set(if replica.serving {
                    1.0
                } else {
                    0.0
                });
                for (preference, count) in PREFERENCES[1..].iter().zip(replica.reads) {
                    counter!(READS, "database" => name.clone(), "preference" => *preference)
                        .absolute(count);
                }
            }
        });
    }

    /// The overall health status as sampled at scrape time.
    pub fn health(&self, serving: bool) {
        self.with(|| gauge!(HEALTH).set(if serving { 1.0 } else { 0.0 }));
    }

    /// The change feed's state, sampled at scrape time.
    pub fn change_feed(&self, sample: crate::storage::changes::signal::FeedSample) {
        self.with(|| {
            gauge!(CHANGE_STREAMS).set(sample.open_streams as f64);
            counter!(CHANGES_WRITTEN).absolute(sample.written);
            counter!(CHANGES_SENT).absolute(sample.sent);
            gauge!(CHANGE_LAG).set(sample.max_lag as f64);
        });
    }

    /// A request that was not gRPC (a browser's preflight, a JSON POST, a
    /// GET of /) was answered with the HTTP `status`.
    pub fn non_grpc_request(&self, status: u16) {
        self.with(|| counter!(NON_GRPC, "status" => status.to_string()).increment(1));
    }
}

fn method_labels(labels: MethodLabels) -> [(&'static str, &'static str); 3] {
    [
        ("grpc_type", labels.kind.label()),
        ("grpc_service", labels.service),
        ("grpc_method", labels.method),
    ]
}

fn handled_labels(labels: MethodLabels, code: &'static str) -> [(&'static str, &'static str); 4] {
    let [kind, service, method] = method_labels(labels);
    [kind, service, method, ("grpc_code", code)]
}

/// Registers every series of a method at zero, as go-grpc-prometheus's
/// `InitializeMetrics` does.
fn initialise(labels: MethodLabels) {
    let method = method_labels(labels);
    counter!(STARTED, &method).absolute(0);
    gauge!(IN_FLIGHT, &method).set(0.0);
    for code in CANONICAL_NAMES {
        counter!(HANDLED, &handled_labels(labels, code)).absolute(0);
    }
    if labels.kind == CallKind::Unary {
        // Registering is enough: an empty histogram renders its buckets at 0.
        let _ = histogram!(HANDLING, &method);
    }
}

fn describe_everything() {
    describe_counter!(STARTED, "RPCs started on the server");
    describe_counter!(HANDLED, "RPCs completed on the server, whatever their code");
    describe_histogram!(
        HANDLING,
        metrics::Unit::Seconds,
        "latency of unary RPCs, from the request's arrival to the end of its response"
    );
    describe_gauge!(IN_FLIGHT, "RPCs started and not yet finished");
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
    describe_gauge!(
        REPLICA_LAG,
        metrics::Unit::Seconds,
        "how far behind the primary a read replica is known to be"
    );
    describe_gauge!(
        REPLICA_SERVING,
        "1 while reads go to the replica (reachable, within database.max_replica_lag_ms)"
    );
    describe_counter!(
        READS,
        "reads by the database that served them and the preference the use case gave"
    );
    describe_counter!(
        NON_GRPC,
        "requests on the gRPC port that were not gRPC, by the HTTP status answered"
    );
    describe_gauge!(CHANGE_STREAMS, "open WatchScorecardChanges streams");
    describe_counter!(
        CHANGES_WRITTEN,
        "scorecard changes recorded by this process's writes"
    );
    describe_counter!(
        CHANGES_SENT,
        "scorecard changes sent to this process's change streams"
    );
    describe_gauge!(
        CHANGE_LAG,
        "cursors between the latest change this process saw and the furthest-behind open stream"
    );
    gauge!(CHANGE_STREAMS).set(0.0);
    counter!(CHANGES_WRITTEN).absolute(0);
    counter!(CHANGES_SENT).absolute(0);
    gauge!(CHANGE_LAG).set(0.0);
    describe_gauge!(BUILD_INFO, "always 1; the labels describe the build");
    gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
