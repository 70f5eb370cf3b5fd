//! The repositories of an ingest batch, run by the ingest use case inside
//! its own transaction: the directory side (`agents`), the rows of one
//! record kind written set-based ([`write_records`]: one query reads what
//! is stored for the batch's keys, one statement per chunk writes every new
//! or changed row, never one per record), and the rollup deltas of what was
//! written (`deltas`).
//!
//! On PostgreSQL the batch first takes an advisory lock per record key (and
//! per interaction its records are linked to), so that racing deliveries of
//! the same record are decided one after the other: exactly one of them is
//! CREATED, and the rollups never count a row twice.

mod agents;
mod deltas;
#[cfg(test)]
mod tests;

pub use agents::{existing_agents, known_teams, register_agents};
pub use deltas::rollup_deltas;

use std::collections::{HashMap, HashSet};

use sea_orm::{ConnectionTrait, DatabaseBackend, Iden};

use super::{
    lock_record_keys,
    records::{load_rows, upsert_rows, RecordTable, RowContext, StoredRow},
    StorageError,
};
use crate::domain::{
    attribution::Contribution,
    ingest::{decide, IngestOutcome, StoredVersion},
    records::RecordKey,
};

/// The advisory-lock namespace of interactions, shared by the records
/// linked to them.
const INTERACTION_LOCKS: &str = "interactions";

/// What writing a batch's rows did.
#[derive(Debug, Default)]
pub struct WrittenBatch {
    /// One outcome per record, in request order.
    pub outcomes: Vec<IngestOutcome>,
    /// Every row written, with where it counted before and counts now.
    pub changes: Vec<RowChange>,
}

/// One written row's contribution before and after the batch (`None`: it
/// was not stored, or is void).
#[derive(Debug, Clone)]
pub struct RowChange {
    pub key: RecordKey,
    pub before: Option<Contribution>,
    pub after: Option<Contribution>,
}

/// A stored row as the batch needs it, converted once.
struct Stored {
    version: StoredVersion,
    contribution: Option<Contribution>,
}

/// On PostgreSQL, lets this transaction reuse generic plans. The pool plans
/// every statement with its values (see `Database::connect`), which the
/// read path's parameter lists need; a batch's statements bind arrays and
/// JSON documents instead, whose plans do not depend on the values, and
/// planning the upsert afresh cost about 2 ms per batch.
pub async fn reuse_generic_plans(connection: &impl ConnectionTrait) -> Result<(), StorageError> {
    if connection.get_database_backend() == DatabaseBackend::Postgres {
        connection
            .execute_unprepared("SET LOCAL plan_cache_mode = auto")
            .await?;
    }
    Ok(())
}

/// Decides and writes `records` (each recorded for its team in `teams`,
/// stamped `now_us`): new keys are created, corrections replace the stored
/// row, replays and stale revisions write nothing (`domain::ingest`).
pub async fn write_records<R: RecordTable>(
    connection: &impl ConnectionTrait,
    records: &[R],
    teams: Vec<Option<String>>,
    now_us: i64,
) -> Result<WrittenBatch, StorageError> {
    lock_own_keys(connection, records).await?;
    let keys: Vec<&RecordKey> = records.iter().map(|record| &record.meta().key).collect();
    let mut stored = HashMap::new();
    for (key, row) in load_rows::<R::Entity>(connection, &keys).await? {
        let entry = Stored {
            version: row.version(),
            contribution: row.contribution()?,
        };
        stored.insert(key, entry);
    }
    if !R::IS_INTERACTION {
        // A correction may move a record away from another interaction:
        // that one is locked too before anything is decided.
        let old_links = stored
            .values()
            .filter_map(|row| row.contribution.as_ref()?.linked_interaction());
        lock_record_keys(connection, old_links.map(|key| (INTERACTION_LOCKS, key))).await?;
    }
    let stored_keys: HashSet<RecordKey> = stored.keys().cloned().collect();

    let mut batch = WrittenBatch {
        outcomes: Vec::with_capacity(records.len()),
        changes: Vec::new(),
    };
    let mut rows = Vec::new();
    for (record, team_id) in records.iter().zip(teams) {
        let meta = record.meta();
        let content_hash = record.fingerprint();
        let before = stored.remove(&meta.key);
        let decision = decide(
            before.as_ref().map(|row| &row.version),
            meta.revision,
            &content_hash,
            meta.voided,
        );
        batch.outcomes.push(decision.outcome);
        if !decision.write {
            continue;
        }
        let context = RowContext {
            revision: decision.revision_to_store,
            content_hash,
            now_us,
            team_id: team_id.clone(),
        };
        rows.push((meta.key.clone(), record.to_active_model(&context)));
        batch.changes.push(RowChange {
            key: meta.key.clone(),
            before: before.and_then(|row| row.contribution),
            after: record.contribution(team_id),
        });
    }
    // A stable order keeps concurrent batches from deadlocking on PostgreSQL.
    rows.sort_by(|left, right| left.0.cmp(&right.0));
    let written =
        upsert_rows::<R::Entity>(connection, rows, |key| !stored_keys.contains(key)).await?;
    // A row the database's revision guard refused still counts as stored.
    batch.changes.retain(|change| written.contains(&change.key));
    Ok(batch)
}

/// Locks the batch's own keys, and the interactions its records name.
async fn lock_own_keys<R: RecordTable>(
    connection: &impl ConnectionTrait,
    records: &[R],
) -> Result<(), StorageError> {
    let keys = records.iter().map(|record| &record.meta().key);
    if R::IS_INTERACTION {
        return lock_record_keys(connection, keys.map(|key| (INTERACTION_LOCKS, key))).await;
    }
    let namespace = R::Entity::default().to_string();
    let links = records
        .iter()
        .filter_map(|record| record.linked_interaction())
        .map(|key| (INTERACTION_LOCKS, key));
    lock_record_keys(
        connection,
        keys.map(|key| (namespace.as_str(), key)).chain(links),
    )
    .await
}
