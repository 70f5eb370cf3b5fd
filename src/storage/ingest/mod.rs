//! Writing a batch of records of one kind, set-based: one query reads what
//! is stored for the batch's keys, one reads the named agents, one
//! `INSERT .. ON CONFLICT (source, external_id) DO UPDATE` per chunk writes
//! every new or changed row, and the daily rollups take the difference in
//! the same transaction. Never one statement per record.
//!
//! On PostgreSQL the batch first takes an advisory lock per record key (and
//! per interaction its records are linked to), so that racing deliveries of
//! the same record are decided one after the other: exactly one of them is
//! CREATED, and the rollups never count a row twice.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction, EntityTrait,
    FromQueryResult, Iden, IntoActiveModel, ModelTrait, TryIntoModel,
};

mod agents;
mod deltas;
mod lookup;
mod upsert;

use agents::{check_explicit_teams, load_agent_teams, register_new_agents};
use deltas::{interaction_deltas, linked_record_deltas};
use lookup::load_models;
use upsert::upsert_rows;

use super::{
    audit::append as append_audit_event,
    lock_numbers,
    memberships::load_histories,
    rollups::{
        contribution::{Contribution, StoredRecord},
        maintain::{lock_record_keys, upsert_additive},
    },
    Database, NumbersLock, StorageError, WriteWork,
};
use crate::{
    domain::audit::{AuditActor, AuditChange},
    domain::{
        calendar::LocalDay,
        directory::MembershipHistory,
        ingest::{decide, IngestOutcome},
        records::{RecordKey, RecordMeta},
        violations::FieldViolation,
    },
};

/// The advisory-lock namespace of interactions, shared by the records
/// linked to them.
const INTERACTION_LOCKS: &str = "interactions";

/// The table of a record kind, with what a batch needs of its rows: read
/// back (`FromQueryResult`), compared with what is stored
/// (`StoredRecord`), and written as active models. Every record entity
/// has it (blanket implementation below).
pub trait RecordEntity:
    EntityTrait<Model = <Self as RecordEntity>::Row, ActiveModel = <Self as RecordEntity>::Active>
{
    type Row: ModelTrait<Entity = Self>
        + StoredRecord
        + FromQueryResult
        + Clone
        + Sync
        + Send
        + IntoActiveModel<Self::Active>;
    type Active: ActiveModelTrait<Entity = Self> + Send + TryIntoModel<Self::Row>;
}

impl<E> RecordEntity for E
where
    E: EntityTrait,
    E::Model:
        StoredRecord + FromQueryResult + Clone + Sync + Send + IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: Send + TryIntoModel<E::Model>,
{
    type Row = E::Model;
    type Active = E::ActiveModel;
}

/// A record kind that can be ingested: its table and how a record maps to
/// a row. Implemented in `records.rs` for every kind.
pub trait IngestRecord: Send + Sync {
    type Entity: RecordEntity;

    /// Name of the repeated request field, for violation paths.
    const FIELD: &'static str;
    /// Whether records of other kinds are linked to this kind (interactions:
    /// their survey responses and QA evaluations move with them).
    const IS_INTERACTION: bool = false;

    fn meta(&self) -> &RecordMeta;
    /// Digest of the record's content, see [`crate::domain::records::Fingerprint`].
    fn fingerprint(&self) -> String;
    /// The agent the record names, registered on first sight.
    fn named_agent(&self) -> Option<&str>;
    /// The team the sender named explicitly, which must exist.
    fn explicit_team(&self) -> Option<&str> {
        None
    }
    /// The interaction the record is linked to, if any.
    fn linked_interaction(&self) -> Option<&RecordKey> {
        None
    }
    /// The instant whose local day decides the record's team (interactions:
    /// `ended_at`; others their own timestamp).
    fn counted_at(&self) -> DateTime<Utc>;
    /// The row to write.
    fn to_active_model(&self, row: &RowContext) -> <Self::Entity as EntityTrait>::ActiveModel;
}

