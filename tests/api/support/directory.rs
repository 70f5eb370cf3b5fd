//! Directory calls that must succeed.

use kpi_service::grpc::pb;

use super::app::TestApp;

pub async fn add_team(app: &TestApp, team_id: &str) {
    app.directory()
        .upsert_team(pb::UpsertTeamRequest {
            team: Some(pb::Team {
                team_id: team_id.into(),
                ..Default::default()
            }),
        })
        .await
        .expect("upserting a team failed");
}

/// Moves an agent to `team_id` (empty = no team) from the local day
/// `effective_from` ("YYYY-MM-DD") on.
pub async fn move_agent(app: &TestApp, agent_id: &str, team_id: &str, effective_from: &str) {
    app.directory()
        .upsert_agent(pb::UpsertAgentRequest {
            agent: Some(pb::Agent {
                agent_id: agent_id.into(),
                team_id: team_id.into(),
                ..Default::default()
            }),
            team_effective_from: effective_from.into(),
        })
        .await
        .unwrap_or_else(|status| panic!("moving {agent_id} to {team_id:?} failed: {status:?}"));
}

/// Creates or moves an agent; `team_id` empty = no team.
pub async fn put_agent(app: &TestApp, agent_id: &str, team_id: &str) {
    app.directory()
        .upsert_agent(pb::UpsertAgentRequest {
            agent: Some(pb::Agent {
                agent_id: agent_id.into(),
                team_id: team_id.into(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .expect("upserting an agent failed");
}

/// GetAgent, which must succeed.
pub async fn get_agent(app: &TestApp, agent_id: &str) -> pb::Agent {
    app.directory()
        .get_agent(pb::GetAgentRequest {
            agent_id: agent_id.into(),
        })
        .await
        .unwrap_or_else(|status| panic!("GetAgent({agent_id}) failed: {status:?}"))
        .into_inner()
        .agent
        .expect("no agent in the response")
}

/// A membership as GetAgent lists it (an empty day = open-ended).
pub fn membership(team_id: &str, from: &str, to: &str) -> pb::TeamMembership {
    pb::TeamMembership {
        team_id: team_id.into(),
        effective_from: from.into(),
        effective_to: to.into(),
    }
}
