//! The interactions behind an agent's numbers, for drill-downs.

use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use chrono::{DateTime, Utc};

use super::{entities::interaction, Database, StorageError};
use crate::domain::records::{Channel, NewInteraction, RecordKey, RecordMeta};

/// An interaction as stored, with the team recorded at ingest.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredInteraction {
    pub record: NewInteraction,
    pub recorded_team_id: Option<String>,
}

fn instant(micros: i64) -> Result<DateTime<Utc>, StorageError> {
    DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| StorageError::Corrupt(format!("timestamp {micros} out of range")))
}

fn optional_instant(micros: Option<i64>) -> Result<Option<DateTime<Utc>>, StorageError> {
    micros.map(instant).transpose()
}

fn stored_interaction(
    row: interaction::Model,
) -> Result<(InteractionCursor, StoredInteraction), StorageError> {
    let channel = Channel::parse(&row.channel)
        .ok_or_else(|| StorageError::Corrupt(format!("channel {:?}", row.channel)))?;
    let cursor = InteractionCursor {
        ended_at_us: row.ended_at_us,
        id: row.id,
    };
    let record = NewInteraction {
        meta: RecordMeta {
            key: RecordKey {
                source: row.source,
                external_id: row.external_id,
            },
            revision: row.revision,
            voided: row.voided,
        },
        agent_id: row.agent_id,
        // What counts is the recorded team, returned beside the record.
        team_id: None,
        channel,
        queued_at: instant(row.queued_at_us)?,
        first_response_at: optional_instant(row.first_response_at_us)?,
        ended_at: instant(row.ended_at_us)?,
        resolved_at: optional_instant(row.resolved_at_us)?,
        sla_due_at: optional_instant(row.sla_due_at_us)?,
        talk_seconds: row.talk_seconds,
        hold_seconds: row.hold_seconds,
        after_contact_work_seconds: row.after_contact_work_seconds,
        resolved: row.resolved,
        first_contact_resolved: row.first_contact_resolved,
        escalated: row.escalated,
        transferred: row.transferred,
        agent_error: row.agent_error,
        complaint: row.complaint,
    };
    Ok((
        cursor,
        StoredInteraction {
            record,
            recorded_team_id: row.team_id,
        },
    ))
}

/// Where a page of interactions starts: after this (ended_at, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InteractionCursor {
    pub ended_at_us: i64,
    pub id: i64,
}

impl Database {
    /// Non-void interactions of `agent_id` ending in `[start_us, end_us)`,
    /// ordered by (ended_at, id), after `cursor`, at most `limit`.
    pub async fn agent_interactions(
        &self,
        agent_id: &str,
        start_us: i64,
        end_us: i64,
        cursor: Option<InteractionCursor>,
        limit: u64,
    ) -> Result<Vec<(InteractionCursor, StoredInteraction)>, StorageError> {
        let mut query = interaction::Entity::find()
            .filter(interaction::Column::AgentId.eq(agent_id))
            .filter(interaction::Column::Voided.eq(false))
            .filter(interaction::Column::EndedAtUs.gte(start_us))
            .filter(interaction::Column::EndedAtUs.lt(end_us))
            .order_by_asc(interaction::Column::EndedAtUs)
            .order_by_asc(interaction::Column::Id);
        if let Some(cursor) = cursor {
            query = query.filter(
                Condition::any()
                    .add(interaction::Column::EndedAtUs.gt(cursor.ended_at_us))
                    .add(
                        Condition::all()
                            .add(interaction::Column::EndedAtUs.eq(cursor.ended_at_us))
                            .add(interaction::Column::Id.gt(cursor.id)),
                    ),
            );
        }
        query
            .limit(limit)
            .all(self.connection())
            .await?
            .into_iter()
            .map(stored_interaction)
            .collect()
    }
}
