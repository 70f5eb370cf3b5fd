//! The directory of teams and agents: repositories over any connection.
//! The use cases in `service::directory` decide what to write and when
//! (locks, closed months, audit); these functions only read and write rows.

use sea_orm::{
    sea_query::OnConflict, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::{
    entities::{agent, team},
    instant,
    memberships::load_histories,
    StorageError,
};
use crate::domain::directory::{Agent, AgentUpsert, Team, TeamUpsert};

fn team_from_row(row: team::Model) -> Result<Team, StorageError> {
    Ok(Team {
        team_id: row.team_id,
        display_name: row.display_name,
        created_at: instant(row.created_at_us)?,
        updated_at: instant(row.updated_at_us)?,
    })
}

fn agent_from_row(row: agent::Model) -> Result<Agent, StorageError> {
    Ok(Agent {
        agent_id: row.agent_id,
        display_name: row.display_name,
        team_id: row.team_id,
        created_at: instant(row.created_at_us)?,
        updated_at: instant(row.updated_at_us)?,
        memberships: Vec::new(),
    })
}

/// Fills each agent's team history, with one query per lookup chunk.
async fn with_histories(
    connection: &impl ConnectionTrait,
    mut agents: Vec<Agent>,
) -> Result<Vec<Agent>, StorageError> {
    let ids: Vec<&str> = agents.iter().map(|agent| agent.agent_id.as_str()).collect();
    let histories = load_histories(connection, &ids).await?;
    for agent in &mut agents {
        if let Some(history) = histories.get(&agent.agent_id) {
            agent.memberships = history.memberships();
        }
    }
    Ok(agents)
}

/// Creates the team, or renames it; `now_us` stamps the row (its creation
/// too when it is new). Returns the team as stored.
pub async fn upsert_team(
    connection: &impl ConnectionTrait,
    upsert: &TeamUpsert,
    now_us: i64,
) -> Result<Team, StorageError> {
    team::Entity::insert(team::ActiveModel {
        team_id: Set(upsert.team_id.clone()),
        display_name: Set(upsert.display_name.clone()),
        created_at_us: Set(now_us),
        updated_at_us: Set(now_us),
    })
    .on_conflict(
        OnConflict::column(team::Column::TeamId)
            .update_columns([team::Column::DisplayName, team::Column::UpdatedAtUs])
            .to_owned(),
    )
    .exec_without_returning(connection)
    .await?;
    get_team(connection, &upsert.team_id)
        .await?
        .ok_or_else(|| StorageError::Corrupt("team vanished after upsert".into()))
}

/// Creates the agent, or changes its name and current team; `now_us`
/// stamps the row. The team history is the caller's to rewrite
/// (`storage::memberships`).
pub async fn upsert_agent_row(
    connection: &impl ConnectionTrait,
    upsert: &AgentUpsert,
    now_us: i64,
) -> Result<(), StorageError> {
    agent::Entity::insert(agent::ActiveModel {
        agent_id: Set(upsert.agent_id.clone()),
        display_name: Set(upsert.display_name.clone()),
        team_id: Set(upsert.team_id.clone()),
        created_at_us: Set(now_us),
        updated_at_us: Set(now_us),
    })
    .on_conflict(
        OnConflict::column(agent::Column::AgentId)
            .update_columns([
                agent::Column::DisplayName,
                agent::Column::TeamId,
                agent::Column::UpdatedAtUs,
            ])
            .to_owned(),
    )
    .exec_without_returning(connection)
    .await?;
    Ok(())
}

/// One team.
pub async fn get_team(
    connection: &impl ConnectionTrait,
    team_id: &str,
) -> Result<Option<Team>, StorageError> {
    team::Entity::find_by_id(team_id.to_owned())
        .one(connection)
        .await?
        .map(team_from_row)
        .transpose()
}

/// Up to `limit` teams with ids after `after`, by id.
pub async fn list_teams(
    connection: &impl ConnectionTrait,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<Team>, StorageError> {
    let mut query = team::Entity::find().order_by_asc(team::Column::TeamId);
    if let Some(after) = after {
        query = query.filter(team::Column::TeamId.gt(after));
    }
    query
        .limit(limit)
        .all(connection)
        .await?
        .into_iter()
        .map(team_from_row)
        .collect()
}

/// Every agent, by id, optionally only the current members of a team
/// (without their histories: see `storage::memberships::team_histories`).
pub async fn all_agents(
    connection: &impl ConnectionTrait,
    team_id: Option<&str>,
) -> Result<Vec<Agent>, StorageError> {
    let mut query = agent::Entity::find().order_by_asc(agent::Column::AgentId);
    if let Some(team_id) = team_id {
        query = query.filter(agent::Column::TeamId.eq(team_id));
    }
    query
        .all(connection)
        .await?
        .into_iter()
        .map(agent_from_row)
        .collect()
}

/// One agent with its team history.
pub async fn get_agent(
    connection: &impl ConnectionTrait,
    agent_id: &str,
) -> Result<Option<Agent>, StorageError> {
    let Some(agent) = get_agent_row(connection, agent_id).await? else {
        return Ok(None);
    };
    Ok(with_histories(connection, vec![agent]).await?.pop())
}

/// The agent's own row, its `memberships` left empty: for a reader that
/// loads the history side by side (`memberships::load_histories`).
pub async fn get_agent_row(
    connection: &impl ConnectionTrait,
    agent_id: &str,
) -> Result<Option<Agent>, StorageError> {
    agent::Entity::find_by_id(agent_id.to_owned())
        .one(connection)
        .await?
        .map(agent_from_row)
        .transpose()
}

/// Whether the agent is registered: one read of its primary key, for a
/// caller that needs no more of it.
pub async fn agent_exists(
    connection: &impl ConnectionTrait,
    agent_id: &str,
) -> Result<bool, StorageError> {
    let found: Option<String> = agent::Entity::find_by_id(agent_id.to_owned())
        .select_only()
        .column(agent::Column::AgentId)
        .into_tuple()
        .one(connection)
        .await?;
    Ok(found.is_some())
}

/// Up to `limit` agents with ids after `after`, by id, optionally only the
/// current members of one team, with their team histories.
pub async fn list_agents(
    connection: &impl ConnectionTrait,
    team_id: Option<&str>,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<Agent>, StorageError> {
    let mut query = agent::Entity::find().order_by_asc(agent::Column::AgentId);
    if let Some(team_id) = team_id {
        query = query.filter(agent::Column::TeamId.eq(team_id));
    }
    if let Some(after) = after {
        query = query.filter(agent::Column::AgentId.gt(after));
    }
    let agents = query
        .limit(limit)
        .all(connection)
        .await?
        .into_iter()
        .map(agent_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    with_histories(connection, agents).await
}
