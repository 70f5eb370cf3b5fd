//! TLS and mutual TLS against the real server: client certificates made in
//! the test, principals from their SANs, certificates re-read on change
//! without dropping open connections, and mode `none` kept off the network.

use std::time::Duration;

use kpi_service::{
    configuration::{AuthMode, PrincipalSettings},
    grpc::pb::{self, directory_service_client::DirectoryServiceClient},
    startup::Application,
};
use tonic::{transport::Channel, Code};

use crate::{
    helpers::{spawn_app_with_client, test_settings, Backend, TestApp},
    on_both_backends,
    operations::support::{method, scrape, value},
    trust::support::{
        error_info, request, use_jwt, use_server_tls, write_server_tls, ClientName, ScratchDir,
        TestCa, TokenIssuer,
    },
};

const PAYROLL: &str = "spiffe://kpi.test/payroll";
const CRM: &str = "crm.kpi.test";

/// A server in mode `mtls` whose client CA is `clients`; payroll (URI SAN)
/// reads, the CRM (DNS SAN) reads and writes the directory.
async fn spawn_mtls(
    backend: Backend,
    scratch: &ScratchDir,
    server_ca: &TestCa,
    clients: &TestCa,
) -> TestApp {
    write_server_tls(scratch, server_ca, Some(clients));
    let dir = scratch.0.clone();
    spawn_app_with_client(
        backend,
        |settings| {
            use_server_tls(settings, &dir, true);
            settings.telemetry.metrics_addr = "127.0.0.1:0".into();
            settings.auth.mode = AuthMode::Mtls;
            settings.auth.principals = vec![
                PrincipalSettings {
                    name: PAYROLL.into(),
                    scopes: vec!["kpi.read".into()],
                },
                PrincipalSettings {
                    name: CRM.into(),
                    scopes: vec!["kpi.read".into(), "kpi.directory.write".into()],
                },
            ];
        },
        Some(server_ca.client_tls()),
    )
    .await
}

/// A channel to `app` presenting `identity` (if any), trusting `server_ca`.
async fn channel_as(
    app: &TestApp,
    server_ca: &TestCa,
    identity: Option<tonic::transport::Identity>,
) -> Channel {
    let mut tls = server_ca.client_tls();
    if let Some(identity) = identity {
        tls = tls.identity(identity);
    }
    Channel::from_shared(format!("https://{}", app.address))
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .connect_lazy()
}

async fn upsert_team(
    channel: &Channel,
    team_id: &str,
) -> Result<pb::UpsertTeamResponse, tonic::Status> {
    DirectoryServiceClient::new(channel.clone())
        .upsert_team(request(
            pb::UpsertTeamRequest {
                team: Some(pb::Team {
                    team_id: team_id.into(),
                    display_name: "Team".into(),
                    ..Default::default()
                }),
            },
            None,
            Some("req-mtls-1"),
        ))
        .await
        .map(tonic::Response::into_inner)
}

async fn list_teams(channel: &Channel) -> Result<pb::ListTeamsResponse, tonic::Status> {
    DirectoryServiceClient::new(channel.clone())
        .list_teams(pb::ListTeamsRequest::default())
        .await
        .map(tonic::Response::into_inner)
}

/// The TLS handshake failed: the client's transport reports the error (the
/// connection was closed or reset under it), not a gRPC status the server
/// sent, which would carry the server's `x-request-id` and an ErrorInfo.
#[track_caller]
fn assert_refused_by_the_transport(status: &tonic::Status) {
    let source = std::error::Error::source(status)
        .unwrap_or_else(|| panic!("no transport error under {status:?}"));
    assert!(
        source.downcast_ref::<tonic::transport::Error>().is_some(),
        "not a transport failure: {status:?}"
    );
    assert!(
        matches!(
            status.code(),
            Code::Cancelled | Code::Unknown | Code::Unavailable
        ),
        "{status:?}"
    );
    assert!(
        status.metadata().get("x-request-id").is_none(),
        "the server answered: {status:?}"
    );
}

