//! OTLP trace export against a collector made in the test (a tonic server
//! implementing OTLP's TraceService with the opentelemetry-proto crate): the
//! real binary, with `telemetry.otlp_endpoint` pointing at it, exports each
//! call as a server span that continues the client's `traceparent`, or
//! starts a trace whose id the call's log line carries.

use std::{
    process::Stdio,
    sync::{Arc, Mutex},
};

use kpi_service::grpc::pb::{self, directory_service_client::DirectoryServiceClient};
use opentelemetry_proto::tonic::{
    collector::trace::v1::{
        trace_service_server::{TraceService, TraceServiceServer},
        ExportTraceServiceRequest, ExportTraceServiceResponse,
    },
    common::v1::{any_value, KeyValue},
    trace::v1::{span::SpanKind, status::StatusCode, Span},
};
use serde_json::Value;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::Command,
};
use tonic::{metadata::MetadataValue, Request, Response, Status};

use super::support::PATIENCE;

const BINARY: &str = env!("CARGO_BIN_EXE_kpi-service");

/// Keeps every export request it receives.
#[derive(Clone, Default)]
struct Collector {
    received: Arc<Mutex<Vec<ExportTraceServiceRequest>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        self.received.lock().unwrap().push(request.into_inner());
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
}

impl Collector {
    fn spans(&self) -> Vec<Span> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .flat_map(|request| &request.resource_spans)
            .flat_map(|resource| &resource.scope_spans)
            .flat_map(|scope| scope.spans.clone())
            .collect()
    }

    fn service_names(&self) -> Vec<String> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .flat_map(|request| &request.resource_spans)
            .filter_map(|resource| resource.resource.as_ref())
            .flat_map(|resource| resource.attributes.iter())
            .filter(|attribute| attribute.key == "service.name")
            .filter_map(text)
            .collect()
    }
}

fn text(attribute: &KeyValue) -> Option<String> {
    match attribute.value.as_ref()?.value.as_ref()? {
        any_value::Value::StringValue(text) => Some(text.clone()),
        any_value::Value::IntValue(number) => Some(number.to_string()),
        _ => None,
    }
}

fn attribute(span: &Span, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|attribute| attribute.key == key)
        .and_then(text)
}

/// The next log line whose message is `wanted`.
async fn next_line(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    wanted: &str,
) -> Value {
    loop {
        let line = lines.next_line().await.unwrap().expect("the log ended");
        let line: Value = serde_json::from_str(&line).unwrap();
        if line["message"] == wanted {
            return line;
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// SQLite only, on a file of its own: what is exported does not depend on
/// the database, and the binary runs as a process of its own here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_call_is_exported_as_a_server_span_continuing_the_callers_trace() {
    let collector = Collector::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let collector_addr = listener.local_addr().unwrap();
    let receiver = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(collector.clone()))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );

    let database = std::env::temp_dir().join(format!("kpi-traces-{}.db", std::process::id()));
    let mut service = Command::new(BINARY)
        .arg("serve")
        .env("KPI__SERVER__LISTEN_ADDR", "127.0.0.1:0")
        .env(
            "KPI__DATABASE__URL",
            format!("sqlite://{}?mode=rwc", database.display()),
        )
        .env("KPI__TELEMETRY__LOG_FORMAT", "json")
        .env(
            "KPI__TELEMETRY__OTLP_ENDPOINT",
            format!("http://{collector_addr}"),
        )
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(service.stdout.take().unwrap()).lines();
    let serving = tokio::time::timeout(PATIENCE, next_line(&mut lines, "serving gRPC"))
        .await
        .unwrap();
    let address = serving["address"].as_str().unwrap().to_owned();
    let channel = tonic::transport::Channel::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await
        .unwrap();

    // A call in the client's trace...
    let mut request = Request::new(pb::GetAgentRequest {
        agent_id: "nobody".into(),
    });
    request.metadata_mut().insert(
        "traceparent",
        MetadataValue::from_static("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    );
    let _ = DirectoryServiceClient::new(channel.clone())
        .get_agent(request)
        .await;
    // ... and one without: it starts a trace, which its log line names.
    let _ = DirectoryServiceClient::new(channel)
        .list_teams(pb::ListTeamsRequest::default())
        .await;
    let mut logged = tokio::time::timeout(PATIENCE, next_line(&mut lines, "call finished"))
        .await
        .unwrap();
    if logged["grpc_method"] != "ListTeams" {
        logged = tokio::time::timeout(PATIENCE, next_line(&mut lines, "call finished"))
            .await
            .unwrap();
    }
    let started_trace = logged["trace_id"].as_str().expect("a trace id").to_owned();

    let waited = tokio::time::timeout(PATIENCE, async {
        while collector.spans().len() < 2 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "spans received: {:?}", collector.spans());
    let spans = collector.spans();
    let get_agent = spans
        .iter()
        .find(|span| span.name == "kpi.v1.DirectoryService/GetAgent")
        .expect("the GetAgent span");
    assert_eq!(hex(&get_agent.trace_id), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(hex(&get_agent.parent_span_id), "00f067aa0ba902b7");
    assert_eq!(get_agent.span_id.len(), 8);
    assert_eq!(get_agent.kind, SpanKind::Server as i32);
    assert_eq!(attribute(get_agent, "rpc.system").as_deref(), Some("grpc"));
    assert_eq!(
        attribute(get_agent, "rpc.service").as_deref(),
        Some("kpi.v1.DirectoryService")
    );
    assert_eq!(
        attribute(get_agent, "rpc.method").as_deref(),
        Some("GetAgent")
    );
    assert_eq!(
        attribute(get_agent, "rpc.grpc.status_code").as_deref(),
        Some("5"),
        "NOT_FOUND"
    );
    assert_eq!(
        get_agent.status.as_ref().unwrap().code,
        StatusCode::Unset as i32,
        "NOT_FOUND is the caller's outcome, not a server error"
    );
    assert!(get_agent.end_time_unix_nano >= get_agent.start_time_unix_nano);

    let list_teams = spans
        .iter()
        .find(|span| span.name == "kpi.v1.DirectoryService/ListTeams")
        .expect("the ListTeams span");
    assert_eq!(hex(&list_teams.trace_id), started_trace);
    assert!(list_teams.parent_span_id.is_empty(), "a root span");
    assert!(collector
        .service_names()
        .iter()
        .all(|name| name == "kpi-service"));

    let _ = service.start_kill();
    let _ = service.wait().await;
    receiver.abort();
    for suffix in ["", "-wal", "-shm"] {
        let mut file = database.clone().into_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
}