/// Values decided by the batch logic that the row needs.
pub struct RowContext {
    pub revision: Option<i64>,
    pub content_hash: String,
    pub now_us: i64,
    /// The team the record counts for.
    pub team_id: Option<String>,
}

/// How a batch is written.
#[derive(Debug, Clone, Copy)]
pub struct BatchOptions<'a> {
    /// The reporting zone the rollups' days are cut in.
    pub zone: Tz,
    /// Most agents one batch may add to the directory on first sight.
    pub max_new_agents: usize,
    /// Who sends the batch: its audit event is appended in the batch's own
    /// transaction, so that a committed batch always has its event.
    pub audit: Option<&'a AuditActor>,
}

/// What a batch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchReport {
    /// One outcome per item, in request order.
    pub outcomes: Vec<IngestOutcome>,
    /// Agents this batch registered on first sight, sorted.
    pub registered_agent_ids: Vec<String>,
}

/// Why a batch was not written.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Items refer to things that do not exist (e.g. an unknown team), or
    /// name too many unknown agents.
    #[error("the batch refers to unknown records")]
    Invalid(Vec<FieldViolation>),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl Database {
    /// Writes a validated batch atomically, keeps the rollups in step and
    /// reports each item's outcome.
    pub async fn ingest<R: IngestRecord>(
        &self,
        records: &[R],
        options: BatchOptions<'_>,
    ) -> Result<BatchReport, IngestError> {
        self.write(BatchWrite { records, options }).await
    }
}

struct BatchWrite<'a, R> {
    records: &'a [R],
    options: BatchOptions<'a>,
}

impl<R: IngestRecord> WriteWork for BatchWrite<'_, R> {
    type Output = BatchReport;
    type Error = IngestError;

    async fn run(&self, transaction: &DatabaseTransaction) -> Result<BatchReport, IngestError> {
        write_batch(transaction, self.records, self.options).await
    }

    fn is_retryable(&self, error: &IngestError) -> bool {
        matches!(error, IngestError::Storage(StorageError::Conflict(_)))
    }
}

