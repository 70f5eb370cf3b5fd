//! A fresh database per test, SQLite file or PostgreSQL database, copied
//! from a template that this test process migrated once: applying the
//! migrations was most of a test's start-up (about half a second on
//! PostgreSQL), and the suite starts some five hundred applications.
//!
//! A template lives as long as its process; a process cannot clean up after
//! itself at exit, so each new template first removes what earlier runs
//! left: the templates (and any test database of this naming) of processes
//! that have ended, where that can be seen (Linux, and a database server
//! on this machine), and otherwise those older than an hour.

use std::{
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicU32, Ordering},
        OnceLock,
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use kpi_migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::app::Backend;

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Every name starts so: `kpi_test_at_{unix seconds}_{pid}_{n}` for test
/// databases, `kpi_test_template_at_{unix seconds}_{pid}` for templates.
const TEST_PREFIX: &str = "kpi_test_at_";
const TEMPLATE_PREFIX: &str = "kpi_test_template_at_";

/// How old a leftover must be before a new run removes it.
const LEFTOVER_AGE: Duration = Duration::from_secs(3600);

/// What to remove when a test is done.
pub enum Cleanup {
    SqliteFile(PathBuf),
    PostgresDatabase { admin_url: String, name: String },
}

/// The PostgreSQL server the tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("KPI_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or_default()
}

fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!(
        "{TEST_PREFIX}{}_{}_{}",
        unix_seconds(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The unix seconds and process id in a name of ours, if it is one.
fn origin(name: &str) -> Option<(u64, u32)> {
    let rest = name
        .strip_prefix(TEST_PREFIX)
        .or_else(|| name.strip_prefix(TEMPLATE_PREFIX))?;
    let mut parts = rest.split(['_', '.']);
    let seconds = parts.next()?.parse().ok()?;
    let process = parts.next()?.parse().ok()?;
    Some((seconds, process))
}

/// Whether `name` is ours and left behind by an earlier run: its process
/// has ended (when `processes_visible`), or it is older than
/// [`LEFTOVER_AGE`].
fn is_leftover(name: &str, processes_visible: bool) -> bool {
    let Some((seconds, process)) = origin(name) else {
        return false;
    };
    if seconds + LEFTOVER_AGE.as_secs() < unix_seconds() {
        return true;
    }
    processes_visible
        && process != std::process::id()
        && !Path::new(&format!("/proc/{process}")).exists()
}

/// Whether the processes that might use the PostgreSQL server at `url`
/// (or, without one, this machine's temporary files) are this machine's,
/// and can be looked up by id: Linux, and a server on this machine.
fn processes_visible(url: Option<&str>) -> bool {
    if !Path::new("/proc/self").exists() {
        return false;
    }
    let Some(url) = url else {
        return true;
    };
    let authority = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .split(['/', '?'])
        .next()
        .unwrap_or_default();
    let host_and_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = match host_and_port.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => host_and_port,
    };
    matches!(host, "" | "localhost" | "127.0.0.1" | "[::1]" | "::1")
}

/// The URL of database `name` on the server of `admin_url`.
fn database_url(admin_url: &str, name: &str) -> String {
    let base = admin_url
        .split('?')
        .next()
        .unwrap_or(admin_url)
        .rsplit_once('/')
        .map(|(server, _)| server.to_owned())
        .unwrap_or_else(|| admin_url.to_owned());
    format!("{base}/{name}")
}

/// Runs `work` to completion on a runtime of its own, on a thread of its
/// own: callers are inside a test's runtime and must not block it.
fn on_own_runtime<T: Send + 'static>(
    work: impl std::future::Future<Output = T> + Send + 'static,
) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("cannot build a runtime")
            .block_on(work)
    })
    .join()
    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

async fn connect_admin(admin_url: &str) -> DatabaseConnection {
    sea_orm::Database::connect(admin_url)
        .await
        .unwrap_or_else(|error| {
            panic!(
                "PostgreSQL is not reachable at {admin_url} ({error}). Start it with \
                 `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` \
                 or point KPI_TEST_POSTGRES_URL at a server where user may CREATE DATABASE."
            )
        })
}

/// This process's migrated PostgreSQL template, made on first use.
fn postgres_template() -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let admin_url = postgres_admin_url();
        let name = format!("{TEMPLATE_PREFIX}{}_{}", unix_seconds(), std::process::id());
        on_own_runtime({
            let name = name.clone();
            async move {
                let admin = connect_admin(&admin_url).await;
                remove_postgres_leftovers(&admin, processes_visible(Some(&admin_url))).await;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("cannot create the template database");
                let template = sea_orm::Database::connect(database_url(&admin_url, &name))
                    .await
                    .expect("cannot connect to the template database");
                Migrator::up(&template, None)
                    .await
                    .expect("cannot migrate the template database");
                // Nobody may be connected to a template while it is copied.
                let _ = template.close().await;
                let _ = admin.close().await;
            }
        });
        name
    })
}

async fn remove_postgres_leftovers(admin: &DatabaseConnection, processes_visible: bool) {
    let Ok(rows) = admin
        .query_all(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            "SELECT datname FROM pg_database WHERE datname LIKE 'kpi\\_test\\_%'",
        ))
        .await
    else {
        return;
    };
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "datname") else {
            continue;
        };
        if is_leftover(&name, processes_visible) {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await;
        }
    }
}

/// This process's migrated SQLite template file, made on first use.
fn sqlite_template() -> &'static PathBuf {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        remove_sqlite_leftovers();
        let path = std::env::temp_dir().join(format!(
            "{TEMPLATE_PREFIX}{}_{}.db",
            unix_seconds(),
            std::process::id()
        ));
        let url = format!("sqlite://{}?mode=rwc", path.display());
        on_own_runtime(async move {
            let template = sea_orm::Database::connect(url.as_str())
                .await
                .expect("cannot create the template file");
            Migrator::up(&template, None)
                .await
                .expect("cannot migrate the template file");
            // A rollback journal (not WAL): the whole database is in the
            // one file that each test copies.
            let _ = template.close().await;
        });
        path
    })
}

fn remove_sqlite_leftovers() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    let processes_visible = processes_visible(None);
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_leftover(&name, processes_visible) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Creates a fresh, migrated database for `backend` and returns its URL.
pub async fn fresh_database(backend: Backend) -> (String, Cleanup) {
    let name = unique_name();
    match backend {
        Backend::Sqlite => {
            let template = sqlite_template();
            let path = std::env::temp_dir().join(format!("{name}.db"));
            std::fs::copy(template, &path).expect("cannot copy the template file");
            let url = format!("sqlite://{}?mode=rwc", path.display());
            (url, Cleanup::SqliteFile(path))
        }
        Backend::Postgres => {
            let template = postgres_template();
            let admin_url = postgres_admin_url();
            let admin = connect_admin(&admin_url).await;
            admin
                .execute_unprepared(&format!(
                    "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
                ))
                .await
                .expect("cannot create the test database");
            let _ = admin.close().await;
            let url = database_url(&admin_url, &name);
            (url, Cleanup::PostgresDatabase { admin_url, name })
        }
    }
}

impl Cleanup {
    /// Removes the test's database (a PostgreSQL `DROP DATABASE` waits for
    /// a checkpoint: about a third of a second).
    pub fn remove(&self) {
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
                on_own_runtime(async move {
                    if let Ok(admin) = sea_orm::Database::connect(admin_url.as_str()).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                        let _ = admin.close().await;
                    }
                });
            }
        }
    }
}
