//! What the operations tests share: a server with its operations listener,
//! `/metrics` read with a real Prometheus text parser, the probes, and
//! waits on the server's own numbers instead of on the clock.

use std::time::Duration;

use kpi_service::configuration::Settings;
use prometheus_parse::{Scrape, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic_health::pb::{
    health_check_response::ServingStatus, health_client::HealthClient, HealthCheckRequest,
};

use crate::helpers::{spawn_app_with, Backend, TestApp};

/// How long a wait on the server's numbers may take before the test fails:
/// generous, since the machine is shared; a wait ends as soon as the number
/// is there.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A server with the operations listener (metrics and probes) on a free port.
pub async fn spawn_observed_app(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with(backend, |settings| {
        settings.telemetry.metrics_addr = "127.0.0.1:0".into();
        adjust(settings);
    })
    .await
}

/// `GET path` on the operations listener over plain HTTP/1.1: (status, body).
pub async fn http_get(app: &TestApp, path: &str) -> (u16, String) {
    let address = app.metrics_addr.expect("the operations listener is on");
    raw_http(
        address,
        &format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"),
    )
    .await
}

/// Sends `request` as it is and reads the whole reply: (status, body).
pub async fn raw_http(address: std::net::SocketAddr, request: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await.unwrap();
    let reply = String::from_utf8_lossy(&reply).into_owned();
    let (head, body) = reply.split_once("\r\n\r\n").expect("no HTTP header end");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {head:?}"));
    (status, body.to_owned())
}

/// `/metrics`, parsed.
pub async fn scrape(app: &TestApp) -> Scrape {
    let (status, body) = http_get(app, "/metrics").await;
    assert_eq!(status, 200, "{body}");
    Scrape::parse(body.lines().map(|line| Ok(line.to_owned()))).expect("not Prometheus text")
}

/// The value of the counter or gauge `name` whose labels include `labels`
/// (exactly one series must match).
pub fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let matching: Vec<f64> = scrape
        .samples
        .iter()
        .filter(|sample| sample.metric == name)
        .filter(|sample| {
            labels
                .iter()
                .all(|(label, wanted)| sample.labels.get(label) == Some(*wanted))
        })
        .map(|sample| match &sample.value {
            Value::Counter(value) | Value::Gauge(value) | Value::Untyped(value) => *value,
            other => panic!("{name} is not a single number: {other:?}"),
        })
        .collect();
    assert!(
        matching.len() <= 1,
        "{name}{labels:?} matches {} series",
        matching.len()
    );
    matching.first().copied()
}

/// The labels of a method's series.
pub fn method(kind: &'static str, path: &'static str) -> Vec<(&'static str, &'static str)> {
    let (service, method) = path
        .trim_start_matches('/')
        .split_once('/')
        .expect("a /package.Service/Method path");
    vec![
        ("grpc_type", kind),
        ("grpc_service", service),
        ("grpc_method", method),
    ]
}

/// `method`'s labels and a code.
pub fn handled(
    kind: &'static str,
    path: &'static str,
    code: &'static str,
) -> Vec<(&'static str, &'static str)> {
    let mut labels = method(kind, path);
    labels.push(("grpc_code", code));
    labels
}

/// Waits until `path` has `calls` calls in flight, as the server counts
/// them: the calls a test started are then surely inside the server.
pub async fn wait_for_in_flight(app: &TestApp, path: &'static str, calls: f64) {
    let labels = method("unary", path);
    let mut seen = None;
    let waited = tokio::time::timeout(PATIENCE, async {
        loop {
            seen = value(&scrape(app).await, "kpi_grpc_server_in_flight", &labels);
            if seen == Some(calls) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(
        waited.is_ok(),
        "{path}: {calls} calls never in flight (last seen {seen:?})"
    );
}

/// Waits until the overall health reports `wanted`.
pub async fn wait_for_health(app: &TestApp, wanted: ServingStatus) {
    let mut health = HealthClient::new(app.channel.clone());
    let waited = tokio::time::timeout(PATIENCE, async {
        loop {
            let reply = health
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .expect("health must answer")
                .into_inner();
            if reply.status == wanted as i32 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "health never reported {wanted:?}");
}
