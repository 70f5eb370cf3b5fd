//! `kpi.v1.ScorecardService`: one agent's or team's scorecard and the
//! trait implementation here; listings, trends and drill-downs in their own
//! files.

mod cursor;
mod drill_down;
mod lists;
mod snapshot;
mod trend;

use crate::error::ServiceError;
use crate::service::access::{authorize_agent_read, authorize_read, authorize_read_of_agent};
use tonic::{Request, Response, Status};

use super::{
    fields::required_request_id,
    kpi_results::{definition_to_pb, scorecard_to_pb},
    log_outcome, pb,
    period::resolve_period,
};
use crate::{
    auth::{Caller, ReadSubject},
    domain::{
        directory::Agent,
        kpi::KpiId,
        period::Period,
        violations::{indexed, Violations},
    },
    scorecard::{Scorecard, ScorecardEngine},
};

const GET_AGENT_SCORECARD: &str = "/kpi.v1.ScorecardService/GetAgentScorecard";
const GET_TEAM_SCORECARD: &str = "/kpi.v1.ScorecardService/GetTeamScorecard";
const LIST_AGENT_SCORECARDS: &str = "/kpi.v1.ScorecardService/ListAgentScorecards";
const LIST_THRESHOLD_BREACHES: &str = "/kpi.v1.ScorecardService/ListThresholdBreaches";
const GET_KPI_TREND: &str = "/kpi.v1.ScorecardService/GetKpiTrend";
const LIST_AGENT_INTERACTIONS: &str = "/kpi.v1.ScorecardService/ListAgentInteractions";

const DEFAULT_SCORECARD_PAGE: u64 = 50;
const MAX_SCORECARD_PAGE: u64 = 500;

/// The scorecard service.
#[derive(Clone)]
pub struct ScorecardApi {
    engine: ScorecardEngine,
}

impl ScorecardApi {
    pub fn new(engine: ScorecardEngine) -> Self {
        Self { engine }
    }
}

/// Parses KPI ids, reporting each unknown one at `kpi_ids[i]`. At most
/// one entry per catalogue KPI.
fn parse_kpi_ids(ids: &[String]) -> Result<Vec<KpiId>, ServiceError> {
    if ids.len() > KpiId::ALL.len() {
        return Err(ServiceError::invalid_field(
            "kpi_ids",
            format!("at most {} KPI ids are allowed", KpiId::ALL.len()),
        ));
    }
    let mut violations = Violations::new();
    let mut kpis = Vec::with_capacity(ids.len());
    for (index, id) in ids.iter().enumerate() {
        match id.parse::<KpiId>() {
            Ok(kpi) => kpis.push(kpi),
            Err(error) => violations.add(indexed("kpi_ids", index), error.to_string()),
        }
    }
    violations
        .into_result(kpis)
        .map_err(ServiceError::invalid_fields)
}

fn period_key(period: &Period) -> String {
    format!(
        "{}..{}",
        period.start.timestamp_micros(),
        period.end.timestamp_micros()
    )
}

pub(crate) fn agent_scorecard_to_pb(
    agent: &Agent,
    scorecard: &Scorecard,
    engine: &ScorecardEngine,
) -> pb::AgentScorecard {
    pb::AgentScorecard {
        agent_id: agent.agent_id.clone(),
        team_id: scorecard.team_id.clone().unwrap_or_default(),
        scorecard: Some(scorecard_to_pb(scorecard, engine.zone())),
    }
}

impl ScorecardApi {
    async fn agent(&self, agent_id: &str) -> Result<Agent, ServiceError> {
        crate::storage::directory::get_agent(self.engine.database().connection(), agent_id)
            .await?
            .ok_or_else(|| ServiceError::agent_not_found(agent_id))
    }

    async fn ensure_team(&self, team_id: &str) -> Result<(), ServiceError> {
        match crate::storage::directory::get_team(self.engine.database().connection(), team_id)
            .await?
        {
            Some(_) => Ok(()),
            None => Err(ServiceError::team_not_found(team_id)),
        }
    }

    /// The agents a list is about, and whether that is the whole directory.
    async fn agents_in_scope(
        &self,
        team_id: Option<&str>,
    ) -> Result<(Vec<Agent>, bool), ServiceError> {
        if let Some(team_id) = team_id {
            self.ensure_team(team_id).await?;
        }
        let agents =
            crate::storage::directory::all_agents(self.engine.database().connection(), team_id)
                .await?;
        Ok((agents, team_id.is_none()))
    }

    /// May the caller read `agent_id`'s numbers?
    async fn authorize_agent(
        &self,
        caller: &Caller,
        method: &str,
        agent_id: &str,
    ) -> Result<(), ServiceError> {
        authorize_agent_read(self.engine.database(), caller, method, agent_id).await
    }

