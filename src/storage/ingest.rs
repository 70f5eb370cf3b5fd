//! Writing a batch of records of one kind, set-based: one query reads what
//! is stored for the batch's keys, one reads the named agents, and one
//! `INSERT .. ON CONFLICT (source, external_id) DO UPDATE` per chunk writes
//! every new or changed row. Never one statement per record.

use std::collections::{BTreeSet, HashMap};

use sea_orm::{
    sea_query::{Alias, Expr, OnConflict, Query, SimpleExpr},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, Iden,
    IntoActiveModel, Iterable, QueryFilter,
};

use super::{
    entities::{agent, team},
    now_micros, Database, StorageError, WriteWork,
};
use crate::domain::{
    ingest::{decide, IngestOutcome, StoredVersion},
    records::{RecordKey, RecordMeta},
    violations::{indexed, nested, FieldViolation},
};

/// Most bind parameters one statement may carry (SQLite allows 32,766,
/// PostgreSQL 65,535); chunks stay below both.
const MAX_BIND_PARAMETERS: usize = 30_000;
/// Most keys looked up per query.
const LOOKUP_CHUNK: usize = 500;

/// A record kind that can be ingested: its table and how a record maps to
/// a row. Implemented in `records.rs` for every kind.
pub trait IngestRecord: Send + Sync {
    type Entity: EntityTrait;

    /// Name of the repeated request field, for violation paths.
    const FIELD: &'static str;
    /// Whether the table records the agent's team (interactions only).
    const RECORDS_TEAM: bool = false;

    fn meta(&self) -> &RecordMeta;
    /// Digest of the record's content, see [`crate::domain::records::Fingerprint`].
    fn fingerprint(&self) -> String;
    /// The agent the record names, registered on first sight.
    fn named_agent(&self) -> Option<&str>;
    /// The team the sender named explicitly, which must exist.
    fn explicit_team(&self) -> Option<&str> {
        None
    }
    /// The row to write.
    fn to_active_model(&self, row: &RowContext) -> <Self::Entity as EntityTrait>::ActiveModel;
}

/// Values decided by the batch logic that the row needs.
pub struct RowContext {
    pub revision: Option<i64>,
    pub content_hash: String,
    pub now_us: i64,
    /// The team to record (only for kinds with `RECORDS_TEAM`).
    pub team_id: Option<String>,
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
    /// Items refer to things that do not exist (e.g. an unknown team).
    #[error("the batch refers to unknown records")]
    Invalid(Vec<FieldViolation>),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl Database {
    /// Writes a validated batch atomically and reports each item's outcome.
    pub async fn ingest<R: IngestRecord>(&self, records: &[R]) -> Result<BatchReport, IngestError>
    where
        <R::Entity as EntityTrait>::ActiveModel: Send,
        <R::Entity as EntityTrait>::Model:
            Sync + IntoActiveModel<<R::Entity as EntityTrait>::ActiveModel>,
    {
        self.write(BatchWrite { records }).await
    }
}

struct BatchWrite<'a, R> {
    records: &'a [R],
}

impl<R: IngestRecord> WriteWork for BatchWrite<'_, R>
where
    <R::Entity as EntityTrait>::ActiveModel: Send,
    <R::Entity as EntityTrait>::Model:
        Sync + IntoActiveModel<<R::Entity as EntityTrait>::ActiveModel>,
{
    type Output = BatchReport;
    type Error = IngestError;

    async fn run(&self, transaction: &DatabaseTransaction) -> Result<BatchReport, IngestError> {
        write_batch(transaction, self.records).await
    }

    fn is_retryable(&self, error: &IngestError) -> bool {
        matches!(error, IngestError::Storage(StorageError::Conflict(_)))
    }
}

/// What is stored under one key.
struct StoredRow {
    version: StoredVersion,
    agent_id: Option<String>,
    team_id: Option<String>,
}

