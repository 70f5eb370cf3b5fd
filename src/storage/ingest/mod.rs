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
    sea_query::{Alias, Expr, OnConflict, SimpleExpr},
    ActiveModelTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, FromQueryResult, Iden,
    IntoActiveModel, Iterable,
};

mod agents;
mod deltas;
mod lookup;

use agents::{check_explicit_teams, load_agent_teams, register_new_agents};
use deltas::{interaction_deltas, linked_record_deltas};
use lookup::load_models;

use super::{
    memberships::{load_histories, lock_memberships_shared, MembershipHistory},
    now_micros,
    rollups::{
        contribution::{local_day_number, Contribution, StoredRecord},
        maintain::{lock_record_keys, upsert_additive},
    },
    Database, StorageError, WriteWork,
};
use crate::domain::{
    ingest::{decide, IngestOutcome},
    records::{RecordKey, RecordMeta},
    violations::FieldViolation,
};

/// Most bind parameters one statement may carry (SQLite allows 32,766,
/// PostgreSQL 65,535); chunks stay below both.
const MAX_BIND_PARAMETERS: usize = 30_000;
/// Most keys looked up per query.
const LOOKUP_CHUNK: usize = 500;
/// The advisory-lock namespace of interactions, shared by the records
/// linked to them.
const INTERACTION_LOCKS: &str = "interactions";

/// A record kind that can be ingested: its table and how a record maps to
/// a row. Implemented in `records.rs` for every kind.
pub trait IngestRecord: Send + Sync {
    type Entity: EntityTrait;

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
pub struct BatchOptions {
    /// The reporting zone the rollups' days are cut in.
    pub zone: Tz,
    /// Most agents one batch may add to the directory on first sight.
    pub max_new_agents: usize,
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
        options: BatchOptions,
    ) -> Result<BatchReport, IngestError>
    where
        <R::Entity as EntityTrait>::ActiveModel: Send,
        <R::Entity as EntityTrait>::Model: StoredRecord
            + FromQueryResult
            + Sync
            + Send
            + IntoActiveModel<<R::Entity as EntityTrait>::ActiveModel>,
    {
        self.write(BatchWrite { records, options }).await
    }
}

struct BatchWrite<'a, R> {
    records: &'a [R],
    options: BatchOptions,
}

impl<R: IngestRecord> WriteWork for BatchWrite<'_, R>
where
    <R::Entity as EntityTrait>::ActiveModel: Send,
    <R::Entity as EntityTrait>::Model: StoredRecord
        + FromQueryResult
        + Sync
        + Send
        + IntoActiveModel<<R::Entity as EntityTrait>::ActiveModel>,
{
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
    options: BatchOptions,
) -> Result<BatchReport, IngestError>
where
    <R::Entity as EntityTrait>::ActiveModel: Send,
    <R::Entity as EntityTrait>::Model: StoredRecord
        + FromQueryResult
        + Sync
        + Send
        + IntoActiveModel<<R::Entity as EntityTrait>::ActiveModel>,
{
    // First, before the memberships are read: a team change of any agent
    // waits for this batch, and this batch for one in flight.
    lock_memberships_shared(transaction).await?;
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

    let now_us = now_micros();
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
    upsert_rows::<R::Entity>(transaction, rows.into_iter().map(|(_, row)| row).collect()).await?;

    let written_refs: Vec<&RecordKey> = written.iter().collect();
    let current = load_models::<R::Entity>(transaction, &written_refs).await?;
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

    Ok(BatchReport {
        outcomes,
        registered_agent_ids,
    })
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
    let day = local_day_number(record.counted_at().timestamp_micros(), zone)?;
    Ok(history.team_on(day).map(str::to_owned))
}

/// The database's own guard against an older revision overwriting a newer
/// one: the batch logic already skips stale items, but two batches racing
/// on PostgreSQL could both read the old row before either writes.
fn newer_or_unversioned<E: EntityTrait>() -> SimpleExpr {
    let revision = || Alias::new("revision");
    let incoming = || Expr::col((Alias::new("excluded"), revision()));
    let stored = || Expr::col((E::default(), revision()));
    incoming()
        .is_null()
        .or(stored().is_null())
        .or(incoming().gte(stored()))
}

