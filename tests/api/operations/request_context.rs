//! What client teams see around every call: request ids and trace context
//! echoed (also on calls no handler sees), gzip both ways, and reflection
//! that can decode the error details.

use kpi_service::grpc::pb;
use prost::Message;
use tokio_stream::StreamExt;
use tonic::{codec::CompressionEncoding, metadata::MetadataValue, Code, Request};

use crate::{
    fixtures::{interaction, interactions},
    helpers::{spawn_app, Backend, TestApp},
    on_both_backends,
};

on_both_backends!(
    every_call_echoes_its_request_id_and_trace_context,
    gzip_requests_are_accepted_and_gzip_is_negotiated,
    health_and_reflection_accept_gzip_requests_too,
    reflection_describes_the_google_rpc_error_details,
);

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

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
    assert_eq!(status.code(), Code::Unimplemented);
    assert_eq!(
        status.metadata().get("x-request-id").unwrap(),
        "lost-call-1"
    );
}

async fn gzip_requests_are_accepted_and_gzip_is_negotiated(backend: Backend) {
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
        "a client that accepts gzip is answered in gzip (a reply this small \
         travels with its compressed flag off: see reply_compression.rs)"
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

/// A client that compresses every call of its channel (grpc-js's
/// `grpc.default_compression_algorithm`, Python's channel `compression`)
/// reaches health and reflection too, not only the kpi.v1 services.
async fn health_and_reflection_accept_gzip_requests_too(backend: Backend) {
    use tonic_health::pb::{health_client::HealthClient, HealthCheckRequest};
    use tonic_reflection::pb::{v1, v1alpha};
    let app = spawn_app(backend).await;
    HealthClient::new(app.channel.clone())
        .send_compressed(CompressionEncoding::Gzip)
        .check(HealthCheckRequest::default())
        .await
        .expect("health takes a gzip request");
    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(
            String::new(),
        )),
    };
    let mut replies =
        v1::server_reflection_client::ServerReflectionClient::new(app.channel.clone())
            .send_compressed(CompressionEncoding::Gzip)
            .server_reflection_info(tokio_stream::iter(vec![request]))
            .await
            .expect("reflection v1 takes a gzip request")
            .into_inner();
    replies
        .next()
        .await
        .unwrap()
        .expect("reflection v1 answers");
    let request = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1alpha::server_reflection_request::MessageRequest::ListServices(String::new()),
        ),
    };
    let mut replies =
        v1alpha::server_reflection_client::ServerReflectionClient::new(app.channel.clone())
            .send_compressed(CompressionEncoding::Gzip)
            .server_reflection_info(tokio_stream::iter(vec![request]))
            .await
            .expect("reflection v1alpha takes a gzip request")
            .into_inner();
    replies
        .next()
        .await
        .unwrap()
        .expect("reflection v1alpha answers");
}
