//! Storage: SeaORM access to SQLite (embedded default) or PostgreSQL.
//! Functions take `&impl ConnectionTrait` where they can, so the same code
//! runs on the pool or inside a transaction.

pub mod audit;
pub mod changes;
pub mod data_changes;
pub mod directory;
pub mod drill_down;
pub mod entities;
pub mod facts;
pub mod goals;
mod graded_json;
pub mod idempotency;
pub mod ingest;
pub mod intraday;
mod locks;
pub mod memberships;
pub mod periods;
mod pg_arrays;
pub mod policy;
pub mod policy_cache;
mod pool;
pub mod rebuild;
pub mod record_listing;
pub mod records;
pub mod replicas;
pub mod rollups;
pub mod team_moves;
mod transaction;

pub(crate) use locks::records_key_lock;
pub use locks::{lock_numbers, lock_record_keys, NumbersLock};
pub use replicas::{ConsistencyToken, InvalidToken, ReadPreference, ReplicaReport, ReplicaSet};
pub use transaction::{MaybeConflict, WriteTransaction};

use std::{
    future::Future,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use kpi_migration::{Migrator, MigratorTrait};
use sea_orm::{
    sqlx, ConnAcquireErr, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, RuntimeErr,
};
use tokio::sync::{Mutex, Notify};

use crate::configuration::DatabaseSettings;

/// A failure of the storage layer, classified by what the caller can do.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database cannot be reached. Nothing was written; the call may be
    /// retried.
    #[error("the database is unavailable")]
    Unavailable(#[source] DbErr),
    /// No pooled connection became free within the acquire timeout: every
    /// connection is busy (or, in the first moments of an outage, none can
    /// be opened). Nothing was written; the call may be retried.
    #[error("no database connection became free in time")]
    Busy(#[source] DbErr),
    /// A concurrent transaction conflicted and internal retries ran out.
    #[error("a concurrent write conflicted")]
    Conflict(#[source] DbErr),
    /// Anything else: a bug or a schema mismatch.
    #[error("database error")]
    Internal(#[source] DbErr),
    /// A stored value that the code cannot read back.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
}

impl From<DbErr> for StorageError {
    fn from(error: DbErr) -> Self {
        classify(error)
    }
}

/// Sorts a database error into the three kinds callers act on.
fn classify(error: DbErr) -> StorageError {
    let sqlx_error = match &error {
        // Waiting for a pooled connection ran out of time.
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout) => return StorageError::Busy(error),
        // No connection could be had or opened, whatever the server said
        // (refused, shutting down, not accepting connections, ...).
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return StorageError::Unavailable(error),
        DbErr::Exec(RuntimeErr::SqlxError(inner)) | DbErr::Query(RuntimeErr::SqlxError(inner)) => {
            inner
        }
        _ => return StorageError::Internal(error),
    };
    match sqlx_error {
        sqlx::Error::PoolTimedOut => StorageError::Busy(error),
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StorageError::Unavailable(error),
        sqlx::Error::Database(database_error) => {
            let code = database_error.code().unwrap_or_default().to_string();
            match code.as_str() {
                // PostgreSQL: serialization failure, deadlock.
                "40001" | "40P01" => StorageError::Conflict(error),
                // PostgreSQL: connection exceptions, shutdown, too many
                // connections; SQLite: busy, locked.
                c if c.starts_with("08") => StorageError::Unavailable(error),
                "57P01" | "57P02" | "57P03" | "53300" | "5" | "6" | "517" | "261" => {
                    StorageError::Unavailable(error)
                }
                _ => StorageError::Internal(error),
            }
        }
        _ => StorageError::Internal(error),
    }
}

/// The service's database: a connection pool plus what it takes to write
/// safely on both backends, and what the health check last saw of it.
#[derive(Clone)]
pub struct Database {
    connection: DatabaseConnection,
    /// A one-connection pool of its own for health probes, so that a busy
    /// main pool never looks like an outage (and an outage is seen at once).
    probe: DatabaseConnection,
    /// SQLite has a single writer: serialising writers in-process turns
    /// "database is locked" into a short wait. Unused on PostgreSQL.
    sqlite_write_lock: Arc<Mutex<()>>,
    health: Arc<HealthState>,
    /// Policy versions read by scorecards (see `policy_cache`).
    policy_cache: Arc<policy_cache::PolicyCache>,
    /// Streaming standbys for reads that allow them (see `replicas`).
    replicas: Arc<ReplicaSet>,
    /// Wakes the scorecard change readers (see `changes::signal`).
    change_signal: Arc<changes::signal::ChangeSignal>,
}

/// What the health check knows about the database.
struct HealthState {
    /// The last probe reached the database (true until a probe fails).
    reachable: AtomicBool,
    /// No migration is pending. Checked at start-up and after `migrate`,
    /// and by each probe only while it is false: once current, a probe is
    /// a plain ping (checking migrations creates the bookkeeping table "if
    /// not exists", which PostgreSQL logs on every probe).
    schema_current: AtomicBool,
    /// Asks the health check to probe now rather than at its next tick.
    probe_requested: Notify,
}

/// Prepared statements kept per connection. Batch statements differ in
/// their number of rows, so an unbounded cache grows with every batch size
/// seen (resident memory reached 1.8 GB after 2M interactions on SQLite
/// with the default of 100; this bound is the suspected cure).
const STATEMENT_CACHE_CAPACITY: usize = 32;

impl Database {
    /// Opens the pools (see `pool`). SQLite files are created on first start
    /// and run in WAL mode with `synchronous=FULL`, so an acknowledged write
    /// survives a crash.
    pub async fn connect(settings: &DatabaseSettings) -> Result<Self, StorageError> {
        Self::open(settings, false).await
    }

    /// Like [`Database::connect`], without connecting: the pools open their
    /// connections when first used, so this succeeds while the database is
    /// unreachable (the service then starts NOT_SERVING; see `startup`).
    pub async fn connect_lazy(settings: &DatabaseSettings) -> Result<Self, StorageError> {
        Self::open(settings, true).await
    }

    async fn open(settings: &DatabaseSettings, lazy: bool) -> Result<Self, StorageError> {
        let (connection, probe) = pool::open(settings, lazy).await?;
        Ok(Self {
            connection,
            probe,
            sqlite_write_lock: Arc::new(Mutex::new(())),
            health: Arc::new(HealthState {
                reachable: AtomicBool::new(true),
                schema_current: AtomicBool::new(false),
                probe_requested: Notify::new(),
            }),
            policy_cache: Arc::default(),
            replicas: Arc::new(ReplicaSet::open(settings)?),
            change_signal: Arc::default(),
        })
    }

    /// Wakes the scorecard change readers of this process.
    pub fn change_signal(&self) -> &changes::signal::ChangeSignal {
        &self.change_signal
    }

    /// The primary's pool: every write, and every read that must see them.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.connection
    }

    /// The pool a read of `preference` runs on: a standby that may serve
    /// it (see `replicas`), else the primary. The use case decides the
    /// preference; this only knows which standbys are fresh enough.
    pub fn reader(&self, preference: ReadPreference) -> &DatabaseConnection {
        self.replicas.pick(preference).unwrap_or(&self.connection)
    }

    /// The standbys, their lag and where reads went (health, metrics).
    pub fn replicas(&self) -> &ReplicaSet {
        &self.replicas
    }

    /// Watches the standbys' lag until the returned future is dropped
    /// (forever pending when there are none).
    pub async fn watch_replicas(&self, timeout: Duration) {
        self.replicas.watch(&self.connection, timeout).await;
    }

    /// A token for the writes this process has committed so far: a read
    /// carrying it sees them, on a standby that has replayed past it or on
    /// the primary. `None` on SQLite (one database, nothing to wait for).
    pub async fn consistency_token(&self) -> Result<Option<ConsistencyToken>, StorageError> {
        if self.backend() != DatabaseBackend::Postgres {
            return Ok(None);
        }
        let position = replicas::primary_position(&self.connection).await?;
        Ok(position.map(ConsistencyToken::at))
    }

    pub fn backend(&self) -> DatabaseBackend {
        self.connection.get_database_backend()
    }

    /// Runs two independent reads: together on PostgreSQL, where each waits
    /// for a network round trip; one after the other on SQLite, which runs
    /// in the process, where a second connection saves no wait and only
    /// adds its page cache (50 concurrent organisation-wide calls peaked at
    /// 145-157 MB with SQLite reads side by side, 115 MB one after the
    /// other).
    pub async fn join_reads<A: Future, B: Future>(&self, a: A, b: B) -> (A::Output, B::Output) {
        match self.backend() {
            DatabaseBackend::Postgres => tokio::join!(a, b),
            _ => (a.await, b.await),
        }
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> Result<(), StorageError> {
        Migrator::up(&self.connection, None).await?;
        self.health.schema_current.store(true, Ordering::Release);
        Ok(())
    }

    /// Checks (once) whether a migration is pending; the answer is kept
    /// for [`Database::probe`].
    pub async fn check_schema(&self) -> Result<bool, StorageError> {
        let pending = Migrator::get_pending_migrations(&self.connection).await?;
        let current = pending.is_empty();
        self.health.schema_current.store(current, Ordering::Release);
        Ok(current)
    }

    /// One health probe: pings the database on the probe connection (within
    /// `timeout`), and while migrations were pending checks them again.
    /// Records whether the database was reached; returns true when it was
    /// and its schema is current.
    pub async fn probe(&self, timeout: Duration) -> bool {
        let reached = matches!(
            tokio::time::timeout(timeout, self.probe.ping()).await,
            Ok(Ok(()))
        );
        self.health.reachable.store(reached, Ordering::Release);
        if !reached {
            return false;
        }
        if self.health.schema_current.load(Ordering::Acquire) {
            return true;
        }
        matches!(
            tokio::time::timeout(timeout, self.check_schema()).await,
            Ok(Ok(true))
        )
    }

    /// False once a health probe failed to reach the database, until one
    /// reaches it again: calls then fail fast instead of each waiting for
    /// the acquire timeout.
    pub fn is_reachable(&self) -> bool {
        self.health.reachable.load(Ordering::Acquire)
    }

    /// Asks the health check to probe now (a call saw the database fail).
    pub fn request_probe(&self) {
        self.health.probe_requested.notify_one();
    }

    /// Completes when a probe has been requested.
    pub async fn probe_requested(&self) {
        self.health.probe_requested.notified().await;
    }

    /// Closes every connection, cleanly (at shutdown).
    pub async fn close(&self) {
        // The policy cache's listener holds a connection of its own.
        self.policy_cache.stop();
        self.replicas.close().await;
        self.change_signal.stop();
        for pool in [&self.connection, &self.probe] {
            if let Err(error) = pool.close_by_ref().await {
                tracing::warn!(%error, "closing database connections failed");
            }
        }
    }
}

/// How long one health probe may take: at most the connect timeout, at
/// most one check interval, at least a second.
pub fn probe_timeout(settings: &DatabaseSettings) -> Duration {
    let seconds = settings
        .connect_timeout_seconds
        .min(settings.health_check_interval_seconds)
        .max(1);
    Duration::from_secs(seconds)
}

/// The instant stored as `micros` since the Unix epoch.
pub(crate) fn instant(micros: i64) -> Result<chrono::DateTime<chrono::Utc>, StorageError> {
    chrono::DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| StorageError::Corrupt(format!("timestamp {micros} out of range")))
}

/// Like [`instant`], for nullable columns.
pub(crate) fn optional_instant(
    micros: Option<i64>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, StorageError> {
    micros.map(instant).transpose()
}

/// Microseconds since the Unix epoch of "now", for audit columns.
pub(crate) fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}
