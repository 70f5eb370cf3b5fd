//! The application under test: `spawn_app` (a fresh database, the real
//! server on port 0, clients), `on_both_backends!`, and small helpers for
//! timestamps and error details.

use std::time::Duration;

use kpi_service::{
    configuration::Settings,
    grpc::pb::{
        directory_service_client::DirectoryServiceClient,
        ingest_service_client::IngestServiceClient, policy_service_client::PolicyServiceClient,
        scorecard_service_client::ScorecardServiceClient,
    },
    startup::Application,
    storage::Database,
};
use sea_orm::{ConnectionTrait, Statement};
use tokio::{sync::oneshot, task::JoinHandle};
use tonic::transport::Channel;

pub use super::databases::postgres_admin_url;
use super::databases::{fresh_database, Cleanup};

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn name(backend: Backend)` of the calling module
/// once against SQLite (`sqlite::name`) and once against PostgreSQL
/// (`postgres::name`).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::support::app::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::support::app::Backend::Postgres).await;
                }
            )*
        }
    };
}

/// A running application and what a test needs to talk to it.
pub struct TestApp {
    pub channel: Channel,
    /// The address the server listens on.
    pub address: std::net::SocketAddr,
    /// The Prometheus listener, when `telemetry.metrics_addr` was set.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// The application's own pool, for reading back what was stored.
    pub database: Database,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    cleanup: Cleanup,
    settings: Settings,
}

impl TestApp {
    pub fn ingest(&self) -> IngestServiceClient<Channel> {
        IngestServiceClient::new(self.channel.clone())
    }

    pub fn directory(&self) -> DirectoryServiceClient<Channel> {
        DirectoryServiceClient::new(self.channel.clone())
    }

    pub fn scorecards(&self) -> ScorecardServiceClient<Channel> {
        ScorecardServiceClient::new(self.channel.clone())
    }

    pub fn policies(&self) -> PolicyServiceClient<Channel> {
        PolicyServiceClient::new(self.channel.clone())
    }

    /// Asks the server to shut down and returns its task.
    pub fn begin_shutdown(&mut self) -> JoinHandle<anyhow::Result<()>> {
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
        self.server
            .take()
            .expect("the server was already shut down")
    }

    /// Opens a new pool on the test database for reading back what was
    /// stored, e.g. after shutdown closed the application's own.
    pub async fn reopen_database(&mut self) {
        self.database = Database::connect(&self.settings.database)
            .await
            .expect("cannot reopen the test database");
    }

    /// The settings the app was started with (its database URL among them).
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The name of the PostgreSQL test database, if the app runs on one.
    pub fn postgres_database_name(&self) -> Option<String> {
        match &self.cleanup {
            Cleanup::PostgresDatabase { name, .. } => Some(name.clone()),
            Cleanup::SqliteFile(_) => None,
        }
    }

    /// Counts rows of `table` (every row, void or not).
    pub async fn count_rows(&self, table: &str) -> i64 {
        let connection = self.database.connection();
        let backend = connection.get_database_backend();
        let row = connection
            .query_one(Statement::from_string(
                backend,
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .expect("count query failed")
            .expect("count query returned no row");
        row.try_get::<i64>("", "n")
            .expect("count is not an integer")
    }
}

impl TestApp {
    /// Stops the server gracefully (it closes its pools as it exits) before
    /// the database is dropped: a PostgreSQL `DROP DATABASE .. WITH
    /// (FORCE)` that has to terminate open sessions takes most of a second,
    /// and an aborted server leaves its health probe looping on a dropped
    /// signal. The server runs on the test's runtime, so a task on it waits
    /// for the server (up to the shutdown grace, then aborts it) while this
    /// thread waits for that task. Without a multi-threaded runtime (every
    /// `on_both_backends!` test has one) the server is aborted.
    fn stop_server_and_close_connections(&mut self) {
        let Some(mut server) = self.server.take() else {
            return;
        };
        let runtime = match tokio::runtime::Handle::try_current() {
            Ok(runtime)
                if runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread =>
            {
                runtime
            }
            _ => {
                server.abort();
                return;
            }
        };
        let database = self.database.clone();
        let grace = Duration::from_secs(self.settings.server.shutdown_grace_seconds);
        let (stopped, wait_until_stopped) = std::sync::mpsc::channel();
        runtime.spawn(async move {
            if tokio::time::timeout(grace, &mut server).await.is_err() {
                server.abort();
            }
            database.close().await;
            let _ = stopped.send(());
        });
        let _ = wait_until_stopped.recv_timeout(grace + Duration::from_secs(5));
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
        self.stop_server_and_close_connections();
        self.cleanup.remove();
    }
}

