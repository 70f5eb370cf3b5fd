//! A counter of committed write transactions, kept in the database
//! (`kpi_data_changes`): every [`crate::storage::WriteTransaction`] adds one
//! to it as its last statement, inside the transaction, so the count
//! changes exactly when a write commits, whichever process or replica made
//! it. A reader that remembers something computed from the data
//! (the organisation's peer values) reads [`data_version`] before and after
//! computing it and keeps it only when both agree; it serves it again only
//! while the version is unchanged, which costs one read of a few rows.
//!
//! The counter has a few rows; a transaction picks one, so that concurrent
//! PostgreSQL writers seldom wait for each other's commit on the same row
//! (the row is updated last, so it stays locked only while committing).
//! The version is the sum of the rows: it only grows.

use std::sync::atomic::{AtomicUsize, Ordering};

use sea_orm::{ConnectionTrait, DbErr, Statement, Value};

use super::{rollups::maintain::placeholder, StorageError};

const TABLE: &str = "kpi_data_changes";

/// Rows of the counter (as many as the migration created).
const SHARDS: usize = 16;

/// The next shard to use: turns round, which spreads concurrent writers.
static NEXT_SHARD: AtomicUsize = AtomicUsize::new(0);

/// Counts one committed write: run inside the transaction, just before
/// its commit.
pub(crate) async fn count_write(connection: &impl ConnectionTrait) -> Result<(), DbErr> {
    let backend = connection.get_database_backend();
    let shard = NEXT_SHARD.fetch_add(1, Ordering::Relaxed) % SHARDS;
    let shard = i32::try_from(shard).unwrap_or_default();
    connection
        .execute(Statement::from_sql_and_values(
            backend,
            format!(
                "UPDATE {TABLE} SET version = version + 1 WHERE shard = {}",
                placeholder(backend, 1)
            ),
            [Value::from(shard)],
        ))
        .await?;
    Ok(())
}

/// How many write transactions have committed (as far as this read sees).
pub async fn data_version(connection: &impl ConnectionTrait) -> Result<i64, StorageError> {
    let row = connection
        .query_one(Statement::from_string(
            connection.get_database_backend(),
            format!("SELECT CAST(SUM(version) AS BIGINT) AS version FROM {TABLE}"),
        ))
        .await?;
    Ok(row
        .map(|row| row.try_get::<Option<i64>>("", "version"))
        .transpose()?
        .flatten()
        .unwrap_or_default())
}
