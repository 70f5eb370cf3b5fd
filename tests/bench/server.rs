//! The service under test: the release binary as a subprocess on a free
//! port with a fresh database (a new PostgreSQL database, or a temporary
//! SQLite file), so that its own memory can be read from `/proc`.

use std::{
    net::TcpListener,
    path::PathBuf,
    process::Stdio,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use kpi_service::{
    configuration::Settings,
    grpc::pb::{self, scorecard_service_client::ScorecardServiceClient},
    storage::Database,
};
use sea_orm::ConnectionTrait;
use tokio::process::{Child, Command};
use tonic::transport::Channel;

/// Which database the service runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Postgres => "PostgreSQL",
            Backend::Sqlite => "SQLite",
        }
    }
}

/// `sysconf(_SC_CLK_TCK)` on Linux.
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Records up to two months old and a month ahead of the machine's clock
/// are accepted, so that October and November 2026 always ingest.
const FUTURE_TOLERANCE_SECONDS: i64 = 90 * 86_400;

/// A running service and the benchmark's own connection to its database.
pub struct Service {
    pub backend: Backend,
    pub endpoint: String,
    /// The benchmark's own pool (same settings as the service's), for the
    /// baselines and the reference SQL.
    pub database: Database,
    child: Child,
    log_file: PathBuf,
    url: String,
    port: u16,
    cleanup: Cleanup,
    /// Settings beyond the defaults (a read replica, the operations
    /// listener, a mode's own `KPI__...` variables).
    extra_env: Vec<(String, String)>,
    /// The operations listener (`/metrics`, `/replicas`), when started.
    pub operations: Option<String>,
}

/// Starts `kpi-service` on `url`, listening on `port`, logging to `log_file`,
/// with `extra_env` on top of the benchmark's settings.
fn spawn_binary(
    url: &str,
    port: u16,
    log_file: &std::path::Path,
    extra_env: &[(String, String)],
) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_file)
        .expect("cannot open the service log");
    Command::new(env!("CARGO_BIN_EXE_kpi-service"))
        .env("KPI__SERVER__LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("KPI__DATABASE__URL", url)
        .env(
            "KPI__INGEST__FUTURE_TOLERANCE_SECONDS",
            FUTURE_TOLERANCE_SECONDS.to_string(),
        )
        .env("KPI__REPORTING__TIME_ZONE", "UTC")
        .env("KPI__TELEMETRY__LOG_FILTER", "warn")
        .envs(extra_env.iter().map(|(name, value)| (name, value)))
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("cannot start the kpi-service binary")
}

enum Cleanup {
    SqliteFile(PathBuf),
    PostgresDatabase { admin_url: String, name: String },
}

fn unique_name() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or_default();
    format!("kpi_bench_{}_{nanos}", std::process::id())
}

pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("no free port");
    listener.local_addr().expect("no local address").port()
}

async fn fresh_database(backend: Backend) -> (String, Cleanup) {
    let name = unique_name();
    match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            let url = format!("sqlite://{}?mode=rwc", path.display());
            (url, Cleanup::SqliteFile(path))
        }
        Backend::Postgres => {
            let admin_url = std::env::var("KPI_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
            let admin = sea_orm::Database::connect(admin_url.as_str())
                .await
                .expect("PostgreSQL is not reachable (set KPI_TEST_POSTGRES_URL)");
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("cannot create the benchmark database");
            admin.close().await.ok();
            let (server, _) = admin_url
                .rsplit_once('/')
                .expect("the PostgreSQL URL names no database");
            (
                format!("{server}/{name}"),
                Cleanup::PostgresDatabase { admin_url, name },
            )
        }
    }
}

impl Service {
    /// Starts the release binary on a fresh database and waits until it
    /// answers. With a standby, the service reads from it
    /// (`database.read_replica_urls`) and serves its operations listener.
    pub async fn start(backend: Backend, standby: Option<&crate::replica::Standby>) -> Service {
        Self::start_with(backend, standby, Vec::new()).await
    }

    /// [`Service::start`] with more settings (`KPI__...` variables).
    pub async fn start_with(
        backend: Backend,
        standby: Option<&crate::replica::Standby>,
        mut extra_env: Vec<(String, String)>,
    ) -> Service {
        let (url, cleanup) = fresh_database(backend).await;
        let port = free_port();
        let log_file = std::env::temp_dir().join(format!("{}.log", unique_name()));
        let mut operations = None;
        if let Some(standby) = standby {
            let address = format!("127.0.0.1:{}", free_port());
            extra_env.push((
                "KPI__DATABASE__READ_REPLICA_URLS".to_owned(),
                standby.url_of(&url),
            ));
            extra_env.push(("KPI__TELEMETRY__METRICS_ADDR".to_owned(), address.clone()));
            operations = Some(address);
        }
        let mut service = Service {
            backend,
            endpoint: format!("http://127.0.0.1:{port}"),
            database: connect_own_pool(&url).await,
            child: spawn_binary(&url, port, &log_file, &extra_env),
            log_file,
            url,
            port,
            cleanup,
            extra_env,
            operations,
        };
        service.wait_until_serving().await;
        service
    }

