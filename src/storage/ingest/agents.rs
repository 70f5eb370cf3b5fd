//! The directory side of a batch: which named teams exist, which named
//! agents exist, and registering the agents seen for the first time.

use std::collections::{BTreeSet, HashSet};

use sea_orm::{
    sea_query::{OnConflict, Query},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Set,
};

use crate::storage::{
    entities::{agent, team},
    StorageError,
};

/// Most ids bound per query.
const ID_CHUNK: usize = 500;

/// Which of `team_ids` are in the directory.
pub async fn known_teams(
    connection: &impl ConnectionTrait,
    team_ids: &BTreeSet<&str>,
) -> Result<HashSet<String>, StorageError> {
    let mut known = HashSet::with_capacity(team_ids.len());
    let team_ids: Vec<&str> = team_ids.iter().copied().collect();
    for chunk in team_ids.chunks(ID_CHUNK) {
        let found: Vec<String> = team::Entity::find()
            .select_only()
            .column(team::Column::TeamId)
            .filter(team::Column::TeamId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(connection)
            .await?;
        known.extend(found);
    }
    Ok(known)
}

/// Which of `agent_ids` are in the directory.
pub async fn existing_agents(
    connection: &impl ConnectionTrait,
    agent_ids: &[&str],
) -> Result<HashSet<String>, StorageError> {
    let mut existing = HashSet::with_capacity(agent_ids.len());
    for chunk in agent_ids.chunks(ID_CHUNK) {
        let found: Vec<String> = agent::Entity::find()
            .select_only()
            .column(agent::Column::AgentId)
            .filter(agent::Column::AgentId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(connection)
            .await?;
        existing.extend(found);
    }
    Ok(existing)
}

/// Adds `agent_ids` to the directory without a team, stamped `now_us`, and
/// answers the ones this statement actually inserted, sorted: an agent a
/// concurrent batch registered first is the other batch's (`INSERT .. ON
/// CONFLICT DO NOTHING RETURNING agent_id`; on PostgreSQL a racing insert
/// of the same id waits for the first to commit, then inserts nothing).
/// Rows go in id order, so two batches never wait on each other in a cycle.
pub async fn register_agents(
    connection: &impl ConnectionTrait,
    agent_ids: &BTreeSet<&str>,
    now_us: i64,
) -> Result<Vec<String>, StorageError> {
    let backend = connection.get_database_backend();
    let agent_ids: Vec<&str> = agent_ids.iter().copied().collect();
    let mut registered = Vec::new();
    for chunk in agent_ids.chunks(ID_CHUNK) {
        let rows = chunk.iter().map(|agent_id| agent::ActiveModel {
            agent_id: Set((*agent_id).to_owned()),
            display_name: Set(String::new()),
            team_id: Set(None),
            created_at_us: Set(now_us),
            updated_at_us: Set(now_us),
        });
        let mut insert = agent::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(agent::Column::AgentId)
                    .do_nothing()
                    .to_owned(),
            )
            .into_query();
        insert.returning(Query::returning().column(agent::Column::AgentId));
        for row in connection.query_all(backend.build(&insert)).await? {
            registered.push(row.try_get::<String>("", "agent_id")?);
        }
    }
    registered.sort_unstable();
    Ok(registered)
}
