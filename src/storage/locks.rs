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

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use super::{now_micros, StorageError};

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
