//! Interactions for the raw path, the bulk of what it reads (an intraday
//! trend, the partial day of the organisation's peers, a rebuild, `rollups
//! verify`): only the columns that place a call and add it up, read by
//! position. The entity's model would also carry its id, content digest
//! and ingest stamps, each read by name; by name, every NULL column costs
//! the driver layer a formatted message (about a third of the read's CPU
//! on a day of one agent's calls, measured with callgrind).

use sea_orm::{
    ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryResult, QuerySelect,
};

use super::{FactSink, RawRange};
use crate::storage::{
    entities::interaction::{self, Column},
    records::StoredRow,
    StorageError,
};

/// The columns read, in the order [`CountedRow`] takes them.
const COLUMNS: [Column; 21] = [
    Column::Source,
    Column::ExternalId,
    Column::Revision,
    Column::AgentId,
    Column::TeamId,
    Column::Channel,
    Column::QueuedAtUs,
    Column::FirstResponseAtUs,
    Column::EndedAtUs,
    Column::ResolvedAtUs,
    Column::SlaDueAtUs,
    Column::TalkSeconds,
    Column::HoldSeconds,
    Column::AfterContactWorkSeconds,
    Column::Resolved,
    Column::FirstContactResolved,
    Column::Escalated,
    Column::Transferred,
    Column::AgentError,
    Column::Complaint,
    Column::UpdatedAtUs,
];

/// A counted (not void) interaction read as [`COLUMNS`], by position, into
/// the entity's model, so that it becomes a record through the same
/// constructor as a whole row (`StoredRow::contribution`). The columns not
/// read stay empty (id 0, no digest, no ingest stamp): this model never
/// leaves this module.
struct CountedRow(interaction::Model);

impl FromQueryResult for CountedRow {
    fn from_query_result(row: &QueryResult, _prefix: &str) -> Result<Self, DbErr> {
        Ok(Self(interaction::Model {
            id: 0,
            source: row.try_get_by_index(0)?,
            external_id: row.try_get_by_index(1)?,
            revision: row.try_get_by_index(2)?,
            voided: false,
            content_hash: String::new(),
            ingested_at_us: 0,
            agent_id: row.try_get_by_index(3)?,
            team_id: row.try_get_by_index(4)?,
            channel: row.try_get_by_index(5)?,
            queued_at_us: row.try_get_by_index(6)?,
            first_response_at_us: row.try_get_by_index(7)?,
            ended_at_us: row.try_get_by_index(8)?,
            resolved_at_us: row.try_get_by_index(9)?,
            sla_due_at_us: row.try_get_by_index(10)?,
            talk_seconds: row.try_get_by_index(11)?,
            hold_seconds: row.try_get_by_index(12)?,
            after_contact_work_seconds: row.try_get_by_index(13)?,
            resolved: row.try_get_by_index(14)?,
            first_contact_resolved: row.try_get_by_index(15)?,
            escalated: row.try_get_by_index(16)?,
            transferred: row.try_get_by_index(17)?,
            agent_error: row.try_get_by_index(18)?,
            complaint: row.try_get_by_index(19)?,
            updated_at_us: row.try_get_by_index(20)?,
            team_named: false,
        }))
    }
}

/// The counted interactions ending in `range`, each
/// added where it counts on its own.
pub(super) async fn add_interactions(
    connection: &impl ConnectionTrait,
    facts: &mut impl FactSink,
    range: RawRange<'_>,
) -> Result<(), StorageError> {
    let rows = interaction::Entity::find()
        .select_only()
        .columns(COLUMNS)
        .filter(range.own_rows(
            Column::Voided,
            Column::EndedAtUs,
            Column::AgentId,
            Column::TeamId,
        ))
        .into_model::<CountedRow>()
        .all(connection)
        .await?;
    for CountedRow(row) in rows {
        if let Some(contribution) = row.contribution()? {
            let placed = contribution.placed_by(|_| None, range.zone);
            facts.add(placed, &contribution.sums, row.updated_at_us);
        }
    }
    Ok(())
}
