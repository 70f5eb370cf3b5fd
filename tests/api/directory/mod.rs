//! DirectoryService: teams and agents, their listings, and agents'
//! effective-dated team memberships (catalogue: "Conventions: Team", "Team
//! membership"): records count for the team in force at their own time, a
//! back-dated move re-attributes what is stored, a move into a closed month
//! is refused, and an agent's month is judged by the team at its start.
//! The reporting zone is UTC, so local days are UTC days.

use kpi_service::{grpc::pb, storage::entities};
use sea_orm::EntityTrait;

use crate::support::app::TestApp;

mod back_dated_moves;
mod closed_month_moves;
mod hostile_input;
mod judged_by_team;
mod listing;
mod membership_history;
mod teams_and_agents;

/// UpsertTeam of `team_id` named `name`.
pub fn team(team_id: &str, name: &str) -> pb::UpsertTeamRequest {
    pb::UpsertTeamRequest {
        team: Some(pb::Team {
            team_id: team_id.into(),
            display_name: name.into(),
            ..Default::default()
        }),
    }
}

/// UpsertAgent of `agent_id` in `team_id` (empty: no team), from today.
pub fn agent(agent_id: &str, team_id: &str) -> pb::UpsertAgentRequest {
    pb::UpsertAgentRequest {
        agent: Some(pb::Agent {
            agent_id: agent_id.into(),
            team_id: team_id.into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The stored team of each interaction, by external id.
pub async fn interaction_teams(app: &TestApp) -> Vec<(String, Option<String>)> {
    let mut rows: Vec<(String, Option<String>)> = entities::interaction::Entity::find()
        .all(app.database.connection())
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row.external_id, row.team_id))
        .collect();
    rows.sort();
    rows
}

/// `(external id, team)` pairs as [`interaction_teams`] returns them.
pub fn teams(expected: &[(&str, &str)]) -> Vec<(String, Option<String>)> {
    expected
        .iter()
        .map(|(id, team)| ((*id).to_owned(), Some((*team).to_owned())))
        .collect()
}

/// `interaction` with the team its sender names.
pub fn named(mut interaction: pb::Interaction, team_id: &str) -> pb::Interaction {
    interaction.team_id = team_id.into();
    interaction
}
