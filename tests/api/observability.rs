//! What operators and client teams see around the calls: Prometheus metrics
//! by method and code, request ids and trace context echoed, gzip, and
//! reflection that can decode error details.

use std::time::Duration;

use kpi_service::{grpc::pb, telemetry::codes::canonical_name};
use prost::Message;
use sea_orm::TransactionTrait;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_stream::StreamExt;
use tonic::{codec::CompressionEncoding, metadata::MetadataValue, Code, Request};
use tonic_health::pb::{
    health_check_response::ServingStatus, health_client::HealthClient, HealthCheckRequest,
};

use crate::{
    fixtures::{interaction, interactions},
    helpers::{spawn_app, spawn_app_with, Backend, TestApp},
    on_both_backends,
};

on_both_backends!(
    metrics_count_every_call_by_method_and_canonical_code,
    the_metrics_listener_is_off_unless_configured,
    every_call_echoes_its_request_id_and_trace_context,
    gzip_requests_are_accepted_and_replies_compressed,
    reflection_describes_the_google_rpc_error_details,
    a_call_the_server_times_out_is_counted_under_the_code_sent,
    a_call_held_back_by_the_concurrency_limit_is_observed,
);

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

async fn spawn_app_with_metrics(backend: Backend) -> TestApp {
    spawn_app_with(backend, |settings| {
        settings.telemetry.metrics_addr = "127.0.0.1:0".into();
    })
    .await
}

/// `GET /metrics` over plain HTTP/1.1: (content type, body).
async fn scrape(app: &TestApp) -> (String, String) {
    let address = app.metrics_addr.expect("metrics are on");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).await.unwrap();
    let (head, body) = reply.split_once("\r\n\r\n").expect("no HTTP header end");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let content_type = head
        .lines()
        .find_map(|line| {
            line.to_lowercase()
                .strip_prefix("content-type: ")
                .map(str::to_owned)
        })
        .unwrap_or_default();
    (content_type, body.to_owned())
}

/// The value of the sample `name{labels}` in a Prometheus text body.
fn sample(body: &str, series: &str) -> Option<f64> {
    body.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|value| value.trim().parse().expect("not a number"))
}

