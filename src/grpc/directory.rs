//! `kpi.v1.DirectoryService`: teams and agents.

use crate::error::ServiceError;
use crate::service::access::{authorize_agent_read, authorize_list, authorize_read};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use tonic::{Request, Response, Status};

use super::{
    fields::{optional_request_id, required_request_id, FieldParser, MAX_ID_LEN, MAX_NAME_LEN},
    log_outcome,
    pagination::{decode_token, page_size, request_fingerprint, trim_page},
    pb,
};
use crate::{
    auth::{Caller, ReadSubject},
    domain::{
        directory::{Agent, AgentUpsert, Team, TeamMembership, TeamUpsert},
        period::local_date,
        violations::Violations,
    },
    storage::Database,
};

const UPSERT_TEAM: &str = "/kpi.v1.DirectoryService/UpsertTeam";
const GET_TEAM: &str = "/kpi.v1.DirectoryService/GetTeam";
const LIST_TEAMS: &str = "/kpi.v1.DirectoryService/ListTeams";
const UPSERT_AGENT: &str = "/kpi.v1.DirectoryService/UpsertAgent";
const GET_AGENT: &str = "/kpi.v1.DirectoryService/GetAgent";
const LIST_AGENTS: &str = "/kpi.v1.DirectoryService/ListAgents";

/// Earliest `team_effective_from` accepted (year, month, day).
const EARLIEST_TEAM_CHANGE: (i32, u32, u32) = (1970, 1, 1);

/// The directory service.
#[derive(Clone)]
pub struct DirectoryApi {
    database: Database,
    /// The reporting zone: team histories are in its days.
    zone: Tz,
}

impl DirectoryApi {
    pub fn new(database: Database, zone: Tz) -> Self {
        Self { database, zone }
    }
}

pub(crate) fn timestamp(instant: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: instant.timestamp(),
        nanos: instant.timestamp_subsec_nanos() as i32,
    }
}

fn team_to_pb(team: Team) -> pb::Team {
    pb::Team {
        team_id: team.team_id,
        display_name: team.display_name,
        create_time: Some(timestamp(team.created_at)),
        update_time: Some(timestamp(team.updated_at)),
    }
}

