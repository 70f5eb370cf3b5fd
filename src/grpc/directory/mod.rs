//! `kpi.v1.DirectoryService`: teams and agents. Protobuf <-> domain only;
//! the use cases are `service::directory::Directory`.

mod parse;

pub(crate) use parse::{parse_agent, parse_team, timestamp};

use crate::grpc::reply::reply;
use tonic::{Request, Response, Status};

use super::{
    fields::{optional_request_id, required_request_id},
    log_outcome,
    pagination::{decode_token, page_size, request_fingerprint, trim_page},
    pb,
};
use crate::{
    auth::Caller,
    error::ServiceError,
    service::directory::{Directory, PageRequest},
};
use parse::{agent_to_pb, team_to_pb};

/// The directory service.
#[derive(Clone)]
pub struct DirectoryApi {
    directory: Directory,
}

impl DirectoryApi {
    pub fn new(directory: Directory) -> Self {
        Self { directory }
    }
}

/// A page of `limit` items after the key in `token` (one more is asked
/// for: it tells whether another page exists).
fn page_request(limit: u64, token: &str, fingerprint: &str) -> Result<PageRequest, ServiceError> {
    Ok(PageRequest {
        after: decode_token(token, fingerprint)?,
        limit: limit + 1,
    })
}

impl DirectoryApi {
    async fn upsert_team(
        &self,
        caller: &Caller,
        request: pb::UpsertTeamRequest,
    ) -> Result<pb::UpsertTeamResponse, ServiceError> {
        let upsert = parse_team(request)?;
        let upserted = self.directory.upsert_team(caller, upsert).await?;
        Ok(pb::UpsertTeamResponse {
            team: Some(team_to_pb(upserted.stored)),
            created: upserted.created,
            consistency_token: upserted.consistency_token,
        })
    }

    async fn get_team(
        &self,
        caller: &Caller,
        request: pb::GetTeamRequest,
    ) -> Result<pb::GetTeamResponse, ServiceError> {
        let team_id = required_request_id("team_id", &request.team_id)?;
        let team = self.directory.get_team(caller, team_id).await?;
        Ok(pb::GetTeamResponse {
            team: Some(team_to_pb(team)),
        })
    }

    async fn list_teams(
        &self,
        caller: &Caller,
        request: pb::ListTeamsRequest,
    ) -> Result<pb::ListTeamsResponse, ServiceError> {
        let fingerprint = request_fingerprint(&["teams"]);
        // Checked after access, by the use case.
        let page = page_size(request.page_size)
            .and_then(|limit| page_request(limit, &request.page_token, &fingerprint));
        let limit = page.as_ref().map_or(0, |page| page.limit - 1);
        let mut teams = self.directory.list_teams(caller, page).await?;
        let next_page_token =
            trim_page(&mut teams, limit, &fingerprint, |team| team.team_id.clone());
        Ok(pb::ListTeamsResponse {
            teams: teams.into_iter().map(team_to_pb).collect(),
            next_page_token,
        })
    }

    async fn upsert_agent(
        &self,
        caller: &Caller,
        request: pb::UpsertAgentRequest,
    ) -> Result<pb::UpsertAgentResponse, ServiceError> {
        let upsert = parse_agent(request, self.directory.today())?;
        let upserted = self.directory.upsert_agent(caller, upsert).await?;
        Ok(pb::UpsertAgentResponse {
            agent: Some(agent_to_pb(upserted.stored)),
            created: upserted.created,
            consistency_token: upserted.consistency_token,
        })
    }

    async fn get_agent(
        &self,
        caller: &Caller,
        request: pb::GetAgentRequest,
    ) -> Result<pb::GetAgentResponse, ServiceError> {
        let agent_id = required_request_id("agent_id", &request.agent_id)?;
        let agent = self.directory.get_agent(caller, agent_id).await?;
        Ok(pb::GetAgentResponse {
            agent: Some(agent_to_pb(agent)),
        })
    }

    async fn list_agents(
        &self,
        caller: &Caller,
        request: pb::ListAgentsRequest,
    ) -> Result<pb::ListAgentsResponse, ServiceError> {
        let limit = page_size(request.page_size)?;
        let team_id = optional_request_id("team_id", &request.team_id)?;
        let fingerprint = request_fingerprint(&["agents", team_id.as_deref().unwrap_or("")]);
        // The token is checked after access, by the use case.
        let page = page_request(limit, &request.page_token, &fingerprint);
        let mut agents = self.directory.list_agents(caller, team_id, page).await?;
        let next_page_token = trim_page(&mut agents, limit, &fingerprint, |agent| {
            agent.agent_id.clone()
        });
        Ok(pb::ListAgentsResponse {
            agents: agents.into_iter().map(agent_to_pb).collect(),
            next_page_token,
        })
    }
}

#[tonic::async_trait]
impl pb::directory_service_server::DirectoryService for DirectoryApi {
    async fn upsert_team(
        &self,
        request: Request<pb::UpsertTeamRequest>,
    ) -> Result<Response<pb::UpsertTeamResponse>, Status> {
        log_outcome(
            "UpsertTeam",
            DirectoryApi::upsert_team(self, &Caller::of(&request), request.into_inner()).await,
        )
        .map(reply)
    }

    async fn get_team(
        &self,
        request: Request<pb::GetTeamRequest>,
    ) -> Result<Response<pb::GetTeamResponse>, Status> {
        log_outcome(
            "GetTeam",
            DirectoryApi::get_team(self, &Caller::of(&request), request.into_inner()).await,
        )
        .map(reply)
    }

    async fn list_teams(
        &self,
        request: Request<pb::ListTeamsRequest>,
    ) -> Result<Response<pb::ListTeamsResponse>, Status> {
        log_outcome(
            "ListTeams",
            DirectoryApi::list_teams(self, &Caller::of(&request), request.into_inner()).await,
        )
        .map(reply)
    }

    async fn upsert_agent(
        &self,
        request: Request<pb::UpsertAgentRequest>,
    ) -> Result<Response<pb::UpsertAgentResponse>, Status> {
        log_outcome(
            "UpsertAgent",
            DirectoryApi::upsert_agent(self, &Caller::of(&request), request.into_inner()).await,
        )
        .map(reply)
    }

    async fn get_agent(
        &self,
        request: Request<pb::GetAgentRequest>,
    ) -> Result<Response<pb::GetAgentResponse>, Status> {
        log_outcome(
            "GetAgent",
            DirectoryApi::get_agent(self, &Caller::of(&request), request.into_inner()).await,
        )
        .map(reply)
    }

    async fn list_agents(
        &self,
        request: Request<pb::ListAgentsRequest>,
    ) -> Result<Response<pb::ListAgentsResponse>, Status> {
        log_outcome(
            "ListAgents",
            DirectoryApi::list_agents(self, &Caller::of(&request), request.into_inner()).await,
        )
        .map(reply)
    }
}