async fn wait_until_serving(app: &TestApp) {
    let mut health = HealthClient::new(app.channel.clone());
    for _ in 0..100 {
        let reply = health
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        if reply.status == ServingStatus::Serving as i32 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never SERVING");
}

/// Calls a method the server does not have (UNIMPLEMENTED, never reaching
/// a handler) and returns the status.
async fn call_unknown_method(app: &TestApp, request: Request<()>) -> tonic::Status {
    let mut grpc = tonic::client::Grpc::new(app.channel.clone());
    grpc.ready().await.unwrap();
    grpc.unary::<(), (), _>(
        request,
        http::uri::PathAndQuery::from_static("/kpi.v1.DirectoryService/NoSuchMethod"),
        tonic_prost::ProstCodec::default(),
    )
    .await
    .unwrap_err()
}

async fn metrics_count_every_call_by_method_and_canonical_code(backend: Backend) {
    let app = spawn_app_with_metrics(backend).await;
    wait_until_serving(&app).await;

    // OK twice (an ingest and a read), INVALID_ARGUMENT, NOT_FOUND and a
    // call of an unknown method.
    app.ingest()
        .ingest_interactions(interactions(vec![
            interaction("call-1", "ana"),
            interaction("call-2", "ana"),
        ]))
        .await
        .unwrap();
    let mut no_end = interaction("call-3", "ana");
    no_end.ended_at = None;
    let invalid = app
        .ingest()
        .ingest_interactions(interactions(vec![no_end]))
        .await
        .unwrap_err();
    assert_eq!(invalid.code(), Code::InvalidArgument);
    app.directory()
        .get_agent(pb::GetAgentRequest {
            agent_id: "ana".into(),
        })
        .await
        .unwrap();
    let missing = app
        .directory()
        .get_agent(pb::GetAgentRequest {
            agent_id: "nobody".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    // No handler sees it: the scope check refuses an RPC it does not know
    // (PERMISSION_DENIED), or, without one, the router (UNIMPLEMENTED).
    let unknown = call_unknown_method(&app, Request::new(())).await;
    assert!(
        matches!(unknown.code(), Code::Unimplemented | Code::PermissionDenied),
        "{unknown:?}"
    );
    let unknown_code = canonical_name(unknown.code() as i32);

    let (content_type, body) = scrape(&app).await;
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let requests = |service: &str, method: &str, code: &str| {
        sample(
            &body,
            &format!(
                "kpi_grpc_requests_total{{service=\"{service}\",method=\"{method}\",code=\"{code}\"}}"
            ),
        )
    };
    let ingest = "kpi.v1.IngestService";
    let directory = "kpi.v1.DirectoryService";
    assert_eq!(
        requests(ingest, "IngestInteractions", "OK"),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        requests(ingest, "IngestInteractions", "INVALID_ARGUMENT"),
        Some(1.0),
        "{body}"
    );
    assert_eq!(requests(directory, "GetAgent", "OK"), Some(1.0), "{body}");
    assert_eq!(
        requests(directory, "GetAgent", "NOT_FOUND"),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        requests("unknown", "unknown", unknown_code),
        Some(1.0),
        "an unknown method is counted under bounded labels: {body}"
    );
    assert_eq!(
        sample(
            &body,
            "kpi_grpc_errors_total{service=\"kpi.v1.DirectoryService\",method=\"GetAgent\",code=\"NOT_FOUND\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &body,
            "kpi_grpc_errors_total{service=\"kpi.v1.DirectoryService\",method=\"GetAgent\",code=\"OK\"}"
        ),
        None,
        "OK is not an error"
    );
    assert_eq!(
        sample(
            &body,
            "kpi_grpc_request_duration_seconds_count{service=\"kpi.v1.DirectoryService\",method=\"GetAgent\",code=\"OK\"}"
        ),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        sample(
            &body,
            "kpi_grpc_requests_in_flight{service=\"kpi.v1.DirectoryService\",method=\"GetAgent\"}"
        ),
        Some(0.0)
    );
    assert_eq!(
        sample(
            &body,
            "kpi_ingest_items_total{kind=\"interactions\",outcome=\"created\"}"
        ),
        Some(2.0),
        "{body}"
    );
    assert_eq!(
        sample(
            &body,
            "kpi_ingest_items_total{kind=\"interactions\",outcome=\"rejected\"}"
        ),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        sample(&body, "kpi_ingest_batch_size_count{kind=\"interactions\"}"),
        Some(2.0)
    );
    assert_eq!(sample(&body, "kpi_db_pool_max_connections"), Some(5.0));
    let in_use = sample(&body, "kpi_db_pool_connections{state=\"in_use\"}").unwrap();
    let idle = sample(&body, "kpi_db_pool_connections{state=\"idle\"}").unwrap();
    assert!((1.0..=5.0).contains(&(in_use + idle)), "{in_use} + {idle}");
    assert_eq!(sample(&body, "kpi_health_serving"), Some(1.0));
    assert_eq!(
        sample(
            &body,
            &format!(
                "kpi_build_info{{version=\"{}\"}}",
                env!("CARGO_PKG_VERSION")
            )
        ),
        Some(1.0)
    );

    // A second scrape sees a new call: counters are live, not snapshots.
    app.directory()
        .get_agent(pb::GetAgentRequest {
            agent_id: "nobody".into(),
        })
        .await
        .unwrap_err();
    let (_, body) = scrape(&app).await;
    assert_eq!(
        sample(
            &body,
            "kpi_grpc_requests_total{service=\"kpi.v1.DirectoryService\",method=\"GetAgent\",code=\"NOT_FOUND\"}"
        ),
        Some(2.0)
    );
}

async fn the_metrics_listener_is_off_unless_configured(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.metrics_addr, None);
}

async fn every_call_echoes_its_request_id_and_trace_context(backend: Backend) {
    let app = spawn_app(backend).await;

    // A client's id comes back on an error...
    let mut request = Request::new(pb::GetAgentRequest {
        agent_id: "nobody".into(),
    });
    request.metadata_mut().insert(
        "x-request-id",
        MetadataValue::from_static("support-ticket-77"),
    );
    request
        .metadata_mut()
        .insert("traceparent", MetadataValue::from_static(TRACEPARENT));
    let status = app.directory().get_agent(request).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(
        status.metadata().get("x-request-id").unwrap(),
        "support-ticket-77"
    );
    assert_eq!(status.metadata().get("traceparent").unwrap(), TRACEPARENT);

    // ... a generated one on a success ...
    let reply = app
        .scorecards()
        .list_kpis(pb::ListKpisRequest::default())
        .await
        .unwrap();
    let generated = reply
        .metadata()
        .get("x-request-id")
        .expect("a generated request id")
        .to_str()
        .unwrap();
    assert_eq!(generated.len(), 36, "a UUID: {generated}");
    assert!(reply.metadata().get("traceparent").is_none());

    // ... and on a call no handler ever sees.
    let mut request = Request::new(());
    request
        .metadata_mut()
        .insert("x-request-id", MetadataValue::from_static("lost-call-1"));
    let status = call_unknown_method(&app, request).await;
    assert_eq!(
        status.metadata().get("x-request-id").unwrap(),
        "lost-call-1"
    );
}

async fn gzip_requests_are_accepted_and_replies_compressed(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut ingest = app
        .ingest()
        .send_compressed(CompressionEncoding::Gzip)
        .accept_compressed(CompressionEncoding::Gzip);
    let batch: Vec<pb::Interaction> = (0..50)
        .map(|n| interaction(&format!("call-{n}"), "ana"))
        .collect();
    let reply = ingest
        .ingest_interactions(interactions(batch))
        .await
        .expect("a gzip request is accepted");
    assert_eq!(
        reply.metadata().get("grpc-encoding").unwrap(),
        "gzip",
        "a client that accepts gzip gets a gzip reply"
    );
    assert_eq!(reply.into_inner().results.len(), 50);
}

async fn reflection_describes_the_google_rpc_error_details(backend: Backend) {
    use tonic_reflection::pb::v1::{
        server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
        ServerReflectionRequest,
    };
    let app = spawn_app(backend).await;
    let requests =
        ["google.rpc.BadRequest", "google.rpc.Status"].map(|symbol| ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::FileContainingSymbol(symbol.into())),
        });
    let mut replies = ServerReflectionClient::new(app.channel.clone())
        .server_reflection_info(tokio_stream::iter(requests))
        .await
        .unwrap()
        .into_inner();
    let mut files = Vec::new();
    while let Some(reply) = replies.next().await {
        match reply.unwrap().message_response {
            Some(MessageResponse::FileDescriptorResponse(response)) => {
                for bytes in response.file_descriptor_proto {
                    let file = prost_types::FileDescriptorProto::decode(bytes.as_slice()).unwrap();
                    files.push(file.name().to_owned());
                }
            }
            other => panic!("unexpected reflection reply {other:?}"),
        }
    }
    assert!(
        files
            .iter()
            .any(|name| name == "google/rpc/error_details.proto"),
        "{files:?}"
    );
    assert!(
        files.iter().any(|name| name == "google/rpc/status.proto"),
        "{files:?}"
    );
}

