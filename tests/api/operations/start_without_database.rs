//! A service that starts before its database (a pod scheduled before the
//! database accepts connections, a SQLite volume not yet writable) starts
//! NOT_SERVING, answers every call UNAVAILABLE and `/readyz` 503 saying why,
//! keeps trying in the background, and serves once the database is there;
//! `database.fail_fast_at_start` keeps the old exit instead.

use std::{net::SocketAddr, path::PathBuf};

use kpi_service::{configuration::Settings, grpc::pb, startup::Application};
use sea_orm::ConnectionTrait;
use tokio::{sync::oneshot, task::JoinHandle};
use tonic::{transport::Channel, Code};
use tonic_health::pb::{
    health_check_response::ServingStatus, health_client::HealthClient, HealthCheckRequest,
};

use super::support::{raw_http, PATIENCE};
use crate::{
    fixtures::{interaction, interactions},
    helpers::{error_reason, postgres_admin_url, test_settings, Backend},
    on_both_backends,
};

on_both_backends!(
    a_service_started_before_its_database_serves_once_the_database_is_there,
    fail_fast_at_start_stops_a_start_without_the_database,
);

/// A database the service cannot open yet, and how to make it openable.
enum AbsentDatabase {
    /// A SQLite file in a directory that does not exist yet.
    Sqlite { directory: PathBuf },
    /// A PostgreSQL database that refuses connections for now.
    Postgres { name: String },
}

impl AbsentDatabase {
    async fn new(backend: Backend, tag: &str) -> (Self, String) {
        let name = format!("kpi_absent_{tag}_{}", std::process::id());
        match backend {
            Backend::Sqlite => {
                let directory = std::env::temp_dir().join(&name);
                let _ = std::fs::remove_dir_all(&directory);
                let url = format!("sqlite://{}/kpi.db?mode=rwc", directory.display());
                (Self::Sqlite { directory }, url)
            }
            Backend::Postgres => {
                let admin = admin().await;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await
                    .unwrap();
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .unwrap();
                admin
                    .execute_unprepared(&format!(
                        "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"
                    ))
                    .await
                    .unwrap();
                let url = postgres_admin_url();
                let server = url.rsplit_once('/').map(|(server, _)| server).unwrap();
                (
                    Self::Postgres { name: name.clone() },
                    format!("{server}/{name}"),
                )
            }
        }
    }

    async fn arrive(&self) {
        match self {
            Self::Sqlite { directory } => std::fs::create_dir_all(directory).unwrap(),
            Self::Postgres { name } => {
                admin()
                    .await
                    .execute_unprepared(&format!(
                        "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"
                    ))
                    .await
                    .unwrap();
            }
        }
    }

    async fn remove(&self) {
        match self {
            Self::Sqlite { directory } => {
                let _ = std::fs::remove_dir_all(directory);
            }
            Self::Postgres { name } => {
                let _ = admin()
                    .await
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await;
            }
        }
    }
}

async fn admin() -> sea_orm::DatabaseConnection {
    sea_orm::Database::connect(postgres_admin_url())
        .await
        .unwrap()
}

fn settings_for(url: &str) -> Settings {
    let mut settings = test_settings(url);
    settings.telemetry.metrics_addr = "127.0.0.1:0".into();
    settings.database.connect_timeout_seconds = 2;
    settings.database.acquire_timeout_seconds = 2;
    settings
}

struct Running {
    channel: Channel,
    metrics_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<anyhow::Result<()>>,
}

async fn start(settings: Settings) -> Running {
    let application = Application::build(settings)
        .await
        .expect("the service starts without its database");
    let address = application.local_addr();
    let metrics_addr = application.metrics_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(application.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    let channel = Channel::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    Running {
        channel,
        metrics_addr,
        stop: Some(stop),
        server,
    }
}

async fn health(channel: &Channel) -> i32 {
    HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health answers while the database is away")
        .into_inner()
        .status
}

async fn readyz(metrics_addr: SocketAddr) -> (u16, String) {
    raw_http(
        metrics_addr,
        "GET /readyz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n",
    )
    .await
}

async fn a_service_started_before_its_database_serves_once_the_database_is_there(backend: Backend) {
    let (absent, url) = AbsentDatabase::new(backend, "late").await;
    let mut running = start(settings_for(&url)).await;

    assert_eq!(
        health(&running.channel).await,
        ServingStatus::NotServing as i32
    );
    let (status, body) = readyz(running.metrics_addr).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.starts_with("not ready: starting: "), "{body}");
    let refused =
        pb::directory_service_client::DirectoryServiceClient::new(running.channel.clone())
            .get_agent(pb::GetAgentRequest {
                agent_id: "ana".into(),
            })
            .await
            .unwrap_err();
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    assert_eq!(
        error_reason(&refused).as_deref(),
        Some("DATABASE_UNAVAILABLE")
    );

    absent.arrive().await;
    let became_ready = tokio::time::timeout(PATIENCE, async {
        while health(&running.channel).await != ServingStatus::Serving as i32 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(
        became_ready.is_ok(),
        "never SERVING after the database arrived"
    );
    assert_eq!(readyz(running.metrics_addr).await.0, 200);
    let reply = pb::ingest_service_client::IngestServiceClient::new(running.channel.clone())
        .ingest_interactions(interactions(vec![interaction("call-1", "ana")]))
        .await
        .expect("served once the database is there")
        .into_inner();
    assert_eq!(reply.results.len(), 1);

    let _ = running.stop.take().unwrap().send(());
    tokio::time::timeout(PATIENCE, &mut running.server)
        .await
        .expect("the service did not stop")
        .unwrap()
        .unwrap();
    absent.remove().await;
}

async fn fail_fast_at_start_stops_a_start_without_the_database(backend: Backend) {
    let (absent, url) = AbsentDatabase::new(backend, "fail_fast").await;
    let mut settings = settings_for(&url);
    settings.database.fail_fast_at_start = true;
    let error = Application::build(settings)
        .await
        .err()
        .expect("fail_fast_at_start started without its database");
    assert!(
        format!("{error:#}").contains("database"),
        "the error names the database: {error:#}"
    );
    absent.remove().await;
}
