//! Agent goals: inserted, never updated; repositories over any connection.
//! Goals are read afresh on every scorecard (one indexed query per call):
//! no cache, so a close reads exactly the goals committed before it.

use std::{collections::HashMap, str::FromStr};

use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::{
    entities::agent_goal,
    graded_json::{overrides_from_json, overrides_to_json},
    instant, StorageError,
};
use crate::domain::{
    kpi::KpiId,
    policy::{AgentGoal, NewAgentGoal},
};

fn from_row(row: agent_goal::Model) -> Result<AgentGoal, StorageError> {
    Ok(AgentGoal {
        id: row.id,
        kpi: KpiId::from_str(&row.kpi_id)
            .map_err(|_| StorageError::Corrupt("agent goal: unknown kpi".into()))?,
        effective_from: row.effective_from,
        overrides: overrides_from_json(&row.overrides)?,
        created_at: instant(row.created_at_us)?,
        created_by: row.created_by,
        agent_id: row.agent_id,
    })
}

/// Stores a goal stamped `created_at_us` and returns it.
pub async fn insert_goal(
    connection: &impl ConnectionTrait,
    new: &NewAgentGoal,
    created_at_us: i64,
) -> Result<AgentGoal, StorageError> {
    let result = agent_goal::Entity::insert(agent_goal::ActiveModel {
        id: sea_orm::ActiveValue::NotSet,
        agent_id: Set(new.agent_id.clone()),
        kpi_id: Set(new.kpi.as_str().to_owned()),
        effective_from: Set(new.effective_from),
        overrides: Set(overrides_to_json(&new.overrides)),
        created_at_us: Set(created_at_us),
        created_by: Set(new.created_by.chars().take(256).collect()),
    })
    .exec(connection)
    .await?;
    get_goal(connection, result.last_insert_id)
        .await?
        .ok_or_else(|| StorageError::Corrupt("agent goal vanished after insert".into()))
}

/// One goal.
pub async fn get_goal(
    connection: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<AgentGoal>, StorageError> {
    agent_goal::Entity::find_by_id(id)
        .one(connection)
        .await?
        .map(from_row)
        .transpose()
}

/// One agent's goals, newest id first, ids below `before` if given.
pub async fn list_goals(
    connection: &impl ConnectionTrait,
    agent_id: &str,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<AgentGoal>, StorageError> {
    let mut query = agent_goal::Entity::find()
        .filter(agent_goal::Column::AgentId.eq(agent_id))
        .order_by_desc(agent_goal::Column::Id);
    if let Some(before) = before {
        query = query.filter(agent_goal::Column::Id.lt(before));
    }
    query
        .limit(limit)
        .all(connection)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

/// Every goal effective on or before `day`, by agent, of `agents` (all
/// agents when `None`); `domain::policy::goals_in_force` picks the one in
/// force per KPI.
pub async fn goals_effective_by(
    connection: &impl ConnectionTrait,
    agents: Option<&[String]>,
    day: NaiveDate,
) -> Result<HashMap<String, Vec<AgentGoal>>, StorageError> {
    let mut query = agent_goal::Entity::find()
        .filter(agent_goal::Column::EffectiveFrom.lte(day))
        .order_by_asc(agent_goal::Column::Id);
    if let Some(agents) = agents {
        query = query.filter(agent_goal::Column::AgentId.is_in(agents.iter().cloned()));
    }
    let mut by_agent: HashMap<String, Vec<AgentGoal>> = HashMap::new();
    for row in query.all(connection).await? {
        let goal = from_row(row)?;
        by_agent
            .entry(goal.agent_id.clone())
            .or_default()
            .push(goal);
    }
    Ok(by_agent)
}