    async fn get_agent_scorecard(
        &self,
        caller: &Caller,
        request: pb::GetAgentScorecardRequest,
    ) -> Result<pb::GetAgentScorecardResponse, ServiceError> {
        let agent_id = required_request_id("agent_id", &request.agent_id)?;
        // The agent and the month's closing are independent look-ups: one
        // round trip's wait instead of two on PostgreSQL. Their answers
        // are judged in the usual order (access, period, existence,
        // snapshot).
        let (agent, snapshot) = self
            .engine
            .database()
            .join_reads(
                crate::storage::directory::get_agent(
                    self.engine.database().connection(),
                    &agent_id,
                ),
                self.snapshot_for(
                    request.period.as_ref(),
                    request.live,
                    request.snapshot_version,
                ),
            )
            .await;
        let agent = agent?;
        authorize_read_of_agent(caller, GET_AGENT_SCORECARD, agent.as_ref())?;
        let period = resolve_period("period", request.period.as_ref(), self.engine.zone())?;
        let agent = agent.ok_or_else(|| ServiceError::agent_not_found(&agent_id))?;
        let snapshot = snapshot?;
        if let Some(snapshot) = &snapshot {
            if let Some(stored) = self.snapshot_agent(snapshot, &agent_id).await? {
                return Ok(stored);
            }
        }
        let scorecard = self.engine.agent_scorecard(&agent, &period).await?;
        Ok(pb::GetAgentScorecardResponse {
            agent_id: agent.agent_id,
            team_id: scorecard.team_id.clone().unwrap_or_default(),
            scorecard: Some(scorecard_to_pb(&scorecard, self.engine.zone())),
        })
    }

    async fn get_team_scorecard(
        &self,
        caller: &Caller,
        request: pb::GetTeamScorecardRequest,
    ) -> Result<pb::GetTeamScorecardResponse, ServiceError> {
        let team_id = required_request_id("team_id", &request.team_id)?;
        authorize_read(caller, GET_TEAM_SCORECARD, ReadSubject::Team(&team_id))?;
        let period = resolve_period("period", request.period.as_ref(), self.engine.zone())?;
        self.ensure_team(&team_id).await?;
        let snapshot = self
            .snapshot_for(
                request.period.as_ref(),
                request.live,
                request.snapshot_version,
            )
            .await?;
        if let Some(snapshot) = &snapshot {
            if let Some(stored) = self.snapshot_team(snapshot, &team_id).await? {
                return Ok(stored);
            }
        }
        let (scorecard, members) = self.engine.team_scorecard(&team_id, &period).await?;
        Ok(pb::GetTeamScorecardResponse {
            team_id,
            scorecard: Some(scorecard_to_pb(&scorecard, self.engine.zone())),
            member_agent_ids: members,
        })
    }
}

#[tonic::async_trait]
impl pb::scorecard_service_server::ScorecardService for ScorecardApi {
    async fn list_kpis(
        &self,
        _request: Request<pb::ListKpisRequest>,
    ) -> Result<Response<pb::ListKpisResponse>, Status> {
        let kpis = KpiId::ALL
            .iter()
            .map(|kpi| definition_to_pb(kpi.definition()))
            .collect();
        log_outcome("ListKpis", Ok(pb::ListKpisResponse { kpis })).map(Response::new)
    }

    async fn get_agent_scorecard(
        &self,
        request: Request<pb::GetAgentScorecardRequest>,
    ) -> Result<Response<pb::GetAgentScorecardResponse>, Status> {
        log_outcome(
            "GetAgentScorecard",
            ScorecardApi::get_agent_scorecard(self, &Caller::of(&request), request.into_inner())
                .await,
        )
        .map(Response::new)
    }

    async fn get_team_scorecard(
        &self,
        request: Request<pb::GetTeamScorecardRequest>,
    ) -> Result<Response<pb::GetTeamScorecardResponse>, Status> {
        log_outcome(
            "GetTeamScorecard",
            ScorecardApi::get_team_scorecard(self, &Caller::of(&request), request.into_inner())
                .await,
        )
        .map(Response::new)
    }

    async fn list_agent_scorecards(
        &self,
        request: Request<pb::ListAgentScorecardsRequest>,
    ) -> Result<Response<pb::ListAgentScorecardsResponse>, Status> {
        log_outcome(
            "ListAgentScorecards",
            ScorecardApi::list_agent_scorecards(self, &Caller::of(&request), request.into_inner())
                .await,
        )
        .map(Response::new)
    }

    async fn list_threshold_breaches(
        &self,
        request: Request<pb::ListThresholdBreachesRequest>,
    ) -> Result<Response<pb::ListThresholdBreachesResponse>, Status> {
        log_outcome(
            "ListThresholdBreaches",
            ScorecardApi::list_threshold_breaches(
                self,
                &Caller::of(&request),
                request.into_inner(),
            )
            .await,
        )
        .map(Response::new)
    }

    async fn get_kpi_trend(
        &self,
        request: Request<pb::GetKpiTrendRequest>,
    ) -> Result<Response<pb::GetKpiTrendResponse>, Status> {
        log_outcome(
            "GetKpiTrend",
            ScorecardApi::get_kpi_trend(self, &Caller::of(&request), request.into_inner()).await,
        )
        .map(Response::new)
    }

    async fn list_agent_interactions(
        &self,
        request: Request<pb::ListAgentInteractionsRequest>,
    ) -> Result<Response<pb::ListAgentInteractionsResponse>, Status> {
        log_outcome(
            "ListAgentInteractions",
            ScorecardApi::list_agent_interactions(
                self,
                &Caller::of(&request),
                request.into_inner(),
            )
            .await,
        )
        .map(Response::new)
    }
}
