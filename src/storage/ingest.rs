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

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{
    sea_query::{Alias, Expr, OnConflict, SimpleExpr},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction,
    EntityTrait, FromQueryResult, Iden, IntoActiveModel, Iterable, QueryFilter,
};

use super::{
    entities::{agent, interaction, qa_evaluation, survey_response, team},
    memberships::{load_histories, lock_memberships_shared, MembershipHistory},
    now_micros,
    rollups::{
        contribution::{local_day_number, Contribution, InteractionPlace, StoredRecord},
        maintain::{lock_record_keys, upsert_additive, RollupDeltas},
    },
    Database, StorageError, WriteWork,
};
use crate::domain::{
    ingest::{decide, IngestOutcome},
    records::{RecordKey, RecordMeta},
    violations::{indexed, nested, FieldViolation},
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

/// Rollup deltas of an interaction batch: each written interaction moves
/// from where it counted to where it counts now, and so do the survey
/// responses and QA evaluations linked to it when its agent, team, day or
/// void flag changed (or it just arrived).
async fn interaction_deltas<M: StoredRecord>(
    connection: &impl ConnectionTrait,
    written: &[RecordKey],
    before: &HashMap<RecordKey, M>,
    after: &HashMap<RecordKey, M>,
    zone: Tz,
) -> Result<RollupDeltas, StorageError> {
    let no_links = HashMap::new();
    let mut deltas = RollupDeltas::default();
    let mut places_before = HashMap::new();
    let mut places_after = HashMap::new();
    for key in written {
        let old = before
            .get(key)
            .map(StoredRecord::contribution)
            .transpose()?
            .flatten();
        let new = after
            .get(key)
            .map(StoredRecord::contribution)
            .transpose()?
            .flatten();
        let old_place = old.as_ref().and_then(|c| c.own_place());
        let new_place = new.as_ref().and_then(|c| c.own_place());
        deltas.replace(
            old.as_ref().map(|c| (c, &no_links)),
            new.as_ref().map(|c| (c, &no_links)),
            zone,
        )?;
        if old_place != new_place {
            if let Some(place) = old_place {
                places_before.insert(key.clone(), place);
            }
            if let Some(place) = new_place {
                places_after.insert(key.clone(), place);
            }
        }
    }
    let moved: BTreeSet<&RecordKey> = places_before.keys().chain(places_after.keys()).collect();
    if moved.is_empty() {
        return Ok(deltas);
    }
    let moved: Vec<&RecordKey> = moved.into_iter().collect();
    let mut dependents: Vec<Contribution> = Vec::new();
    for model in load_linked::<survey_response::Entity>(connection, &moved).await? {
        dependents.extend(model.contribution()?);
    }
    for model in load_linked::<qa_evaluation::Entity>(connection, &moved).await? {
        dependents.extend(model.contribution()?);
    }
    for dependent in &dependents {
        deltas.replace(
            Some((dependent, &places_before)),
            Some((dependent, &places_after)),
            zone,
        )?;
    }
    Ok(deltas)
}

/// Rollup deltas of a batch of any other kind: each written row moves from
/// where it counted to where it counts now; the interactions it is (or
/// was) linked to are read as they stand, locked by this batch.
async fn linked_record_deltas<M: StoredRecord>(
    connection: &impl ConnectionTrait,
    written: &[RecordKey],
    before: &HashMap<RecordKey, Contribution>,
    after: &HashMap<RecordKey, M>,
    zone: Tz,
) -> Result<RollupDeltas, StorageError> {
    let mut pairs = Vec::with_capacity(written.len());
    for key in written {
        let new = after
            .get(key)
            .map(StoredRecord::contribution)
            .transpose()?
            .flatten();
        pairs.push((before.get(key), new));
    }
    let linked: BTreeSet<&RecordKey> = pairs
        .iter()
        .flat_map(|(old, new)| {
            [
                old.and_then(Contribution::linked_interaction),
                new.as_ref().and_then(Contribution::linked_interaction),
            ]
        })
        .flatten()
        .collect();
    let linked: Vec<&RecordKey> = linked.into_iter().collect();
    let places: HashMap<RecordKey, InteractionPlace> =
        load_models::<interaction::Entity>(connection, &linked)
            .await?
            .into_iter()
            .map(|(key, model)| (key, InteractionPlace::of(&model)))
            .collect();
    let mut deltas = RollupDeltas::default();
    for (old, new) in &pairs {
        deltas.replace(
            old.map(|c| (c, &places)),
            new.as_ref().map(|c| (c, &places)),
            zone,
        )?;
    }
    Ok(deltas)
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

/// The directory's current team of every agent the batch names that exists
/// (which agents are known; teams are taken from the memberships).
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

/// Adds agents not yet in the directory, without a team. A batch naming
/// more than `max_new_agents` unknown agents is refused whole (a typo'd or
/// hostile feed must not flood the directory): the violation points at the
/// first item past the limit.
async fn register_new_agents<R: IngestRecord>(
    connection: &impl ConnectionTrait,
    records: &[R],
    known: &HashMap<String, Option<String>>,
    max_new_agents: usize,
) -> Result<Vec<String>, IngestError> {
    let mut new_agents: BTreeSet<&str> = BTreeSet::new();
    for (index, record) in records.iter().enumerate() {
        let Some(agent_id) = record.named_agent() else {
            continue;
        };
        if known.contains_key(agent_id) || !new_agents.insert(agent_id) {
            continue;
        }
        if new_agents.len() > max_new_agents {
            return Err(IngestError::Invalid(vec![FieldViolation {
                field: nested(&indexed(R::FIELD, index), "agent_id"),
                description: format!(
                    "the batch names more than {max_new_agents} agents that are not in the \
                     directory; add them with DirectoryService.UpsertAgent first, or send \
                     smaller batches"
                ),
            }]));
        }
    }
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
            .await
            .map_err(StorageError::from)?;
    }
    Ok(new_agents.into_iter().map(str::to_owned).collect())
}

/// Matches rows whose two key columns equal one of `keys`: exact pairs on
/// PostgreSQL; on SQLite (no row-value lists) each column against its own
/// list, a superset the caller narrows to the exact pairs.
fn key_filter(backend: DatabaseBackend, columns: [&str; 2], keys: &[&RecordKey]) -> SimpleExpr {
    match backend {
        // One JSON parameter, whatever the number of keys: the statement's
        // text stays the same (one cached statement) and plans in about a
        // millisecond, where a 500-pair row-value IN list took 140 ms to
        // plan on a 2M-row table.
        DatabaseBackend::Postgres => {
            let pairs: Vec<[&str; 2]> = keys
                .iter()
                .map(|key| [key.source.as_str(), key.external_id.as_str()])
                .collect();
            let json = serde_json::to_string(&pairs).unwrap_or_default();
            let [source, external_id] = columns;
            Expr::cust_with_values(
                format!(
                    "({source}, {external_id}) IN (SELECT pair->>0, pair->>1 \
                     FROM json_array_elements($1::json) AS pair)"
                ),
                [json],
            )
        }
        _ => {
            let [source, external_id] = columns.map(|name| Expr::col(Alias::new(name)));
            let sources: BTreeSet<&str> = keys.iter().map(|k| k.source.as_str()).collect();
            source
                .is_in(sources.into_iter().map(str::to_owned))
                .and(external_id.is_in(keys.iter().map(|k| k.external_id.clone())))
        }
    }
}

/// The stored rows of `keys`, whole.
async fn load_models<E>(
    connection: &impl ConnectionTrait,
    keys: &[&RecordKey],
) -> Result<HashMap<RecordKey, E::Model>, StorageError>
where
    E: EntityTrait,
    E::Model: StoredRecord,
{
    let wanted: BTreeSet<&RecordKey> = keys.iter().copied().collect();
    let wanted_list: Vec<&RecordKey> = wanted.iter().copied().collect();
    let backend = connection.get_database_backend();
    let mut stored = HashMap::with_capacity(wanted.len());
    for chunk in wanted_list.chunks(LOOKUP_CHUNK) {
        let rows = E::find()
            .filter(key_filter(backend, ["source", "external_id"], chunk))
            .all(connection)
            .await?;
        for row in rows {
            let key = row.key();
            if wanted.contains(&key) {
                stored.insert(key, row);
            }
        }
    }
    Ok(stored)
}

/// The non-void rows of `E` linked to one of `interactions`.
async fn load_linked<E>(
    connection: &impl ConnectionTrait,
    interactions: &[&RecordKey],
) -> Result<Vec<E::Model>, StorageError>
where
    E: EntityTrait,
    E::Model: StoredRecord,
{
    let wanted: BTreeSet<&RecordKey> = interactions.iter().copied().collect();
    let backend = connection.get_database_backend();
    let mut linked = Vec::new();
    for chunk in interactions.chunks(LOOKUP_CHUNK) {
        let rows = E::find()
            .filter(Expr::col(Alias::new("voided")).eq(false))
            .filter(key_filter(
                backend,
                ["interaction_source", "interaction_external_id"],
                chunk,
            ))
            .all(connection)
            .await?;
        for row in rows {
            let link = row
                .contribution()?
                .and_then(|c| c.linked_interaction().cloned());
            if link.as_ref().is_some_and(|key| wanted.contains(key)) {
                linked.push(row);
            }
        }
    }
    Ok(linked)
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
