//! The directory side of a batch: teams the sender named must exist, and
//! agents named for the first time are registered (a bounded number).

use std::collections::{BTreeSet, HashMap};

use sea_orm::{sea_query::OnConflict, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::{IngestError, IngestRecord};

/// Most agent ids bound per query.
const AGENT_CHUNK: usize = 500;
use crate::{
    domain::violations::{indexed, nested, FieldViolation},
    storage::{
        entities::{agent, team},
        now_micros, StorageError,
    },
};

pub(super) async fn check_explicit_teams<R: IngestRecord>(
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
pub(super) async fn load_agent_teams<R: IngestRecord>(
    connection: &impl ConnectionTrait,
    records: &[R],
) -> Result<HashMap<String, Option<String>>, StorageError> {
    let named: BTreeSet<&str> = records.iter().filter_map(|r| r.named_agent()).collect();
    let mut teams = HashMap::with_capacity(named.len());
    let named: Vec<&str> = named.into_iter().collect();
    for chunk in named.chunks(AGENT_CHUNK) {
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
pub(super) async fn register_new_agents<R: IngestRecord>(
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
    for chunk in rows.chunks(AGENT_CHUNK) {
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