fn date_to_pb(date: Option<NaiveDate>) -> String {
    date.map(|date| date.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn membership_to_pb(membership: TeamMembership) -> pb::TeamMembership {
    pb::TeamMembership {
        team_id: membership.team_id,
        effective_from: date_to_pb(membership.effective_from),
        effective_to: date_to_pb(membership.effective_to),
    }
}

fn agent_to_pb(agent: Agent) -> pb::Agent {
    pb::Agent {
        agent_id: agent.agent_id,
        display_name: agent.display_name,
        team_id: agent.team_id.unwrap_or_default(),
        create_time: Some(timestamp(agent.created_at)),
        update_time: Some(timestamp(agent.updated_at)),
        memberships: agent
            .memberships
            .into_iter()
            .map(membership_to_pb)
            .collect(),
    }
}

/// `team_effective_from`: empty, or a day from 1970-01-01 to `today`.
fn parse_team_effective_from(
    text: &str,
    today: NaiveDate,
    violations: &mut Violations,
) -> Option<NaiveDate> {
    const FIELD: &str = "team_effective_from";
    if text.is_empty() {
        return None;
    }
    let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") else {
        violations.add(
            FIELD,
            format!("{FIELD} must be a date written YYYY-MM-DD, got {text:?}"),
        );
        return None;
    };
    let (year, month, day) = EARLIEST_TEAM_CHANGE;
    let earliest = NaiveDate::from_ymd_opt(year, month, day).unwrap_or(NaiveDate::MIN);
    if date < earliest {
        violations.add(FIELD, format!("{FIELD} must be {earliest} or later"));
        return None;
    }
    // The current team (`agents.team_id`) is today's: a future change would
    // need something to apply it when its day comes, so it is refused.
    if date > today {
        violations.add(
            FIELD,
            format!("{FIELD} may not be after today ({today}) in the reporting zone"),
        );
        return None;
    }
    Some(date)
}

pub(crate) fn parse_team(request: pb::UpsertTeamRequest) -> Result<TeamUpsert, ServiceError> {
    let mut violations = Violations::new();
    let Some(team) = request.team else {
        return Err(ServiceError::invalid_field("team", "team is required"));
    };
    let mut parser = FieldParser::new("team", &mut violations);
    let upsert = TeamUpsert {
        team_id: parser.required_id("team_id", &team.team_id, MAX_ID_LEN),
        display_name: parser.text("display_name", &team.display_name, MAX_NAME_LEN),
    };
    violations
        .into_result(upsert)
        .map_err(ServiceError::invalid_fields)
}

pub(crate) fn parse_agent(
    request: pb::UpsertAgentRequest,
    today: NaiveDate,
) -> Result<AgentUpsert, ServiceError> {
    let mut violations = Violations::new();
    let Some(agent) = request.agent else {
        return Err(ServiceError::invalid_field("agent", "agent is required"));
    };
    let mut parser = FieldParser::new("agent", &mut violations);
    let agent_id = parser.required_id("agent_id", &agent.agent_id, MAX_ID_LEN);
    let display_name = parser.text("display_name", &agent.display_name, MAX_NAME_LEN);
    let team_id = parser.optional_id("team_id", &agent.team_id, MAX_ID_LEN);
    let team_effective_from =
        parse_team_effective_from(&request.team_effective_from, today, &mut violations);
    let upsert = AgentUpsert {
        agent_id,
        display_name,
        team_id,
        team_effective_from,
    };
    violations
        .into_result(upsert)
        .map_err(ServiceError::invalid_fields)
}

impl DirectoryApi {
    async fn upsert_team(
        &self,
        caller: &Caller,
        request: pb::UpsertTeamRequest,
    ) -> Result<pb::UpsertTeamResponse, ServiceError> {
        let upsert = parse_team(request)?;
        let actor = caller.audit_actor(UPSERT_TEAM);
        let (team, created) = self.database.upsert_team(&upsert, &actor).await?;
        Ok(pb::UpsertTeamResponse {
            team: Some(team_to_pb(team)),
            created,
        })
    }

    async fn get_team(
        &self,
        caller: &Caller,
        request: pb::GetTeamRequest,
    ) -> Result<pb::GetTeamResponse, ServiceError> {
        let team_id = required_request_id("team_id", &request.team_id)?;
        authorize_read(caller, GET_TEAM, ReadSubject::Team(&team_id))?;
        let team =
            crate::storage::directory::get_team(self.database.connection(), &team_id).await?;
        let team = team.ok_or_else(|| ServiceError::team_not_found(team_id))?;
        Ok(pb::GetTeamResponse {
            team: Some(team_to_pb(team)),
        })
    }

    async fn list_teams(
        &self,
        caller: &Caller,
        request: pb::ListTeamsRequest,
    ) -> Result<pb::ListTeamsResponse, ServiceError> {
        authorize_list(caller, LIST_TEAMS, None)?;
        let limit = page_size(request.page_size)?;
        let fingerprint = request_fingerprint(&["teams"]);
        let after = decode_token(&request.page_token, &fingerprint)?;
        // One extra row tells whether another page exists.
        let mut teams = crate::storage::directory::list_teams(
            self.database.connection(),
            after.as_deref(),
            limit + 1,
        )
        .await?;
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
        let today = local_date(Utc::now(), self.zone);
        let upsert = parse_agent(request, today)?;
        let actor = caller.audit_actor(UPSERT_AGENT);
        let (agent, created) = self
            .database
            .upsert_agent(&upsert, &actor, self.zone, today)
            .await?;
        Ok(pb::UpsertAgentResponse {
            agent: Some(agent_to_pb(agent)),
            created,
        })
    }

    async fn get_agent(
        &self,
        caller: &Caller,
        request: pb::GetAgentRequest,
    ) -> Result<pb::GetAgentResponse, ServiceError> {
        let agent_id = required_request_id("agent_id", &request.agent_id)?;
        authorize_agent_read(&self.database, caller, GET_AGENT, &agent_id).await?;
        let agent =
            crate::storage::directory::get_agent(self.database.connection(), &agent_id).await?;
        let agent = agent.ok_or_else(|| ServiceError::agent_not_found(agent_id))?;
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
        authorize_list(caller, LIST_AGENTS, team_id.as_deref())?;
        let fingerprint = request_fingerprint(&["agents", team_id.as_deref().unwrap_or("")]);
        let after = decode_token(&request.page_token, &fingerprint)?;
        if let Some(team_id) = &team_id {
            if crate::storage::directory::get_team(self.database.connection(), team_id)
                .await?
                .is_none()
            {
                return Err(ServiceError::team_not_found(team_id.clone()));
            }
        }
        let mut agents = crate::storage::directory::list_agents(
            self.database.connection(),
            team_id.as_deref(),
            after.as_deref(),
            limit + 1,
        )
        .await?;
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
        .map(Response::new)
    }

    async fn get_team(
        &self,
        request: Request<pb::GetTeamRequest>,
    ) -> Result<Response<pb::GetTeamResponse>, Status> {
        log_outcome(
            "GetTeam",
            DirectoryApi::get_team(self, &Caller::of(&request), request.into_inner()).await,
        )
        .map(Response::new)
    }

    async fn list_teams(
        &self,
        request: Request<pb::ListTeamsRequest>,
    ) -> Result<Response<pb::ListTeamsResponse>, Status> {
        log_outcome(
            "ListTeams",
            DirectoryApi::list_teams(self, &Caller::of(&request), request.into_inner()).await,
        )
        .map(Response::new)
    }

    async fn upsert_agent(
        &self,
        request: Request<pb::UpsertAgentRequest>,
    ) -> Result<Response<pb::UpsertAgentResponse>, Status> {
        log_outcome(
            "UpsertAgent",
            DirectoryApi::upsert_agent(self, &Caller::of(&request), request.into_inner()).await,
        )
        .map(Response::new)
    }

    async fn get_agent(
        &self,
        request: Request<pb::GetAgentRequest>,
    ) -> Result<Response<pb::GetAgentResponse>, Status> {
        log_outcome(
            "GetAgent",
            DirectoryApi::get_agent(self, &Caller::of(&request), request.into_inner()).await,
        )
        .map(Response::new)
    }

    async fn list_agents(
        &self,
        request: Request<pb::ListAgentsRequest>,
    ) -> Result<Response<pb::ListAgentsResponse>, Status> {
        log_outcome(
            "ListAgents",
            DirectoryApi::list_agents(self, &Caller::of(&request), request.into_inner()).await,
        )
        .map(Response::new)
    }
}