async fn write_batch<R: IngestRecord>(
    transaction: &DatabaseTransaction,
    records: &[R],
    options: BatchOptions<'_>,
) -> Result<BatchReport, IngestError> {
    // First, before the memberships are read: a team change or a close
    // waits for this batch, and this batch for one in flight. The clock
    // read under the lock stamps the batch's rows (see `storage::locks`).
    let now_us = lock_numbers(transaction, NumbersLock::Shared).await?;
    reuse_generic_plans(transaction).await?;
    check_explicit_teams(transaction, records).await?;
    let directory_teams = load_agent_teams(transaction, records).await?;
    let named_agents: Vec<&str> = directory_teams.keys().map(String::as_str).collect();
    let memberships = load_histories(transaction, &named_agents).await?;
    let registered_agent_ids = register_new_agents(
        transaction,
        records,
        &directory_teams,
        options.max_new_agents,
    )
    .await?;

    let namespace = R::Entity::default().to_string();
    let own_keys = records.iter().map(|r| (namespace.as_str(), &r.meta().key));
    let links = records
        .iter()
        .filter_map(|r| r.linked_interaction())
        .map(|key| (INTERACTION_LOCKS, key));
    if R::IS_INTERACTION {
        lock_record_keys(
            transaction,
            records.iter().map(|r| (INTERACTION_LOCKS, &r.meta().key)),
        )
        .await?;
    } else {
        lock_record_keys(transaction, own_keys.chain(links)).await?;
    }

    let keys: Vec<&RecordKey> = records.iter().map(|r| &r.meta().key).collect();
    let stored = load_models::<R::Entity>(transaction, &keys).await?;
    let mut old_contributions = HashMap::new();
    for (key, model) in &stored {
        if let Some(contribution) = model.contribution()? {
            old_contributions.insert(key.clone(), contribution);
        }
    }
    if !R::IS_INTERACTION {
        // A correction may move a response away from another interaction:
        // that one is locked too before its state is read.
        let old_links: Vec<&RecordKey> = old_contributions
            .values()
            .filter_map(Contribution::linked_interaction)
            .collect();
        lock_record_keys(
            transaction,
            old_links.into_iter().map(|k| (INTERACTION_LOCKS, k)),
        )
        .await?;
    }

    let mut outcomes = Vec::with_capacity(records.len());
    let mut rows = Vec::new();
    for record in records {
        let meta = record.meta();
        let content_hash = record.fingerprint();
        let stored_row = stored.get(&meta.key);
        let stored_version = stored_row.map(StoredRecord::version);
        let decision = decide(
            stored_version.as_ref(),
            meta.revision,
            &content_hash,
            meta.voided,
        );
        outcomes.push(decision.outcome);
        if !decision.write {
            continue;
        }
        let context = RowContext {
            revision: decision.revision_to_store,
            content_hash,
            now_us,
            team_id: team_to_record(record, &memberships, options.zone)?,
        };
        rows.push((meta.key.clone(), record.to_active_model(&context)));
    }
    // A stable order keeps concurrent batches from deadlocking on PostgreSQL.
    rows.sort_by(|left, right| left.0.cmp(&right.0));
    let written: Vec<RecordKey> = rows.iter().map(|(key, _)| key.clone()).collect();
    let mut current =
        upsert_rows::<R::Entity>(transaction, rows, |key| !stored.contains_key(key)).await?;
    // A row the revision guard refused still counts as it is stored.
    for key in &written {
        if !current.contains_key(key) {
            if let Some(model) = stored.get(key) {
                current.insert(key.clone(), model.clone());
            }
        }
    }
    let deltas = if R::IS_INTERACTION {
        interaction_deltas(transaction, &written, &stored, &current, options.zone).await?
    } else {
        linked_record_deltas(
            transaction,
            &written,
            &old_contributions,
            &current,
            options.zone,
        )
        .await?
    };
    upsert_additive(transaction, deltas.into_rows(now_us)).await?;
    if let Some(actor) = options.audit {
        let change = AuditChange::records_ingested(
            R::FIELD,
            records.iter().map(|record| &record.meta().key),
            &outcomes,
            &registered_agent_ids,
        );
        append_audit_event(transaction, actor, &change).await?;
    }

    Ok(BatchReport {
        outcomes,
        registered_agent_ids,
    })
}

/// On PostgreSQL, lets this transaction reuse generic plans. The pool plans
/// every statement with its values (see `Database::connect`), which the
/// read path's parameter lists need; a batch's statements bind arrays and
/// JSON documents instead, whose plans do not depend on the values, and
/// planning the upsert afresh cost about 2 ms per batch.
async fn reuse_generic_plans(transaction: &DatabaseTransaction) -> Result<(), StorageError> {
    if transaction.get_database_backend() == DatabaseBackend::Postgres {
        transaction
            .execute_unprepared("SET LOCAL plan_cache_mode = auto")
            .await?;
    }
    Ok(())
}

/// The team a record counts for (catalogue, Conventions: Team): the one
/// the sender named, else the team of the agent's membership in force on
/// the local day of the record's own instant (an interaction's `ended_at`).
/// A correction is re-derived the same way, from its possibly new instant.
/// A linked survey response names no agent and follows its interaction.
fn team_to_record<R: IngestRecord>(
    record: &R,
    memberships: &HashMap<String, MembershipHistory>,
    zone: Tz,
) -> Result<Option<String>, StorageError> {
    if let Some(team) = record.explicit_team() {
        return Ok(Some(team.to_owned()));
    }
    let Some(agent) = record.named_agent() else {
        return Ok(None);
    };
    let Some(history) = memberships.get(agent) else {
        return Ok(None);
    };
    let day = LocalDay::of_instant(record.counted_at(), zone);
    Ok(history.team_on(day).map(str::to_owned))
}

#[cfg(test)]
mod tests;
