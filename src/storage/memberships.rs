//! Team membership history: effective-dated (agent, team, from, to) rows in
//! the reporting zone's days. A team change rewrites the history from its
//! effective day on (`store_history`), and what was attributed by it
//! (`storage::team_moves`), in the use case's transaction.
//!
//! Concurrency: every ingest batch holds `storage::locks` shared before it
//! reads the memberships, and a team change holds it exclusive before it
//! reads them, so no batch writes a team it read before the change.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::{entities::team_membership, StorageError};
use crate::domain::{
    calendar::LocalDay,
    directory::{MembershipHistory, Span},
};

/// Most agents looked up per query.
const LOOKUP_CHUNK: usize = 500;

/// The histories of `agent_ids` (agents without any membership are absent).
pub async fn load_histories(
    connection: &impl ConnectionTrait,
    agent_ids: &[&str],
) -> Result<HashMap<String, MembershipHistory>, StorageError> {
    let mut histories: HashMap<String, MembershipHistory> = HashMap::new();
    for chunk in agent_ids.chunks(LOOKUP_CHUNK) {
        let rows = team_membership::Entity::find()
            .filter(team_membership::Column::AgentId.is_in(chunk.iter().copied()))
            .order_by_asc(team_membership::Column::AgentId)
            .order_by_asc(team_membership::Column::EffectiveFrom)
            .all(connection)
            .await?;
        collect_rows(&mut histories, rows);
    }
    Ok(histories)
}

/// Every agent's history, in one query (lists over the whole directory).
pub async fn load_all_histories(
    connection: &impl ConnectionTrait,
) -> Result<HashMap<String, MembershipHistory>, StorageError> {
    let rows = team_membership::Entity::find()
        .order_by_asc(team_membership::Column::AgentId)
        .order_by_asc(team_membership::Column::EffectiveFrom)
        .all(connection)
        .await?;
    let mut histories = HashMap::new();
    collect_rows(&mut histories, rows);
    Ok(histories)
}

fn collect_rows(
    histories: &mut HashMap<String, MembershipHistory>,
    rows: Vec<team_membership::Model>,
) {
    for row in rows {
        histories.entry(row.agent_id).or_default().spans.push(Span {
            team_id: row.team_id,
            from_day: LocalDay::from_number(row.effective_from),
            to_day: row.effective_to.map(LocalDay::from_number),
        });
    }
}

/// Replaces an agent's stored history by `history`.
pub async fn store_history(
    connection: &impl ConnectionTrait,
    agent_id: &str,
    history: &MembershipHistory,
) -> Result<(), StorageError> {
    team_membership::Entity::delete_many()
        .filter(team_membership::Column::AgentId.eq(agent_id))
        .exec(connection)
        .await?;
    if history.spans.is_empty() {
        return Ok(());
    }
    let rows = history
        .spans
        .iter()
        .map(|span| team_membership::ActiveModel {
            agent_id: Set(agent_id.to_owned()),
            effective_from: Set(span.from_day.number()),
            effective_to: Set(span.to_day.map(LocalDay::number)),
            team_id: Set(span.team_id.clone()),
        });
    team_membership::Entity::insert_many(rows)
        .exec_without_returning(connection)
        .await?;
    Ok(())
}

/// The team histories of `agent_ids`, or of every agent when `None`.
pub async fn team_histories(
    connection: &impl ConnectionTrait,
    agent_ids: Option<&[&str]>,
) -> Result<HashMap<String, MembershipHistory>, StorageError> {
    match agent_ids {
        Some(ids) => load_histories(connection, ids).await,
        None => load_all_histories(connection).await,
    }
}
