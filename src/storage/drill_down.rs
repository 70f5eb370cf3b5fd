//! The interactions behind an agent's numbers, for drill-downs.

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::{entities::interaction, records::interaction_from_row, StorageError};
use crate::domain::records::NewInteraction;

/// An interaction as stored, with the team recorded at ingest.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredInteraction {
    pub record: NewInteraction,
    pub recorded_team_id: Option<String>,
}

fn stored_interaction(
    row: interaction::Model,
) -> Result<(InteractionCursor, StoredInteraction), StorageError> {
    let cursor = InteractionCursor {
        ended_at_us: row.ended_at_us,
        id: row.id,
    };
    let record = interaction_from_row(&row)?;
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

/// Non-void interactions of `agent_id` ending in `[start_us, end_us)`,
/// ordered by (ended_at, id), after `cursor`, at most `limit`.
pub async fn agent_interactions(
    connection: &impl ConnectionTrait,
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
        .all(connection)
        .await?
        .into_iter()
        .map(stored_interaction)
        .collect()
}
