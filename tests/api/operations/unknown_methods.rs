//! A path the server does not serve is UNIMPLEMENTED, before any credential
//! is looked at: a newer client calling a method this server lacks must not
//! be told to ask for a scope.

use tonic::{transport::Channel, Code, Request};

use crate::{
    helpers::{error_reason, spawn_app_with, Backend},
    on_both_backends,
    trust_support::{request, use_jwt, ScratchDir, TokenIssuer},
};

on_both_backends!(
    an_unknown_method_of_a_known_service_is_unimplemented_even_with_auth_on,
    an_unknown_service_is_unimplemented_even_with_auth_on,
    reflection_switched_off_is_unimplemented_before_authentication,
);

async fn call(channel: &Channel, path: &'static str, token: Option<&str>) -> tonic::Status {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.unwrap();
    let message: Request<()> = request((), token, None);
    grpc.unary::<(), (), _>(
        message,
        http::uri::PathAndQuery::from_static(path),
        tonic_prost::ProstCodec::default(),
    )
    .await
    .unwrap_err()
}

#[track_caller]
fn assert_unimplemented(status: &tonic::Status) {
    assert_eq!(status.code(), Code::Unimplemented, "{status:?}");
    assert_eq!(error_reason(status).as_deref(), Some("METHOD_NOT_FOUND"));
}

async fn an_unknown_method_of_a_known_service_is_unimplemented_even_with_auth_on(backend: Backend) {
    let scratch = ScratchDir::new("unknown-method");
    let issuer = TokenIssuer::new(&scratch);
    let app = spawn_app_with(backend, |settings| use_jwt(settings, &issuer)).await;
    let path = "/kpi.v1.ScorecardService/GetAgentScorecardV2";
    assert_unimplemented(&call(&app.channel, path, None).await);
    let without_scopes = issuer.token("newer-client", &[]);
    assert_unimplemented(&call(&app.channel, path, Some(&without_scopes)).await);
}

async fn an_unknown_service_is_unimplemented_even_with_auth_on(backend: Backend) {
    let scratch = ScratchDir::new("unknown-service");
    let issuer = TokenIssuer::new(&scratch);
    let app = spawn_app_with(backend, |settings| use_jwt(settings, &issuer)).await;
    assert_unimplemented(
        &call(
            &app.channel,
            "/kpi.v2.IngestService/IngestInteractions",
            None,
        )
        .await,
    );
}

async fn reflection_switched_off_is_unimplemented_before_authentication(backend: Backend) {
    let scratch = ScratchDir::new("reflection-off");
    let issuer = TokenIssuer::new(&scratch);
    let app = spawn_app_with(backend, |settings| {
        use_jwt(settings, &issuer);
        settings.server.reflection = false;
    })
    .await;
    let path = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo";
    assert_unimplemented(&call(&app.channel, path, None).await);
}
