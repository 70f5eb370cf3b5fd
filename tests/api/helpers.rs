//! `spawn_app`: a fresh database, the real application on port 0, clients.

use std::{
    path::PathBuf,
    sync::atomic::{AtomicU32, Ordering},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

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

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

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
                    super::$name($crate::helpers::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Postgres).await;
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

/// What to delete when a test's database is no longer needed (on drop).
pub enum Cleanup {
    SqliteFile(PathBuf),
    PostgresDatabase { admin_url: String, name: String },
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

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        match self {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
            }
            Cleanup::PostgresDatabase { admin_url, name } => {
                let admin_url = admin_url.clone();
                let name = name.clone();
                // Drop runs inside the test's runtime: use a thread of its own.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("cannot build a cleanup runtime");
                    runtime.block_on(async {
                        if let Ok(admin) = sea_orm::Database::connect(admin_url.as_str()).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                                ))
                                .await;
                            let _ = admin.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or_default();
    format!(
        "kpi_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// Test settings: the defaults, a free port, and the given database.
pub fn test_settings(database_url: &str) -> Settings {
    let mut settings = Settings::defaults().expect("default settings are invalid");
    settings.server.listen_addr = "127.0.0.1:0".into();
    settings.server.shutdown_grace_seconds = 5;
    settings.database.url = database_url.into();
    settings.database.max_connections = 5;
    settings.database.health_check_interval_seconds = 1;
    settings
}

/// The PostgreSQL server the tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("KPI_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

/// Creates a fresh database for `backend` and returns its URL.
pub async fn fresh_database(backend: Backend) -> (String, Cleanup) {
    let name = unique_name();
    match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            let url = format!("sqlite://{}?mode=rwc", path.display());
            (url, Cleanup::SqliteFile(path))
        }
        Backend::Postgres => {
            let admin_url = postgres_admin_url();
            let admin = sea_orm::Database::connect(admin_url.as_str())
                .await
                .unwrap_or_else(|error| {
                    panic!(
                        "PostgreSQL is not reachable at {admin_url} ({error}). Start it with \
                         `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` \
                         or point KPI_TEST_POSTGRES_URL at a server where user may CREATE DATABASE."
                    )
                });
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("cannot create the test database");
            let _ = admin.close().await;
            let base = admin_url
                .split('?')
                .next()
                .unwrap_or(&admin_url)
                .rsplit_once('/')
                .map(|(server, _)| server.to_owned())
                .unwrap_or_else(|| admin_url.clone());
            let url = format!("{base}/{name}");
            (url, Cleanup::PostgresDatabase { admin_url, name })
        }
    }
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