    /// Stops the process and starts a new one on the same database, so
    /// that what follows is measured without the memory an earlier phase
    /// left resident.
    pub async fn restart(&mut self) {
        self.child.start_kill().ok();
        self.child.wait().await.ok();
        self.child = spawn_binary(&self.url, self.port, &self.log_file, &self.extra_env);
        self.wait_until_serving().await;
    }

    async fn wait_until_serving(&mut self) {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "kpi-service exited with {status} during start; see {}",
                    self.log_file.display()
                );
            }
            if let Ok(channel) = Channel::from_shared(self.endpoint.clone())
                .expect("bad endpoint")
                .connect()
                .await
            {
                let mut client = ScorecardServiceClient::new(channel);
                if client.list_kpis(pb::ListKpisRequest {}).await.is_ok() {
                    return;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "kpi-service did not start in 60 s; see {}",
                self.log_file.display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Another process of the service on the same database (a second
    /// replica), with the same settings; returns it and its endpoint once
    /// it answers.
    pub async fn replica(&self) -> (Child, String) {
        let port = free_port();
        let endpoint = format!("http://127.0.0.1:{port}");
        let child = spawn_binary(&self.url, port, &self.log_file, &self.extra_env);
        let started = Instant::now();
        loop {
            if let Ok(channel) = Channel::from_shared(endpoint.clone())
                .expect("bad endpoint")
                .connect()
                .await
            {
                let mut client = ScorecardServiceClient::new(channel);
                if client.list_kpis(pb::ListKpisRequest {}).await.is_ok() {
                    return (child, endpoint);
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the replica did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A new connection (HTTP/2 channel) to the service.
    /// The database URL the service runs on.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub async fn channel(&self) -> Channel {
        connect_channel(&self.endpoint).await
    }

    fn pid(&self) -> u32 {
        self.child.id().expect("kpi-service has exited")
    }

    /// The service's resident memory now and at its peak, in MB.
    pub fn memory(&self) -> Memory {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("cannot read the service's /proc status");
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| {
                    rest.trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse::<f64>()
                        .ok()
                })
                .map(|kilobytes| kilobytes / 1024.0)
                .unwrap_or(f64::NAN)
        };
        Memory {
            rss_mb: field("VmRSS:"),
            peak_mb: field("VmHWM:"),
        }
    }

    /// CPU seconds (user + system) the service has used since it started.
    pub fn cpu_seconds(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()))
            .expect("cannot read the service's /proc stat");
        // Fields after the parenthesised command name; utime and stime are
        // the 14th and 15th fields of the whole line, in clock ticks.
        let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let ticks = |index: usize| {
            fields
                .get(index)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        (ticks(11) + ticks(12)) / CLOCK_TICKS_PER_SECOND
    }

    /// Resets the peak (VmHWM) to the current resident size, so that the
    /// next reading shows the peak of what runs in between. False when the
    /// kernel refused.
    pub fn reset_peak_memory(&self) -> bool {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5").is_ok()
    }

    /// Stops the service and removes its database.
    pub async fn stop(mut self) {
        self.child.start_kill().ok();
        self.child.wait().await.ok();
        self.database.connection().clone().close().await.ok();
        match &self.cleanup {
            Cleanup::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    std::fs::remove_file(file).ok();
                }
            }
            Cleanup::PostgresDatabase { name, .. }
                if std::env::var_os("KPI_BENCH_KEEP_DATABASE").is_some() =>
            {
                eprintln!("KPI_BENCH_KEEP_DATABASE: kept PostgreSQL database {name}");
            }
            Cleanup::PostgresDatabase { admin_url, name } => {
                if let Ok(admin) = sea_orm::Database::connect(admin_url.as_str()).await {
                    admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await
                        .ok();
                    admin.close().await.ok();
                }
            }
        }
        std::fs::remove_file(&self.log_file).ok();
    }
}

/// Resident memory of the service.
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    pub rss_mb: f64,
    pub peak_mb: f64,
}

/// A gRPC channel to the service at `endpoint`.
pub async fn connect_channel(endpoint: &str) -> Channel {
    Channel::from_shared(endpoint.to_owned())
        .expect("bad endpoint")
        .connect()
        .await
        .expect("cannot connect to kpi-service")
}

pub async fn connect_own_pool(url: &str) -> Database {
    let mut settings = Settings::defaults().expect("default settings are invalid");
    settings.database.url = url.to_owned();
    settings.database.max_connections = 8;
    Database::connect(&settings.database)
        .await
        .expect("the benchmark cannot connect to the database")
}