async fn write_batch<R: IngestRecord>(
    transaction: &DatabaseTransaction,
    records: &[R],
) -> Result<BatchReport, IngestError>
where
    <R::Entity as EntityTrait>::ActiveModel: Send,
    <R::Entity as EntityTrait>::Model: IntoActiveModel<<R::Entity as EntityTrait>::ActiveModel>,
{
    check_explicit_teams(transaction, records).await?;
    let directory_teams = load_agent_teams(transaction, records).await?;
    let registered_agent_ids = register_new_agents(transaction, records, &directory_teams).await?;
    let stored = load_stored_rows::<R>(transaction, records).await?;

    let now_us = now_micros();
    let mut outcomes = Vec::with_capacity(records.len());
    let mut rows = Vec::new();
    for record in records {
        let meta = record.meta();
        let content_hash = record.fingerprint();
        let stored_row = stored.get(&meta.key);
        let decision = decide(
            stored_row.map(|row| &row.version),
            meta.revision,
            &content_hash,
            meta.voided,
        );
        outcomes.push(decision.outcome);
        if !decision.write {
            continue;
        }
        let team_id = if R::RECORDS_TEAM {
            team_to_record(record, stored_row, &directory_teams)
        } else {
            None
        };
        let context = RowContext {
            revision: decision.revision_to_store,
            content_hash,
            now_us,
            team_id,
        };
        rows.push((meta.key.clone(), record.to_active_model(&context)));
    }
    // A stable order keeps concurrent batches from deadlocking on PostgreSQL.
    rows.sort_by(|left, right| left.0.cmp(&right.0));
    upsert_rows::<R::Entity>(transaction, rows.into_iter().map(|(_, row)| row).collect()).await?;

    Ok(BatchReport {
        outcomes,
        registered_agent_ids,
    })
}

/// The team an interaction counts for: the one the sender named, else the
/// one already recorded for it (so a correction never moves history), else
/// the agent's team in the directory now.
fn team_to_record<R: IngestRecord>(
    record: &R,
    stored: Option<&StoredRow>,
    directory_teams: &HashMap<String, Option<String>>,
) -> Option<String> {
    if let Some(team) = record.explicit_team() {
        return Some(team.to_owned());
    }
    let agent = record.named_agent()?;
    if let Some(stored) = stored {
        if stored.agent_id.as_deref() == Some(agent) {
            return stored.team_id.clone();
        }
    }
    directory_teams.get(agent).cloned().flatten()
}

async fn check_explicit_teams<R: IngestRecord>(
    connection: &impl ConnectionTrait,
    records: &[R],
) -> Result<(), IngestError> {
    let named: BTreeSet<&str> = records.iter().filter_map(|r| r.explicit_team()).collect();
    if named.is_empty() {
        return Ok(());
    }
    let known: BTreeSet<String> = team::Entity::find()
        .filter(team::Column::TeamId.is_in(named.iter().copied()))
        .all(connection)
        .await
        .map_err(StorageError::from)?
        .into_iter()
        .map(|team| team.team_id)
        .collect();
    let violations: Vec<FieldViolation> = records
        .iter()
        .enumerate()
        .filter_map(|(index, record)| {
            let team = record.explicit_team()?;
            (!known.contains(team)).then(|| FieldViolation {
                field: nested(&indexed(R::FIELD, index), "team_id"),
                description: format!(
                    "team {team:?} is not in the directory; create it with DirectoryService.UpsertTeam first"
                ),
            })
        })
        .collect();
    if violations.is_empty() {
        Ok(())
    } else {
        Err(IngestError::Invalid(violations))
    }
}

