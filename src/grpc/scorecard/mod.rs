//! `kpi.v1.ScorecardService`: protobuf <-> the scorecard use cases
//! (`service::scorecards`). Requests become queries here (`requests`),
//! answers become protobuf in `answers`; this file holds the service trait.

mod answers;
mod requests;

use crate::grpc::reply::reply;
use tonic::{Request, Response, Status};

use super::{kpi_results::definition_to_pb, log_outcome, pb};
use crate::{
    auth::Caller, domain::kpi::KpiId, error::ServiceError, service::scorecards::Scorecards,
};

/// The scorecard service.
#[derive(Clone)]
pub struct ScorecardApi {
    scorecards: Scorecards,
}

impl ScorecardApi {
    pub fn new(scorecards: Scorecards) -> Self {
        Self { scorecards }
    }

    async fn get_agent_scorecard(
        &self,
        caller: &Caller,
        request: pb::GetAgentScorecardRequest,
    ) -> Result<pb::GetAgentScorecardResponse, ServiceError> {
        let query = requests::agent_scorecard(request)?;
        let answer = self.scorecards.agent_scorecard(caller, query).await?;
        answers::agent_scorecard(answer, self.scorecards.zone())
    }

    async fn get_team_scorecard(
        &self,
        caller: &Caller,
        request: pb::GetTeamScorecardRequest,
    ) -> Result<pb::GetTeamScorecardResponse, ServiceError> {
        let query = requests::team_scorecard(request)?;
        let answer = self.scorecards.team_scorecard(caller, query).await?;
        answers::team_scorecard(answer, self.scorecards.zone())
    }

    async fn list_agent_scorecards(
        &self,
        caller: &Caller,
        request: pb::ListAgentScorecardsRequest,
    ) -> Result<pb::ListAgentScorecardsResponse, ServiceError> {
        let query = requests::agent_scorecards(request)?;
        let page = self.scorecards.list_agent_scorecards(caller, query).await?;
        answers::agent_scorecards(page, self.scorecards.zone())
    }

    async fn list_threshold_breaches(
        &self,
        caller: &Caller,
        request: pb::ListThresholdBreachesRequest,
    ) -> Result<pb::ListThresholdBreachesResponse, ServiceError> {
        let query = requests::breaches(request)?;
        let page = self
            .scorecards
            .list_threshold_breaches(caller, query)
            .await?;
        answers::breaches(page)
    }

    async fn get_kpi_trend(
        &self,
        caller: &Caller,
        request: pb::GetKpiTrendRequest,
    ) -> Result<pb::GetKpiTrendResponse, ServiceError> {
        let query = requests::trend(request)?;
        let buckets = self.scorecards.kpi_trend(caller, query).await?;
        Ok(answers::trend(buckets, self.scorecards.zone()))
    }

    async fn list_agent_interactions(
        &self,
        caller: &Caller,
        request: pb::ListAgentInteractionsRequest,
    ) -> Result<pb::ListAgentInteractionsResponse, ServiceError> {
        let query = requests::interactions(request)?;
        let page = self.scorecards.agent_interactions(caller, query).await?;
        Ok(answers::interactions(page))
    }

    async fn list_agent_records(
        &self,
        caller: &Caller,
        request: pb::ListAgentRecordsRequest,
    ) -> Result<pb::ListAgentRecordsResponse, ServiceError> {
        let query = requests::records(request)?;
        let page = self.scorecards.agent_records(caller, query).await?;
        Ok(answers::records(page))
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
        log_outcome("ListKpis", Ok(pb::ListKpisResponse { kpis })).map(reply)
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
        .map(reply)
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
        .map(reply)
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
        .map(reply)
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
        .map(reply)
    }

    async fn get_kpi_trend(
        &self,
        request: Request<pb::GetKpiTrendRequest>,
    ) -> Result<Response<pb::GetKpiTrendResponse>, Status> {
        log_outcome(
            "GetKpiTrend",
            ScorecardApi::get_kpi_trend(self, &Caller::of(&request), request.into_inner()).await,
        )
        .map(reply)
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
        .map(reply)
    }

    async fn list_agent_records(
        &self,
        request: Request<pb::ListAgentRecordsRequest>,
    ) -> Result<Response<pb::ListAgentRecordsResponse>, Status> {
        log_outcome(
            "ListAgentRecords",
            ScorecardApi::list_agent_records(self, &Caller::of(&request), request.into_inner())
                .await,
        )
        .map(reply)
    }
}
