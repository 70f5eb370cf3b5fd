//! The use cases behind `IngestService`: one batch of records of one kind,
//! written atomically. The batch owns its transaction: the numbers lock
//! (shared, so that closes and team moves wait for it and it for them),
//! the directory checks, the rows, their rollup deltas and the audit event
//! all commit together or not at all, and a conflict retries the whole.

mod kinds;

pub use kinds::IngestKind;

use std::collections::BTreeSet;

use chrono_tz::Tz;

use crate::{
    auth::{authorize_body, Body, Caller},
    domain::{
        attribution::{team_at_ingest, Record},
        audit::{AuditActor, AuditChange},
        changes::ChangeCause,
        ingest::{new_agents, IngestOutcome, TooManyNewAgents},
        violations::{indexed, nested, FieldViolation},
    },
    error::ServiceError,
    service::{
        changes::{announce, Recorded, Recorder},
        consistency::token_after_write,
    },
    storage::{
        audit, ingest, lock_numbers, memberships::load_histories,
        rollups::maintain::upsert_additive, Database, MaybeConflict, NumbersLock, StorageError,
        WriteTransaction,
    },
};

/// What the ingest use cases need besides the database.
#[derive(Debug, Clone, Copy)]
pub struct IngestSettings {
    /// The reporting zone: records' local days, the rollups' days.
    pub zone: Tz,
    /// Most agents one batch may add to the directory on first sight.
    pub max_new_agents_per_batch: usize,
    /// Record the batch's scorecard changes (`service::changes`).
    pub record_changes: bool,
}

/// What a batch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestReport {
    /// One outcome per record, in request order.
    pub outcomes: Vec<IngestOutcome>,
    /// The agents this batch added to the directory, sorted: each new agent
    /// is named by exactly one batch, the one whose insert added it.
    pub registered_agent_ids: Vec<String>,
    /// What a later read passes to see this batch, wherever it runs (see
    /// `service::consistency`); empty on SQLite.
    pub consistency_token: String,
}

/// The ingest use cases.
#[derive(Clone)]
pub struct Ingest {
    database: Database,
    settings: IngestSettings,
}

/// Why one attempt at a batch ended: a refusal is final, a storage
/// conflict is tried again from the start.
enum AttemptError {
    Refused(ServiceError),
    Storage(StorageError),
}

impl From<StorageError> for AttemptError {
    fn from(error: StorageError) -> Self {
        AttemptError::Storage(error)
    }
}

impl MaybeConflict for AttemptError {
    fn is_conflict(&self) -> bool {
        matches!(self, AttemptError::Storage(error) if error.is_conflict())
    }
}

impl From<AttemptError> for ServiceError {
    fn from(error: AttemptError) -> Self {
        match error {
            AttemptError::Refused(refusal) => refusal,
            AttemptError::Storage(storage) => storage.into(),
        }
    }
}

impl Ingest {
    pub fn new(database: Database, settings: IngestSettings) -> Self {
        Self { database, settings }
    }

    /// Writes a parsed batch of one record kind and reports each record's
    /// outcome. Checks, in order: the caller may write every record's
    /// source; every team a sender named exists; the batch registers at
    /// most the allowed number of new agents. Every refusal is INVALID_ARGUMENT
    /// or PERMISSION_DENIED and writes nothing.
    pub async fn ingest<R: IngestKind>(
        &self,
        caller: &Caller,
        records: &[R],
    ) -> Result<IngestReport, ServiceError> {
        let sources = records
            .iter()
            .map(|record| record.meta().key.source.as_str())
            .collect();
        authorize_body(&caller.principal, R::METHOD_PATH, Body::Sources(sources))?;
        let actor = caller.audit_actor(R::METHOD_PATH);
        let (mut report, recorded) = self
            .database
            .with_retries(|| self.write_batch(records, &actor))
            .await?;
        announce(&self.database, recorded);
        report.consistency_token = token_after_write(&self.database).await;
        tracing::info!(
            kind = R::KIND,
            items = records.len(),
            registered_agents = report.registered_agent_ids.len(),
            "batch committed"
        );
        Ok(report)
    }