/// A call that outlives `server.request_timeout_seconds` never finishes in
/// the handler, yet it is counted under the code the client got (tonic's
/// own time limit answers CANCELLED, a limit of ours DEADLINE_EXCEEDED).
async fn a_call_the_server_times_out_is_counted_under_the_code_sent(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.telemetry.metrics_addr = "127.0.0.1:0".into();
        settings.server.request_timeout_seconds = 1;
        settings.database.max_connections = 1;
        settings.database.min_connections = 1;
        settings.database.acquire_timeout_seconds = 10;
    })
    .await;
    // Hold the only connection so that the call waits past its timeout.
    let blocker = app.database.connection().begin().await.unwrap();
    let status = app
        .ingest()
        .ingest_interactions(interactions(vec![interaction("call-1", "ana")]))
        .await
        .unwrap_err();
    let code = match status.code() {
        Code::Cancelled => "CANCELLED",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        other => panic!("a timed-out call answered {other:?}"),
    };
    drop(blocker);

    let (_, body) = scrape(&app).await;
    assert_eq!(
        sample(
            &body,
            &format!(
                "kpi_grpc_requests_total{{service=\"kpi.v1.IngestService\",method=\"IngestInteractions\",code=\"{code}\"}}"
            )
        ),
        Some(1.0),
        "{body}"
    );
    assert_eq!(
        sample(
            &body,
            "kpi_grpc_requests_in_flight{service=\"kpi.v1.IngestService\",method=\"IngestInteractions\"}"
        ),
        Some(0.0)
    );
}

