//! The directory of teams and agents.

use chrono::NaiveDate;
use chrono_tz::Tz;
use sea_orm::{
    sea_query::OnConflict, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::{
    audit,
    entities::{agent, team},
    instant, lock_numbers,
    memberships::{load_histories, reattribute_from, store_history},
    now_micros,
    periods::{closed_through, first_closed_month_ending_after},
    Database, NumbersLock, StorageError, WriteWork,
};
use crate::{
    domain::audit::{AuditActor, AuditChange},
    domain::calendar::LocalDay,
    domain::directory::{Agent, AgentUpsert, MembershipHistory, Team, TeamUpsert},
};

/// Why an agent could not be stored.
#[derive(Debug, thiserror::Error)]
pub enum AgentUpsertError {
    #[error("team {0:?} is not in the directory")]
    UnknownTeam(String),
    /// The team change would take effect inside a closed month.
    #[error("the team change from {effective_from} falls in the closed month {month}")]
    PeriodClosed {
        month: String,
        effective_from: NaiveDate,
    },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

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

struct UpsertTeam<'a> {
    upsert: &'a TeamUpsert,
    actor: &'a AuditActor,
}

impl WriteWork for UpsertTeam<'_> {
    type Output = (Team, bool);
    type Error = StorageError;

    async fn run(&self, connection: &DatabaseTransaction) -> Result<(Team, bool), StorageError> {
        let upsert = self.upsert;
        let previous = find_team(connection, &upsert.team_id).await?;
        let now_us = now_micros();
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
        let stored = find_team(connection, &upsert.team_id)
            .await?
            .ok_or_else(|| StorageError::Corrupt("team vanished after upsert".into()))?;
        let change = AuditChange::TeamUpserted {
            team_id: stored.team_id.clone(),
            created: previous.is_none(),
            previous_display_name: previous.as_ref().map(|team| team.display_name.clone()),
            display_name: stored.display_name.clone(),
        };
        audit::append(connection, self.actor, &change).await?;
        Ok((stored, previous.is_none()))
    }

    fn is_retryable(&self, error: &StorageError) -> bool {
        matches!(error, StorageError::Conflict(_))
    }
}

struct UpsertAgent<'a> {
    upsert: &'a AgentUpsert,
    actor: &'a AuditActor,
    zone: Tz,
    today: NaiveDate,
}

impl UpsertAgent<'_> {
    /// The day a team change takes effect: the one asked for; else, for an
    /// agent's first team, the first open day (since before any record when
    /// no month is closed), so the records already stored for the agent
    /// count for it; else today.
    async fn effective_day(
        &self,
        connection: &impl ConnectionTrait,
        history: &MembershipHistory,
    ) -> Result<LocalDay, StorageError> {
        if let Some(date) = self.upsert.team_effective_from {
            return Ok(LocalDay::of_date(date));
        }
        if !history.spans.is_empty() {
            return Ok(LocalDay::of_date(self.today));
        }
        Ok(closed_through(connection)
            .await?
            .unwrap_or(LocalDay::OPEN_START))
    }

    /// Rewrites the agent's history (and what was attributed by it) when
    /// the upsert changes it; returns the change's effective day then.
    async fn apply_team_change(
        &self,
        connection: &DatabaseTransaction,
    ) -> Result<Option<LocalDay>, AgentUpsertError> {
        let agent_id = self.upsert.agent_id.as_str();
        let team = self.upsert.team_id.as_deref();
        let history = load_histories(connection, &[agent_id])
            .await?
            .remove(agent_id)
            .unwrap_or_default();
        let from_day = self.effective_day(connection, &history).await?;
        let changed = history.with_change(team, from_day);
        if changed == history {
            return Ok(None);
        }
        if let Some(open_from) = closed_through(connection).await? {
            if from_day < open_from {
                let month = first_closed_month_ending_after(connection, from_day)
                    .await?
                    .unwrap_or_else(|| open_from.date().format("%Y-%m").to_string());
                return Err(AgentUpsertError::PeriodClosed {
                    month,
                    effective_from: from_day.date(),
                });
            }
        }
        store_history(connection, agent_id, &changed).await?;
        reattribute_from(connection, agent_id, team, from_day, self.zone).await?;
        Ok(Some(from_day))
    }
}

