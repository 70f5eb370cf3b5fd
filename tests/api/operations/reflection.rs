//! Server reflection, v1 and v1alpha, and the switch that turns it off.

use tokio_stream::StreamExt;
use tonic::Code;

use crate::{
    helpers::{spawn_app, spawn_app_with, Backend},
    on_both_backends,
};

on_both_backends!(
    reflection_lists_every_service_in_v1_and_v1alpha,
    reflection_can_be_switched_off,
);

async fn reflection_lists_every_service_in_v1_and_v1alpha(backend: Backend) {
    use tonic_reflection::pb::{v1, v1alpha};
    let app = spawn_app(backend).await;

    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(
            String::new(),
        )),
    };
    let mut client = v1::server_reflection_client::ServerReflectionClient::new(app.channel.clone());
    let mut replies = client
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .expect("reflection v1 failed")
        .into_inner();
    let reply = replies
        .next()
        .await
        .expect("no reply")
        .expect("reflection error");
    let Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        reply.message_response
    else {
        panic!("unexpected reflection reply");
    };
    let names: Vec<String> = list
        .service
        .into_iter()
        .map(|service| service.name)
        .collect();
    for expected in [
        "kpi.v1.IngestService",
        "kpi.v1.DirectoryService",
        "kpi.v1.ScorecardService",
        "kpi.v1.PolicyService",
        "grpc.health.v1.Health",
    ] {
        assert!(
            names.iter().any(|name| name == expected),
            "{expected} missing from {names:?}"
        );
    }

    let request = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1alpha::server_reflection_request::MessageRequest::FileContainingSymbol(
                "kpi.v1.IngestService".into(),
            ),
        ),
    };
    let mut client =
        v1alpha::server_reflection_client::ServerReflectionClient::new(app.channel.clone());
    let mut replies = client
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .expect("reflection v1alpha failed")
        .into_inner();
    let reply = replies
        .next()
        .await
        .expect("no reply")
        .expect("reflection error");
    assert!(
        matches!(
            reply.message_response,
            Some(v1alpha::server_reflection_response::MessageResponse::FileDescriptorResponse(ref files))
                if !files.file_descriptor_proto.is_empty()
        ),
        "v1alpha must describe the ingest service"
    );
}

async fn reflection_can_be_switched_off(backend: Backend) {
    use tonic_reflection::pb::v1;
    let app = spawn_app_with(backend, |settings| settings.server.reflection = false).await;
    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(
            String::new(),
        )),
    };
    let status = v1::server_reflection_client::ServerReflectionClient::new(app.channel.clone())
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented);
}