/// A call beyond `server.max_concurrent_requests` is observed whatever
/// the limit does with it: if it waits for a slot, it is already in flight
/// (its wait is part of its latency); if it is shed, it is counted as
/// RESOURCE_EXHAUSTED in `kpi_grpc_shed_total`.
async fn a_call_held_back_by_the_concurrency_limit_is_observed(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.telemetry.metrics_addr = "127.0.0.1:0".into();
        settings.server.max_concurrent_requests = 1;
        settings.server.request_timeout_seconds = 2;
        settings.database.max_connections = 1;
        settings.database.min_connections = 1;
        settings.database.acquire_timeout_seconds = 10;
    })
    .await;
    // The first call takes the only slot and waits for the only database
    // connection; the second is held back by the limit.
    let blocker = app.database.connection().begin().await.unwrap();
    let first = {
        let mut client = app.ingest();
        let batch = interactions(vec![interaction("call-1", "ana")]);
        tokio::spawn(async move { client.ingest_interactions(batch).await })
    };
    let in_flight = "kpi_grpc_requests_in_flight{service=\"kpi.v1.IngestService\",method=\"IngestInteractions\"}";
    let shed =
        "kpi_grpc_shed_total{service=\"kpi.v1.IngestService\",method=\"IngestInteractions\"}";
    let mut observed = None;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(25)).await;
        observed = sample(&scrape(&app).await.1, in_flight);
        if observed == Some(1.0) {
            break;
        }
    }
    assert_eq!(observed, Some(1.0), "the first call is in flight");
    let second = {
        let mut client = app.ingest();
        let batch = interactions(vec![interaction("call-2", "ana")]);
        tokio::spawn(async move { client.ingest_interactions(batch).await })
    };
    let mut seen = (None, None);
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(25)).await;
        let body = scrape(&app).await.1;
        seen = (sample(&body, in_flight), sample(&body, shed));
        if matches!(seen, (Some(2.0), _) | (Some(1.0), Some(1.0))) {
            break;
        }
    }
    assert!(
        matches!(seen, (Some(2.0), _) | (Some(1.0), Some(1.0))),
        "the held-back call is neither in flight nor counted as shed: {seen:?}"
    );
    drop(blocker);
    let _ = first.await.unwrap();
    let second = second.await.unwrap();
    if let Err(status) = second {
        assert!(
            matches!(
                status.code(),
                Code::ResourceExhausted | Code::Cancelled | Code::DeadlineExceeded
            ),
            "{status:?}"
        );
    }
    let (_, body) = scrape(&app).await;
    assert_eq!(sample(&body, in_flight), Some(0.0), "{body}");
}