async fn mutual_tls_names_principals_by_their_certificates(backend: Backend) {
    let scratch = ScratchDir::new("mtls");
    let server_ca = TestCa::new("server CA");
    let clients = TestCa::new("client CA");
    let app = spawn_mtls(backend, &scratch, &server_ca, &clients).await;

    // No client certificate: health answers, anything else is UNAUTHENTICATED.
    let anonymous = channel_as(&app, &server_ca, None).await;
    let health = tonic_health::pb::health_client::HealthClient::new(anonymous.clone())
        .check(tonic_health::pb::HealthCheckRequest::default())
        .await;
    assert!(health.is_ok(), "{health:?}");
    let status = list_teams(&anonymous).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(error_info(&status).0, "CLIENT_CERTIFICATE_MISSING");

    // A certificate from another CA fails the handshake: nothing is served.
    let stranger_ca = TestCa::new("someone else's CA");
    let stranger = channel_as(
        &app,
        &server_ca,
        Some(stranger_ca.client(ClientName::Uri(PAYROLL))),
    )
    .await;
    let refused = list_teams(&stranger)
        .await
        .expect_err("a foreign client certificate was served");
    assert_refused_by_the_transport(&refused);
    let metrics = scrape(&app).await;
    assert_eq!(
        value(
            &metrics,
            "grpc_server_started_total",
            &method("unary", "/kpi.v1.DirectoryService/ListTeams")
        ),
        Some(1.0),
        "only the anonymous call above reached the server"
    );

    // Known principal by URI SAN: reads, may not write the directory.
    let payroll = channel_as(
        &app,
        &server_ca,
        Some(clients.client(ClientName::Uri(PAYROLL))),
    )
    .await;
    assert!(list_teams(&payroll).await.is_ok());
    let status = upsert_team(&payroll, "north").await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(error_info(&status).1["scope"], "kpi.directory.write");

    // Known principal by DNS SAN: writes, and the audit trail names it.
    let crm = channel_as(&app, &server_ca, Some(clients.client(ClientName::Dns(CRM)))).await;
    assert!(upsert_team(&crm, "north").await.unwrap().created);
    let events =
        kpi_service::storage::audit::list(app.database.connection(), &Default::default(), 10)
            .await
            .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor.principal, CRM);
    assert_eq!(events[0].actor.request_id, "req-mtls-1");

    // A certificate of our CA for a name the settings do not know: no scopes.
    let unknown = channel_as(
        &app,
        &server_ca,
        Some(clients.client(ClientName::Uri("spiffe://kpi.test/intruder"))),
    )
    .await;
    let status = list_teams(&unknown).await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(error_info(&status).1["scope"], "kpi.read");
}

async fn certificates_are_re_read_without_dropping_connections(backend: Backend) {
    let scratch = ScratchDir::new("reload");
    let first_ca = TestCa::new("first CA");
    let issuer = TokenIssuer::new(&scratch);
    write_server_tls(&scratch, &first_ca, None);
    let dir = scratch.0.clone();
    let app = spawn_app_with_client(
        backend,
        |settings| {
            use_server_tls(settings, &dir, false);
            use_jwt(settings, &issuer);
        },
        Some(first_ca.client_tls()),
    )
    .await;
    let token = issuer.token("reader", &["kpi.read"]);
    let list = |channel: Channel, token: String| async move {
        DirectoryServiceClient::new(channel)
            .list_teams(request(pb::ListTeamsRequest::default(), Some(&token), None))
            .await
    };
    // The test's own channel holds one connection open across the reload.
    assert!(list(app.channel.clone(), token.clone()).await.is_ok());

    let second_ca = TestCa::new("second CA");
    write_server_tls(&scratch, &second_ca, None);
    let mut renewed = false;
    for _ in 0..50 {
        let fresh = channel_as(&app, &second_ca, None).await;
        if list(fresh, token.clone()).await.is_ok() {
            renewed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(renewed, "the renewed certificate was never served");
    assert!(
        list(app.channel.clone(), token.clone()).await.is_ok(),
        "the connection opened before the reload was dropped"
    );
    // New connections no longer get the old certificate.
    let old = channel_as(&app, &first_ca, None).await;
    assert!(list(old, token).await.is_err());
}

async fn mode_none_refuses_to_start_on_a_non_loopback_address(backend: Backend) {
    let url = match backend {
        Backend::Sqlite => "sqlite::memory:".to_owned(),
        Backend::Postgres => crate::helpers::postgres_admin_url(),
    };
    let mut settings = test_settings(&url);
    settings.server.listen_addr = "0.0.0.0:0".into();
    let error = Application::build(settings.clone())
        .await
        .err()
        .expect("mode none started on 0.0.0.0");
    assert!(format!("{error:#}").contains("auth.mode"), "{error:#}");

    // Saying so explicitly lets it start.
    let app = spawn_app_with_client(
        backend,
        |settings| {
            settings.server.listen_addr = "0.0.0.0:0".into();
            settings.auth.allow_unauthenticated = true;
        },
        None,
    )
    .await;
    let teams = DirectoryServiceClient::new(app.channel.clone())
        .list_teams(pb::ListTeamsRequest::default())
        .await;
    assert!(teams.is_ok(), "{teams:?}");
}

on_both_backends!(
    mutual_tls_names_principals_by_their_certificates,
    certificates_are_re_read_without_dropping_connections,
    mode_none_refuses_to_start_on_a_non_loopback_address,
);
