//! The JSON log as a log collector reads it, from the real binary's
//! standard output: every line one JSON object, the call's `request_id`,
//! `trace_id`, `grpc_service` and `grpc_method` at the top level (no nested
//! span list), and a start that fails logged as one JSON line.

use std::{process::Stdio, time::Duration};

use kpi_service::grpc::pb::{self, directory_service_client::DirectoryServiceClient};
use serde_json::Value;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};
use tonic::{metadata::MetadataValue, Request};

use super::support::PATIENCE;
use crate::{helpers::Backend, on_both_backends};

on_both_backends!(the_probe_command_succeeds_against_a_ready_service);

const BINARY: &str = env!("CARGO_BIN_EXE_kpi-service");
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// The binary in JSON mode on a fresh SQLite file, its stdout piped.
fn json_service(database: &std::path::Path) -> Child {
    Command::new(BINARY)
        .arg("serve")
        .env("KPI__SERVER__LISTEN_ADDR", "127.0.0.1:0")
        .env(
            "KPI__DATABASE__URL",
            format!("sqlite://{}?mode=rwc", database.display()),
        )
        .env("KPI__TELEMETRY__LOG_FORMAT", "json")
        .env("KPI__TELEMETRY__LOG_FILTER", "info")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("cannot start the binary")
}

/// Reads JSON lines until one satisfies `wanted`; every line must be JSON.
async fn line_where(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    wanted: impl Fn(&Value) -> bool,
) -> Value {
    tokio::time::timeout(PATIENCE, async {
        loop {
            let line = lines
                .next_line()
                .await
                .unwrap()
                .expect("the log ended first");
            let parsed: Value = serde_json::from_str(&line)
                .unwrap_or_else(|error| panic!("not one JSON object ({error}): {line}"));
            if wanted(&parsed) {
                return parsed;
            }
        }
    })
    .await
    .expect("the line never came")
}

/// SQLite only, on a file of its own: the log's shape does not depend on
/// the database, and the binary runs as a process of its own here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_is_logged_as_json_with_its_ids_and_method_at_the_top_level() {
    let database = std::env::temp_dir().join(format!("kpi-json-log-{}.db", std::process::id()));
    let mut service = json_service(&database);
    let mut lines = BufReader::new(service.stdout.take().unwrap()).lines();
    let serving = line_where(&mut lines, |line| line["message"] == "serving gRPC").await;
    let address = serving["address"].as_str().unwrap().to_owned();

    let channel = tonic::transport::Channel::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut request = Request::new(pb::GetAgentRequest {
        agent_id: "nobody".into(),
    });
    request
        .metadata_mut()
        .insert("x-request-id", MetadataValue::from_static("log-test-1"));
    request.metadata_mut().insert(
        "traceparent",
        MetadataValue::from_static("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    );
    let _ = DirectoryServiceClient::new(channel)
        .get_agent(request)
        .await;

    let call = line_where(&mut lines, |line| line["message"] == "call finished").await;
    assert_eq!(call["level"], "INFO");
    assert_eq!(call["request_id"], "log-test-1");
    assert_eq!(call["trace_id"], TRACE_ID);
    assert_eq!(call["grpc_service"], "kpi.v1.DirectoryService");
    assert_eq!(call["grpc_method"], "GetAgent");
    assert_eq!(call["grpc_code"], "NOT_FOUND");
    assert_eq!(call["grpc_type"], "unary");
    assert!(call["latency_ms"].is_number(), "{call}");
    for nested in ["span", "spans", "fields"] {
        assert!(call.get(nested).is_none(), "{nested} in {call}");
    }

    let _ = service.start_kill();
    let _ = service.wait().await;
    for suffix in ["", "-wal", "-shm"] {
        let mut file = database.clone().into_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_that_fails_is_one_json_line_in_json_mode() {
    // A setting with a typo: the settings themselves fail to load.
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        Command::new(BINARY)
            .arg("serve")
            .env("KPI__TELEMETRY__LOG_FORMAT", "json")
            .env("KPI__SERVER__LISTEN_ADRR", "0.0.0.0:1")
            .env_remove("RUST_LOG")
            .output(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stdout}");
    let line: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(line["level"], "ERROR");
    assert_eq!(line["message"], "kpi-service failed");
    let error = line["error"].as_str().unwrap();
    assert!(error.contains("listen_adrr"), "{error}");
    assert!(!error.contains('\n'), "{error}");
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_probe_command_fails_when_nothing_answers() {
    let output = Command::new(BINARY)
        .args(["probe", "--url", "http://127.0.0.1:9/readyz"])
        .env_remove("RUST_LOG")
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
}

async fn the_probe_command_succeeds_against_a_ready_service(backend: Backend) {
    let app = super::support::spawn_observed_app(backend, |_| {}).await;
    super::support::wait_for_health(
        &app,
        tonic_health::pb::health_check_response::ServingStatus::Serving,
    )
    .await;
    let url = format!("http://{}/readyz", app.metrics_addr.unwrap());
    let output = Command::new(BINARY)
        .args(["probe", "--url", &url])
        .env_remove("RUST_LOG")
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}
