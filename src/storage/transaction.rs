//! Write transactions for the use cases. A use case opens one with
//! [`Database::begin_write`], runs any repositories on it (they are generic
//! over `ConnectionTrait`), and commits it; [`Database::with_retries`] runs
//! the whole attempt again when PostgreSQL reports a serialization failure
//! or deadlock. On SQLite, which has one writer, the transaction also holds
//! the process's writer lock, so that concurrent writers wait in line
//! instead of failing with "database is locked".

use std::{future::Future, ops::Deref};

use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseTransaction, DbErr, ExecResult, QueryResult,
    Statement, TransactionTrait,
};
use tokio::sync::OwnedMutexGuard;

use super::{data_changes, Database, StorageError};

/// How many times a write is attempted when it keeps conflicting.
const WRITE_ATTEMPTS: usize = 3;

/// An open write transaction. Dropping it without [`commit`](Self::commit)
/// rolls it back.
pub struct WriteTransaction {
    transaction: DatabaseTransaction,
    /// SQLite's in-process writer lock, held until commit or rollback.
    _writer: Option<OwnedMutexGuard<()>>,
}

impl WriteTransaction {
    /// Commits; the transaction's writes are durable when this returns Ok.
    /// It counts itself in the data's version first (see `data_changes`),
    /// so that what was computed from the data before it is known stale.
    pub async fn commit(self) -> Result<(), StorageError> {
        data_changes::count_write(&self.transaction).await?;
        self.transaction.commit().await.map_err(StorageError::from)
    }

    /// The transaction as a connection, for repositories.
    pub fn connection(&self) -> &DatabaseTransaction {
        &self.transaction
    }
}

impl Deref for WriteTransaction {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.transaction
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTransaction {
    fn get_database_backend(&self) -> DatabaseBackend {
        self.transaction.get_database_backend()
    }

    async fn execute(&self, statement: Statement) -> Result<ExecResult, DbErr> {
        self.transaction.execute(statement).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.transaction.execute_unprepared(sql).await
    }

    async fn query_one(&self, statement: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.transaction.query_one(statement).await
    }

    async fn query_all(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.transaction.query_all(statement).await
    }

    fn support_returning(&self) -> bool {
        self.transaction.support_returning()
    }
}

/// An error that may be a write conflict worth another attempt.
pub trait MaybeConflict {
    fn is_conflict(&self) -> bool;
}

impl MaybeConflict for StorageError {
    fn is_conflict(&self) -> bool {
        matches!(self, StorageError::Conflict(_))
    }
}

impl Database {
    /// Opens a write transaction (on SQLite, once the writer lock is free).
    pub async fn begin_write(&self) -> Result<WriteTransaction, StorageError> {
        let writer = match self.backend() {
            DatabaseBackend::Sqlite => Some(self.sqlite_write_lock.clone().lock_owned().await),
            _ => None,
        };
        let transaction = self.connection.begin().await?;
        Ok(WriteTransaction {
            transaction,
            _writer: writer,
        })
    }

    /// Runs `attempt` (which opens, fills and commits one transaction)
    /// until it succeeds, fails with anything but a conflict, or has been
    /// tried `WRITE_ATTEMPTS` (3) times. Each attempt starts afresh, so it
    /// must read everything it decides on inside its own transaction.
    pub async fn with_retries<T, E, F, Fut>(&self, mut attempt: F) -> Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: MaybeConflict,
    {
        let mut tried = 1;
        loop {
            match attempt().await {
                Err(error) if error.is_conflict() && tried < WRITE_ATTEMPTS => {
                    tried += 1;
                    tracing::debug!(attempt = tried, "retrying a write after a conflict");
                }
                outcome => return outcome,
            }
        }
    }
}