    /// One attempt: the whole batch in one transaction.
    async fn write_batch<R: IngestKind>(
        &self,
        records: &[R],
        actor: &AuditActor,
    ) -> Result<(IngestReport, Option<Recorded>), AttemptError> {
        let zone = self.settings.zone;
        let transaction = self.database.begin_write().await?;
        // First, before the memberships are read: a team move or a close
        // waits for this batch, and this batch for one in flight. The clock
        // read under the lock stamps the batch (see `storage::locks`).
        let now_us = lock_numbers(&transaction, NumbersLock::Shared).await?;
        ingest::reuse_generic_plans(&transaction).await?;
        check_named_teams(&transaction, records).await?;

        let named: BTreeSet<&str> = records.iter().filter_map(Record::named_agent).collect();
        let named: Vec<&str> = named.into_iter().collect();
        let existing = ingest::existing_agents(&transaction, &named).await?;
        let new = new_agents(
            records.iter().map(Record::named_agent),
            |agent_id| existing.contains(agent_id),
            self.settings.max_new_agents_per_batch,
        )
        .map_err(|too_many| AttemptError::Refused(too_many_new_agents::<R>(too_many)))?;
        let memberships = load_histories(&transaction, &named).await?;
        let registered_agent_ids = ingest::register_agents(&transaction, &new, now_us).await?;

        let teams = records
            .iter()
            .map(|record| {
                team_at_ingest(
                    record.explicit_team(),
                    record.named_agent(),
                    record.counted_at(),
                    &memberships,
                    zone,
                )
            })
            .collect();
        let written = ingest::write_records(&transaction, records, teams, now_us).await?;
        let change = AuditChange::records_ingested(
            R::KIND,
            records.iter().map(|record| &record.meta().key),
            &written.outcomes,
            &registered_agent_ids,
        );
        audit::append(&transaction, actor, &change).await?;
        let deltas = ingest::rollup_deltas::<R>(&transaction, &written, zone).await?;
        // Last, with recording, the rollup upsert returns what the change
        // recorder compares; it takes the change-ordering lock only after
        // every upsert, for its changes and the commit.
        let recorded = match self.settings.record_changes {
            true => {
                let cause = ChangeCause::Ingest {
                    record_kind: R::KIND.to_owned(),
                };
                Recorder::new(zone)
                    .ingest_batch(&transaction, deltas.into_rows(now_us), &cause, now_us)
                    .await?
            }
            false => {
                upsert_additive(&transaction, deltas.into_rows(now_us)).await?;
                None
            }
        };
        transaction.commit().await?;
        let report = IngestReport {
            outcomes: written.outcomes,
            registered_agent_ids,
            consistency_token: String::new(),
        };
        Ok((report, recorded))
    }
}

/// Every team a sender named must be in the directory; each record naming
/// another is a violation on its `team_id`.
async fn check_named_teams<R: IngestKind>(
    transaction: &WriteTransaction,
    records: &[R],
) -> Result<(), AttemptError> {
    let named: BTreeSet<&str> = records.iter().filter_map(Record::explicit_team).collect();
    if named.is_empty() {
        return Ok(());
    }
    let known = ingest::known_teams(transaction, &named).await?;
    let violations: Vec<FieldViolation> = records
        .iter()
        .enumerate()
        .filter_map(|(index, record)| {
            let team = record.explicit_team()?;
            (!known.contains(team)).then(|| FieldViolation {
                field: nested(&indexed(R::KIND, index), "team_id"),
                description: format!(
                    "team {team:?} is not in the directory; create it with DirectoryService.UpsertTeam first"
                ),
            })
        })
        .collect();
    if violations.is_empty() {
        Ok(())
    } else {
        Err(AttemptError::Refused(ServiceError::invalid_fields(
            violations,
        )))
    }
}

/// The violation of a batch naming too many new agents: on the first
/// record past the limit.
fn too_many_new_agents<R: Record>(too_many: TooManyNewAgents) -> ServiceError {
    let TooManyNewAgents {
        index,
        max_new_agents,
    } = too_many;
    ServiceError::invalid_field(
        nested(&indexed(R::KIND, index), "agent_id"),
        format!(
            "the batch names more than {max_new_agents} agents that are not in the \
             directory; add them with DirectoryService.UpsertAgent first, or send \
             smaller batches"
        ),
    )
}
