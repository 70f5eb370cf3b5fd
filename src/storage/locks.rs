//! The lock that keeps a close exact. Ingest batches take it shared: they
//! run side by side. Everything that freezes numbers or changes how past
//! numbers are judged takes it exclusive: closing and restating a period,
//! storing a policy version, moving an agent between teams. An exclusive
//! holder waits for the batches in flight and holds new ones back until it
//! commits, so that:
//!
//! - a close reads every record, policy and membership committed before it
//!   took the lock, and nothing that commits after;
//! - a policy version or team move checks the closed periods inside its
//!   own transaction, under the lock: it either commits before a close
//!   reads, or sees the period closed and is refused.
//!
//! The lock also hands out the transaction's clock: the database's own on
//! PostgreSQL (read right after the lock is held, so that every replica
//! stamps its writes by one clock), the process's on SQLite (one process).
//! A batch stamps its records with it (`updated_at_us`) and a close records
//! it as `taken_at`: a record is in a snapshot exactly when its stamp is
//! not later than the snapshot's, and counted as late data otherwise.
//!
//! On PostgreSQL it is a transaction-scoped advisory lock on one constant
//! key (taken first, before any record lock, so that it cannot deadlock);
//! SQLite has a single writer already.
//!
//! Beside it, the per-record locks ([`lock_record_keys`]): racing batches
//! that touch the same record, or a record and the interaction it is
//! linked to, run one after the other.

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};
use sha2::{Digest, Sha256};

use super::{now_micros, StorageError};
use crate::domain::records::RecordKey;

/// The advisory-lock key. Its value predates the lock's wider use (it was
/// the team-membership lock), so that replicas of the previous release and
/// this one exclude each other during a rolling update.
const NUMBERS_LOCK: i64 = 0x6b70_695f_7465_616d;

/// How a write holds the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumbersLock {
    /// Ingest: many at once.
    Shared,
    /// Closes, restatements, policy versions, team moves: one at a time,
    /// and no ingest meanwhile.
    Exclusive,
}

/// Takes the lock for the rest of the transaction and returns the
/// transaction's clock (microseconds since the Unix epoch), read once the
/// lock is held.
pub async fn lock_numbers(
    connection: &impl ConnectionTrait,
    mode: NumbersLock,
) -> Result<i64, StorageError> {
    if connection.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(now_micros());
    }
    let function = match mode {
        NumbersLock::Shared => "pg_advisory_xact_lock_shared",
        NumbersLock::Exclusive => "pg_advisory_xact_lock",
    };
    // The lock is taken in the subquery, so the clock is read after it.
    let row = connection
        .query_one(Statement::from_string(
            DatabaseBackend::Postgres,
            format!(
                "SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::bigint AS now_us \
                 FROM (SELECT {function}({NUMBERS_LOCK})) AS held"
            ),
        ))
        .await?
        .ok_or_else(|| StorageError::Corrupt("the lock statement returned no row".into()))?;
    Ok(row.try_get("", "now_us")?)
}

/// On PostgreSQL, takes a transaction-scoped advisory lock per record key
/// (within `namespace`, e.g. the table), in one global order. Two batches
/// that touch the same record, or a survey response and the interaction it
/// is linked to, then run one after the other: each reads what the other
/// committed, so outcomes and rollup deltas are decided on the current
/// state, never on a stale snapshot. SQLite has a single writer already.
pub async fn lock_record_keys<'a>(
    connection: &impl ConnectionTrait,
    keys: impl IntoIterator<Item = (&'a str, &'a RecordKey)>,
) -> Result<(), StorageError> {
    if connection.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    let mut hashes: Vec<i64> = keys
        .into_iter()
        .map(|(namespace, key)| lock_id(namespace, key))
        .collect();
    if hashes.is_empty() {
        return Ok(());
    }
    hashes.sort_unstable();
    hashes.dedup();
    let list = serde_json::to_string(&hashes).unwrap_or_default();
    // One JSON parameter keeps the statement's text constant (one cached
    // statement per connection). Volatile functions in the select list run
    // after the ORDER BY, so the locks are taken in ascending order.
    let sql = "SELECT pg_advisory_xact_lock(k) FROM \
               (SELECT json_array_elements_text($1::json)::bigint AS k) AS keys ORDER BY k";
    connection
        .execute(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            sql,
            [Value::from(list)],
        ))
        .await?;
    Ok(())
}

fn lock_id(namespace: &str, key: &RecordKey) -> i64 {
    let mut hasher = Sha256::new();
    for part in [namespace, &key.source, &key.external_id] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let digest = hasher.finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// On PostgreSQL, a transaction-scoped lock on one key of `namespace` (see
/// [`lock_record_keys`]); nothing on SQLite.
pub(crate) async fn records_key_lock(
    connection: &impl ConnectionTrait,
    namespace: &str,
    key: &str,
) -> Result<(), StorageError> {
    let key = RecordKey {
        source: String::new(),
        external_id: key.to_owned(),
    };
    lock_record_keys(connection, [(namespace, &key)]).await
}
