//! `/metrics` as Prometheus reads it (parsed with a real Prometheus text
//! parser): gRPC calls in the go-grpc-prometheus convention, every served
//! method at zero for every code from the start, streams apart from unary
//! calls, and the service's and the process's own metrics.

use kpi_service::{grpc::pb, telemetry::codes::CANONICAL_NAMES};
use tokio_stream::StreamExt;
use tonic::{Code, Request};
use tonic_health::pb::{health_client::HealthClient, HealthCheckRequest};

use super::support::{handled, method, scrape, spawn_observed_app, value};
use crate::{
    fixtures::{interaction, interactions},
    helpers::{spawn_app, Backend},
    on_both_backends,
};

on_both_backends!(
    every_served_method_is_exported_at_zero_for_every_code_before_any_call,
    calls_are_counted_by_method_type_and_canonical_code,
    an_unknown_method_is_counted_under_bounded_labels,
    ingest_pool_health_build_and_process_metrics_are_exported,
    a_health_watch_the_client_cancels_is_a_stream_outside_the_latency_histogram,
    the_metrics_listener_is_off_unless_configured,
);

const GET_AGENT: &str = "/kpi.v1.DirectoryService/GetAgent";
const INGEST: &str = "/kpi.v1.IngestService/IngestInteractions";
const WATCH: &str = "/grpc.health.v1.Health/Watch";

async fn every_served_method_is_exported_at_zero_for_every_code_before_any_call(backend: Backend) {
    let app = spawn_observed_app(backend, |_| {}).await;
    let metrics = scrape(&app).await;
    for path in [
        GET_AGENT,
        INGEST,
        "/kpi.v1.PeriodService/ClosePeriod",
        "/kpi.v1.ScorecardService/GetAgentScorecard",
    ] {
        assert_eq!(
            value(
                &metrics,
                "grpc_server_started_total",
                &method("unary", path)
            ),
            Some(0.0),
            "{path}"
        );
        for code in CANONICAL_NAMES {
            assert_eq!(
                value(
                    &metrics,
                    "grpc_server_handled_total",
                    &handled("unary", path, code)
                ),
                Some(0.0),
                "{path} {code}"
            );
        }
    }
    assert_eq!(
        value(
            &metrics,
            "grpc_server_handled_total",
            &handled("server_stream", WATCH, "CANCELLED")
        ),
        Some(0.0)
    );
    let latency = metrics
        .samples
        .iter()
        .find(|sample| {
            sample.metric == "grpc_server_handling_seconds"
                && sample.labels.get("grpc_method") == Some("GetAgent")
        })
        .expect("the latency histogram of a method exists before its first call");
    assert!(
        matches!(&latency.value, prometheus_parse::Value::Histogram(buckets)
            if !buckets.is_empty() && buckets.iter().all(|bucket| bucket.count == 0.0)),
        "{:?}",
        latency.value
    );
}

async fn calls_are_counted_by_method_type_and_canonical_code(backend: Backend) {
    let app = spawn_observed_app(backend, |_| {}).await;
    app.ingest()
        .ingest_interactions(interactions(vec![interaction("call-1", "ana")]))
        .await
        .unwrap();
    let mut no_end = interaction("call-2", "ana");
    no_end.ended_at = None;
    let invalid = app
        .ingest()
        .ingest_interactions(interactions(vec![no_end]))
        .await
        .unwrap_err();
    assert_eq!(invalid.code(), Code::InvalidArgument);
    for agent_id in ["ana", "nobody", "nobody"] {
        let _ = app
            .directory()
            .get_agent(pb::GetAgentRequest {
                agent_id: agent_id.into(),
            })
            .await;
    }

    let metrics = scrape(&app).await;
    let count = |path, code| {
        value(
            &metrics,
            "grpc_server_handled_total",
            &handled("unary", path, code),
        )
    };
    assert_eq!(count(INGEST, "OK"), Some(1.0));
    assert_eq!(count(INGEST, "INVALID_ARGUMENT"), Some(1.0));
    assert_eq!(count(GET_AGENT, "OK"), Some(1.0));
    assert_eq!(count(GET_AGENT, "NOT_FOUND"), Some(2.0));
    assert_eq!(count(GET_AGENT, "INTERNAL"), Some(0.0));
    assert_eq!(
        value(
            &metrics,
            "grpc_server_started_total",
            &method("unary", GET_AGENT)
        ),
        Some(3.0)
    );
    assert_eq!(
        value(
            &metrics,
            "kpi_grpc_server_in_flight",
            &method("unary", GET_AGENT)
        ),
        Some(0.0)
    );
    assert_eq!(
        value(
            &metrics,
            "grpc_server_handling_seconds_count",
            &method("unary", GET_AGENT)
        ),
        Some(3.0),
        "every unary call is timed"
    );
}