/// Inserts new rows and replaces changed ones in as few statements as the
/// bind-parameter limits allow.
async fn upsert_rows<E: EntityTrait>(
    connection: &impl ConnectionTrait,
    rows: Vec<E::ActiveModel>,
) -> Result<(), StorageError>
where
    E::ActiveModel: ActiveModelTrait<Entity = E>,
    E::Model: IntoActiveModel<E::ActiveModel>,
{
    if rows.is_empty() {
        return Ok(());
    }
    let column_count = E::Column::iter().count();
    let rows_per_statement = (MAX_BIND_PARAMETERS / column_count.max(1)).max(1);
    let kept_on_update = ["id", "source", "external_id", "ingested_at_us"];
    let updated_columns: Vec<E::Column> = E::Column::iter()
        .filter(|column| !kept_on_update.contains(&column.to_string().as_str()))
        .collect();
    let natural_key: Vec<Alias> = ["source", "external_id"].map(Alias::new).into();

    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<E::ActiveModel> = rows.by_ref().take(rows_per_statement).collect();
        E::insert_many(chunk)
            .on_conflict(
                OnConflict::columns(natural_key.clone())
                    .update_columns(updated_columns.clone())
                    .action_and_where(newer_or_unversioned::<E>())
                    .to_owned(),
            )
            .exec_without_returning(connection)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use sea_orm::EntityTrait;

    use super::*;
    use crate::{
        configuration::Settings,
        domain::records::{Channel, NewInteraction},
        storage::entities::interaction,
    };

    fn call(revision: i64, talk_seconds: i64) -> (NewInteraction, RowContext) {
        let instant = DateTime::<Utc>::from_timestamp(1_793_000_000, 0).unwrap();
        let record = NewInteraction {
            meta: RecordMeta {
                key: RecordKey {
                    source: "pbx".into(),
                    external_id: "call-1".into(),
                },
                revision: Some(revision),
                voided: false,
            },
            agent_id: "ana".into(),
            team_id: None,
            channel: Channel::Phone,
            queued_at: instant,
            first_response_at: None,
            ended_at: instant,
            resolved_at: None,
            sla_due_at: None,
            talk_seconds,
            hold_seconds: 0,
            after_contact_work_seconds: 0,
            resolved: false,
            first_contact_resolved: false,
            escalated: false,
            transferred: false,
            agent_error: false,
            complaint: false,
        };
        let context = RowContext {
            revision: Some(revision),
            content_hash: record.fingerprint(),
            now_us: 0,
            team_id: None,
        };
        (record, context)
    }

    /// What a race between two batches looks like to the database: the
    /// older revision's upsert arrives after the newer one was written,
    /// without the batch logic having seen it.
    #[tokio::test]
    async fn the_database_refuses_an_older_revision_even_without_the_batch_logic() {
        let mut settings = Settings::defaults().unwrap().database;
        settings.url = "sqlite::memory:".into();
        settings.max_connections = 1;
        let database = Database::connect(&settings).await.unwrap();
        database.migrate().await.unwrap();
        let connection = database.connection();

        let (newer, newer_row) = call(5, 300);
        upsert_rows::<interaction::Entity>(connection, vec![newer.to_active_model(&newer_row)])
            .await
            .unwrap();
        let (older, older_row) = call(3, 100);
        upsert_rows::<interaction::Entity>(connection, vec![older.to_active_model(&older_row)])
            .await
            .unwrap();

        let stored = interaction::Entity::find().all(connection).await.unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!((stored[0].revision, stored[0].talk_seconds), (Some(5), 300));

        let (newest, newest_row) = call(6, 200);
        upsert_rows::<interaction::Entity>(connection, vec![newest.to_active_model(&newest_row)])
            .await
            .unwrap();
        let stored = interaction::Entity::find().all(connection).await.unwrap();
        assert_eq!((stored[0].revision, stored[0].talk_seconds), (Some(6), 200));
    }
}