impl WriteWork for UpsertAgent<'_> {
    type Output = (Agent, bool);
    type Error = AgentUpsertError;

    async fn run(
        &self,
        connection: &DatabaseTransaction,
    ) -> Result<(Agent, bool), AgentUpsertError> {
        let upsert = self.upsert;
        if let Some(team_id) = &upsert.team_id {
            if find_team(connection, team_id).await?.is_none() {
                return Err(AgentUpsertError::UnknownTeam(team_id.clone()));
            }
        }
        // Before anything is read: no ingest batch may attribute by the
        // history this change rewrites (see storage::memberships).
        lock_numbers(connection, NumbersLock::Exclusive).await?;
        let previous = find_agent(connection, &upsert.agent_id).await?;
        let now_us = now_micros();
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
        .await
        .map_err(StorageError::from)?;
        let effective_day = self.apply_team_change(connection).await?;
        let stored = find_agent(connection, &upsert.agent_id)
            .await?
            .ok_or_else(|| StorageError::Corrupt("agent vanished after upsert".into()))?;
        let stored = with_histories(connection, vec![stored])
            .await?
            .pop()
            .ok_or_else(|| StorageError::Corrupt("agent vanished after upsert".into()))?;
        let change = AuditChange::AgentUpserted {
            agent_id: stored.agent_id.clone(),
            created: previous.is_none(),
            previous_team_id: previous.as_ref().and_then(|agent| agent.team_id.clone()),
            team_id: stored.team_id.clone(),
            previous_display_name: previous.as_ref().map(|agent| agent.display_name.clone()),
            display_name: stored.display_name.clone(),
            team_effective_from: effective_day
                .filter(|day| *day != LocalDay::OPEN_START)
                .map(|day| day.to_string()),
        };
        audit::append(connection, self.actor, &change).await?;
        Ok((stored, previous.is_none()))
    }

    fn is_retryable(&self, error: &AgentUpsertError) -> bool {
        matches!(error, AgentUpsertError::Storage(StorageError::Conflict(_)))
    }
}

impl Database {
    /// Creates or renames a team, with its audit event in the same
    /// transaction; returns it and whether it was new.
    pub async fn upsert_team(
        &self,
        upsert: &TeamUpsert,
        actor: &AuditActor,
    ) -> Result<(Team, bool), StorageError> {
        self.write(UpsertTeam { upsert, actor }).await
    }

    /// Creates or changes an agent, with its audit event in the same
    /// transaction; returns it (with its team history) and whether it was
    /// new. A team change rewrites the history from its effective day (see
    /// `storage::memberships`); one effective inside a closed month is
    /// refused, and the refusal is audited on its own.
    pub async fn upsert_agent(
        &self,
        upsert: &AgentUpsert,
        actor: &AuditActor,
        zone: Tz,
        today: NaiveDate,
    ) -> Result<(Agent, bool), AgentUpsertError> {
        let outcome = self
            .write(UpsertAgent {
                upsert,
                actor,
                zone,
                today,
            })
            .await;
        if let Err(AgentUpsertError::PeriodClosed {
            month,
            effective_from,
        }) = &outcome
        {
            let refusal = AuditChange::ChangeRefused {
                what: "team_move".to_owned(),
                subject: upsert.agent_id.clone(),
                effective_from: effective_from.to_string(),
                closed_month: month.clone(),
            };
            super::audit::append_alone(self, actor, &refusal).await?;
        }
        outcome
    }
}

async fn find_team(
    connection: &impl ConnectionTrait,
    team_id: &str,
) -> Result<Option<Team>, StorageError> {
    team::Entity::find_by_id(team_id.to_owned())
        .one(connection)
        .await?
        .map(team_from_row)
        .transpose()
}

async fn find_agent(
    connection: &impl ConnectionTrait,
    agent_id: &str,
) -> Result<Option<Agent>, StorageError> {
    agent::Entity::find_by_id(agent_id.to_owned())
        .one(connection)
        .await?
        .map(agent_from_row)
        .transpose()
}

pub async fn get_team(
    connection: &impl ConnectionTrait,
    team_id: &str,
) -> Result<Option<Team>, StorageError> {
    find_team(connection, team_id).await
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

/// Every agent, by id, optionally only the current members of a team.
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
    let Some(agent) = find_agent(connection, agent_id).await? else {
        return Ok(None);
    };
    Ok(with_histories(connection, vec![agent]).await?.pop())
}

/// Up to `limit` agents with ids after `after`, by id, optionally of one
/// team, with their team histories.
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