async fn an_unknown_method_is_counted_under_bounded_labels(backend: Backend) {
    let app = spawn_observed_app(backend, |_| {}).await;
    let mut grpc = tonic::client::Grpc::new(app.channel.clone());
    grpc.ready().await.unwrap();
    let status = grpc
        .unary::<(), (), _>(
            Request::new(()),
            http::uri::PathAndQuery::from_static("/kpi.v1.DirectoryService/NoSuchMethod"),
            tonic_prost::ProstCodec::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented, "{status:?}");
    let metrics = scrape(&app).await;
    let unknown = [
        ("grpc_type", "unary"),
        ("grpc_service", "unknown"),
        ("grpc_method", "unknown"),
        ("grpc_code", "UNIMPLEMENTED"),
    ];
    assert_eq!(
        value(&metrics, "grpc_server_handled_total", &unknown),
        Some(1.0)
    );
    assert!(
        !metrics
            .samples
            .iter()
            .any(|sample| sample.labels.get("grpc_method") == Some("NoSuchMethod")),
        "a caller's path never becomes a label"
    );
}

async fn ingest_pool_health_build_and_process_metrics_are_exported(backend: Backend) {
    let app = spawn_observed_app(backend, |_| {}).await;
    super::support::wait_for_health(
        &app,
        tonic_health::pb::health_check_response::ServingStatus::Serving,
    )
    .await;
    app.ingest()
        .ingest_interactions(interactions(vec![
            interaction("call-1", "ana"),
            interaction("call-2", "ana"),
        ]))
        .await
        .unwrap();
    let metrics = scrape(&app).await;
    assert_eq!(
        value(
            &metrics,
            "kpi_ingest_items_total",
            &[("kind", "interactions"), ("outcome", "created")]
        ),
        Some(2.0)
    );
    assert_eq!(
        value(
            &metrics,
            "kpi_ingest_batch_size_count",
            &[("kind", "interactions")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(&metrics, "kpi_db_pool_max_connections", &[]),
        Some(5.0)
    );
    let in_use = value(&metrics, "kpi_db_pool_connections", &[("state", "in_use")]).unwrap();
    let idle = value(&metrics, "kpi_db_pool_connections", &[("state", "idle")]).unwrap();
    assert!((1.0..=5.0).contains(&(in_use + idle)), "{in_use} + {idle}");
    assert_eq!(value(&metrics, "kpi_health_serving", &[]), Some(1.0));
    assert_eq!(
        value(
            &metrics,
            "kpi_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        Some(1.0)
    );
    for name in [
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_open_fds",
        "process_start_time_seconds",
    ] {
        let sample = value(&metrics, name, &[]).unwrap_or_else(|| panic!("{name} missing"));
        assert!(sample > 0.0, "{name} = {sample}");
    }
    assert!(
        metrics
            .samples
            .iter()
            .all(|sample| sample.labels.get("service").is_none()),
        "no label may collide with the `service` label Kubernetes discovery attaches"
    );
}

/// A `Watch` stream ends when its client goes away: that is the client's
/// doing (CANCELLED, not a server error), and its 20 s or 20 h of life say
/// nothing about latency, so it stays out of the latency histogram.
async fn a_health_watch_the_client_cancels_is_a_stream_outside_the_latency_histogram(
    backend: Backend,
) {
    let app = spawn_observed_app(backend, |_| {}).await;
    let mut watch = HealthClient::new(app.channel.clone())
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    watch.next().await.unwrap().unwrap();
    let labels = method("server_stream", WATCH);
    let metrics = scrape(&app).await;
    assert_eq!(
        value(&metrics, "kpi_grpc_server_in_flight", &labels),
        Some(1.0)
    );
    drop(watch);

    let cancelled = handled("server_stream", WATCH, "CANCELLED");
    let mut seen = None;
    for _ in 0..1500 {
        seen = value(&scrape(&app).await, "grpc_server_handled_total", &cancelled);
        if seen == Some(1.0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(seen, Some(1.0), "the cancelled stream is counted once");
    let metrics = scrape(&app).await;
    assert!(
        !metrics.samples.iter().any(|sample| sample
            .metric
            .starts_with("grpc_server_handling_seconds")
            && sample.labels.get("grpc_method") == Some("Watch")),
        "a stream has no latency series"
    );
    assert_eq!(
        value(&metrics, "kpi_grpc_server_in_flight", &labels),
        Some(0.0)
    );
}

async fn the_metrics_listener_is_off_unless_configured(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.metrics_addr, None);
}