/// The directory's current team of every agent the batch names that exists.
async fn load_agent_teams<R: IngestRecord>(
    connection: &impl ConnectionTrait,
    records: &[R],
) -> Result<HashMap<String, Option<String>>, StorageError> {
    let named: BTreeSet<&str> = records.iter().filter_map(|r| r.named_agent()).collect();
    let mut teams = HashMap::with_capacity(named.len());
    let named: Vec<&str> = named.into_iter().collect();
    for chunk in named.chunks(LOOKUP_CHUNK) {
        let agents = agent::Entity::find()
            .filter(agent::Column::AgentId.is_in(chunk.iter().copied()))
            .all(connection)
            .await?;
        teams.extend(agents.into_iter().map(|a| (a.agent_id, a.team_id)));
    }
    Ok(teams)
}

/// Adds agents not yet in the directory, without a team.
async fn register_new_agents<R: IngestRecord>(
    connection: &impl ConnectionTrait,
    records: &[R],
    known: &HashMap<String, Option<String>>,
) -> Result<Vec<String>, StorageError> {
    let new_agents: BTreeSet<&str> = records
        .iter()
        .filter_map(|r| r.named_agent())
        .filter(|agent_id| !known.contains_key(*agent_id))
        .collect();
    if new_agents.is_empty() {
        return Ok(Vec::new());
    }
    let now_us = now_micros();
    let rows: Vec<agent::ActiveModel> = new_agents
        .iter()
        .map(|agent_id| agent::ActiveModel {
            agent_id: sea_orm::Set((*agent_id).to_owned()),
            display_name: sea_orm::Set(String::new()),
            team_id: sea_orm::Set(None),
            created_at_us: sea_orm::Set(now_us),
            updated_at_us: sea_orm::Set(now_us),
        })
        .collect();
    for chunk in rows.chunks(LOOKUP_CHUNK) {
        agent::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::column(agent::Column::AgentId)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(connection)
            .await?;
    }
    Ok(new_agents.into_iter().map(str::to_owned).collect())
}

/// Reads, for every key of the batch, what is stored. Filters on the two
/// key columns with plain `IN` lists (SQLite has no row-value `IN` lists)
/// and keeps the exact pairs.
async fn load_stored_rows<R: IngestRecord>(
    connection: &impl ConnectionTrait,
    records: &[R],
) -> Result<HashMap<RecordKey, StoredRow>, StorageError> {
    let wanted: BTreeSet<&RecordKey> = records.iter().map(|r| &r.meta().key).collect();
    let wanted_list: Vec<&RecordKey> = wanted.iter().copied().collect();
    let mut stored = HashMap::with_capacity(wanted.len());
    for chunk in wanted_list.chunks(LOOKUP_CHUNK) {
        let sources: BTreeSet<&str> = chunk.iter().map(|k| k.source.as_str()).collect();
        let external_ids: Vec<&str> = chunk.iter().map(|k| k.external_id.as_str()).collect();
        let mut query = Query::select();
        query
            .columns(
                [
                    "source",
                    "external_id",
                    "revision",
                    "content_hash",
                    "voided",
                ]
                .map(Alias::new),
            )
            .from(R::Entity::default())
            .and_where(Expr::col(Alias::new("source")).is_in(sources.iter().copied()))
            .and_where(Expr::col(Alias::new("external_id")).is_in(external_ids));
        if R::RECORDS_TEAM {
            query.columns(["agent_id", "team_id"].map(Alias::new));
        }
        let statement = connection.get_database_backend().build(&query);
        for row in connection.query_all(statement).await? {
            let key = RecordKey {
                source: row.try_get("", "source")?,
                external_id: row.try_get("", "external_id")?,
            };
            if !wanted.contains(&key) {
                continue;
            }
            let version = StoredVersion {
                revision: row.try_get("", "revision")?,
                content_hash: row.try_get("", "content_hash")?,
                voided: row.try_get("", "voided")?,
            };
            let (agent_id, team_id) = if R::RECORDS_TEAM {
                (row.try_get("", "agent_id")?, row.try_get("", "team_id")?)
            } else {
                (None, None)
            };
            stored.insert(
                key,
                StoredRow {
                    version,
                    agent_id,
                    team_id,
                },
            );
        }
    }
    Ok(stored)
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
