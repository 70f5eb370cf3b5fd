//! Storage: SeaORM access to SQLite (embedded default) or PostgreSQL.
//! Functions take `&impl ConnectionTrait` where they can, so the same code
//! runs on the pool or inside a transaction.

pub mod audit;
pub mod directory;
pub mod drill_down;
pub mod entities;
pub mod facts;
pub mod idempotency;
pub mod ingest;
pub mod periods;
pub mod policy;
mod policy_cache;
mod records;
pub mod rollups;

use std::{sync::Arc, time::Duration};

use kpi_migration::{Migrator, MigratorTrait};
use sea_orm::{
    sqlx, ConnectOptions, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, DbErr, RuntimeErr, TransactionTrait,
};
use tokio::sync::{Mutex, MutexGuard};

use crate::configuration::DatabaseSettings;

/// A failure of the storage layer, classified by what the caller can do.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database cannot be reached, or no connection was free in time.
    /// Nothing was written; the call may be retried.
    #[error("the database is unavailable")]
    Unavailable(#[source] DbErr),
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

impl StorageError {
    fn is_retryable_conflict(&self) -> bool {
        matches!(self, StorageError::Conflict(_))
    }
}

impl From<DbErr> for StorageError {
    fn from(error: DbErr) -> Self {
        classify(error)
    }
}

/// Sorts a database error into the three kinds callers act on.
fn classify(error: DbErr) -> StorageError {
    let sqlx_error = match &error {
        // No connection could be had or opened, whatever the server said
        // (refused, shutting down, not accepting connections, ...).
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return StorageError::Unavailable(error),
        DbErr::Exec(RuntimeErr::SqlxError(inner)) | DbErr::Query(RuntimeErr::SqlxError(inner)) => {
            inner
        }
        _ => return StorageError::Internal(error),
    };
    match sqlx_error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
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
/// safely on both backends.
#[derive(Clone)]
pub struct Database {
    connection: DatabaseConnection,
    /// SQLite has a single writer: serialising writers in-process turns
    /// "database is locked" into a short wait. Unused on PostgreSQL.
    sqlite_write_lock: Arc<Mutex<()>>,
    /// Policy versions read by scorecards (see `policy_cache`).
    policy_cache: Arc<policy_cache::PolicyCache>,
}

/// How many times a write transaction is retried after a conflict.
const WRITE_ATTEMPTS: usize = 3;

impl Database {
    /// Opens the pool. SQLite files are created on first start and run in WAL
    /// mode with `synchronous=FULL`, so an acknowledged write survives a crash.
    pub async fn connect(settings: &DatabaseSettings) -> Result<Self, StorageError> {
        let mut options = ConnectOptions::new(settings.url.clone());
        options
            .max_connections(settings.max_connections)
            .min_connections(settings.min_connections)
            .acquire_timeout(Duration::from_secs(settings.acquire_timeout_seconds))
            .connect_timeout(Duration::from_secs(settings.connect_timeout_seconds))
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|sqlite| {
                sqlite
                    .create_if_missing(true)
                    .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
                    .busy_timeout(Duration::from_secs(5))
                    .foreign_keys(true)
            })
            // Batch look-ups filter on lists of up to 1,000 keys. A generic
            // plan cannot hash such a parameter list and scans it per row
            // (measured: 878 ms instead of 6 ms per 1,000-key look-up), so
            // every statement is planned with its actual values.
            .map_sqlx_postgres_opts(|postgres| {
                postgres.options([("plan_cache_mode", "force_custom_plan")])
            });
        let connection = sea_orm::Database::connect(options).await?;
        Ok(Self {
            connection,
            sqlite_write_lock: Arc::new(Mutex::new(())),
            policy_cache: Arc::default(),
        })
    }

    pub fn connection(&self) -> &DatabaseConnection {
        &self.connection
    }

    pub fn backend(&self) -> DatabaseBackend {
        self.connection.get_database_backend()
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> Result<(), StorageError> {
        Migrator::up(&self.connection, None).await?;
        Ok(())
    }

    /// True when the database answers and no migration is pending.
    pub async fn is_ready(&self) -> bool {
        if self.connection.ping().await.is_err() {
            return false;
        }
        matches!(
            Migrator::get_pending_migrations(&self.connection).await,
            Ok(pending) if pending.is_empty()
        )
    }

    /// Runs `work` in one transaction and commits it; on a conflict the
    /// whole transaction is retried (`work` must be repeatable).
    pub async fn write<T, W>(&self, work: W) -> Result<T, W::Error>
    where
        W: WriteWork<Output = T>,
        W::Error: From<StorageError>,
    {
        let _guard = self.lock_writer().await;
        let mut attempt = 1;
        loop {
            let transaction = self.connection.begin().await.map_err(StorageError::from)?;
            match work.run(&transaction).await {
                Ok(output) => match transaction.commit().await.map_err(StorageError::from) {
                    Ok(()) => return Ok(output),
                    Err(error) if error.is_retryable_conflict() && attempt < WRITE_ATTEMPTS => {}
                    Err(error) => return Err(error.into()),
                },
                Err(error) => {
                    // Dropping the transaction rolls it back.
                    drop(transaction);
                    if !work.is_retryable(&error) || attempt >= WRITE_ATTEMPTS {
                        return Err(error);
                    }
                }
            }
            attempt += 1;
            tracing::debug!(attempt, "retrying write after a conflict");
        }
    }

    async fn lock_writer(&self) -> Option<MutexGuard<'_, ()>> {
        match self.backend() {
            DatabaseBackend::Sqlite => Some(self.sqlite_write_lock.lock().await),
            _ => None,
        }
    }
}

/// One unit of writing, run inside a transaction by [`Database::write`].
pub trait WriteWork: Sync {
    type Output;
    type Error;

    fn run(
        &self,
        transaction: &DatabaseTransaction,
    ) -> impl std::future::Future<Output = Result<Self::Output, Self::Error>> + Send;

    /// Whether a failure is a conflict worth another attempt.
    fn is_retryable(&self, error: &Self::Error) -> bool;
}

/// On PostgreSQL, a transaction-scoped lock on one key of `namespace` (see
/// `rollups::maintain::lock_record_keys`); nothing on SQLite.
pub(crate) async fn records_key_lock(
    connection: &impl ConnectionTrait,
    namespace: &str,
    key: &str,
) -> Result<(), StorageError> {
    let key = crate::domain::records::RecordKey {
        source: String::new(),
        external_id: key.to_owned(),
    };
    rollups::maintain::lock_record_keys(connection, [(namespace, &key)]).await
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