/// Test settings: the defaults, a free port, and the given database.
pub fn test_settings(database_url: &str) -> Settings {
    let mut settings = Settings::defaults().expect("default settings are invalid");
    settings.server.listen_addr = "127.0.0.1:0".into();
    settings.server.shutdown_grace_seconds = 5;
    settings.database.url = database_url.into();
    settings.database.max_connections = 5;
    settings.database.health_check_interval_seconds = 1;
    // Off by default in production (its cost); the tests exercise it.
    settings.changes.record_ingest = true;
    settings
}

/// Starts the application on a fresh database of `backend`.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Like [`spawn_app`], after `adjust` has changed the settings.
pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with_client(backend, adjust, None).await
}

/// Like [`spawn_app_with`]; with `client_tls`, the test's channel speaks
/// TLS with that configuration (the server must have TLS settings).
pub async fn spawn_app_with_client(
    backend: Backend,
    adjust: impl FnOnce(&mut Settings),
    client_tls: Option<tonic::transport::ClientTlsConfig>,
) -> TestApp {
    let (url, cleanup) = fresh_database(backend).await;
    let mut settings = test_settings(&url);
    adjust(&mut settings);
    let application = Application::build(settings.clone())
        .await
        .expect("the application failed to build");
    let local_addr = application.local_addr();
    let scheme = if client_tls.is_some() {
        "https"
    } else {
        "http"
    };
    let address = format!("{scheme}://{local_addr}");
    let database = application.database().clone();
    let metrics_addr = application.metrics_addr();
    let (shutdown, shutdown_received) = oneshot::channel::<()>();
    let server = tokio::spawn(application.run_until_stopped(async move {
        let _ = shutdown_received.await;
    }));
    let mut endpoint = Channel::from_shared(address.clone())
        .expect("bad address")
        .connect_timeout(Duration::from_secs(5));
    if let Some(client_tls) = client_tls {
        endpoint = endpoint
            .tls_config(client_tls)
            .expect("bad client TLS configuration");
    }
    let channel = endpoint
        .connect()
        .await
        .expect("cannot connect to the test server");
    TestApp {
        channel,
        address: local_addr,
        metrics_addr,
        database,
        shutdown: Some(shutdown),
        server: Some(server),
        cleanup,
        settings,
    }
}

/// A protobuf timestamp `seconds` after the Unix epoch.
pub fn ts(seconds: i64) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds, nanos: 0 }
}

/// A protobuf timestamp from an RFC 3339 string.
pub fn at(rfc3339: &str) -> prost_types::Timestamp {
    let instant = chrono::DateTime::parse_from_rfc3339(rfc3339).expect("bad RFC 3339 literal");
    prost_types::Timestamp {
        seconds: instant.timestamp(),
        nanos: instant.timestamp_subsec_nanos() as i32,
    }
}

/// Microseconds since the epoch of an RFC 3339 string, as stored.
pub fn micros(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .expect("bad RFC 3339 literal")
        .timestamp_micros()
}

/// The (field, description) pairs of a status's BadRequest detail.
pub fn field_violations(status: &tonic::Status) -> Vec<(String, String)> {
    use tonic_types::StatusExt;
    status
        .get_details_bad_request()
        .map(|bad_request| {
            bad_request
                .field_violations
                .into_iter()
                .map(|violation| (violation.field, violation.description))
                .collect()
        })
        .unwrap_or_default()
}

/// The ErrorInfo reason of a status.
pub fn error_reason(status: &tonic::Status) -> Option<String> {
    use tonic_types::StatusExt;
    let info = status.get_details_error_info()?;
    assert_eq!(
        info.domain, "kpi.v1",
        "every ErrorInfo has the domain kpi.v1"
    );
    Some(info.reason)
}
