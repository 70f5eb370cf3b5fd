//! `GetKpiTrend`: chosen KPIs bucketed by day, week or month.

use super::{parse_kpi_ids, ScorecardApi, GET_KPI_TREND};
use crate::error::ServiceError;
use crate::service::access::authorize_read;
use crate::{
    auth::{Caller, ReadSubject},
    domain::{
        kpi::KpiId,
        period::{buckets, Granularity},
    },
    grpc::{
        fields::required_request_id,
        kpi_results::kpi_result,
        pb,
        period::{period_to_pb, resolve_period, MAX_PERIOD_DAYS},
    },
    storage::facts::FactScope,
};

impl ScorecardApi {
    pub(super) async fn get_kpi_trend(
        &self,
        caller: &Caller,
        request: pb::GetKpiTrendRequest,
    ) -> Result<pb::GetKpiTrendResponse, ServiceError> {
        use pb::get_kpi_trend_request::Subject;
        if request.kpi_ids.is_empty() || request.kpi_ids.len() > KpiId::ALL.len() {
            return Err(ServiceError::invalid_field(
                "kpi_ids",
                "give 1 to 24 KPI ids",
            ));
        }
        let kpis = parse_kpi_ids(&request.kpi_ids)?;
        let granularity = match pb::TrendGranularity::try_from(request.granularity) {
            Ok(pb::TrendGranularity::Day) => Granularity::Day,
            Ok(pb::TrendGranularity::Week) => Granularity::Week,
            Ok(pb::TrendGranularity::Month) => Granularity::Month,
            _ => {
                return Err(ServiceError::invalid_field(
                    "granularity",
                    "granularity is required (DAY, WEEK or MONTH)",
                ))
            }
        };
        let zone = self.engine.zone();
        let period = resolve_period("period", request.period.as_ref(), zone)?;
        let buckets = buckets(period, granularity, zone, MAX_PERIOD_DAYS as usize + 1)
            .map_err(|error| ServiceError::invalid_field("period", error.to_string()))?;
        let trend = match request.subject {
            Some(Subject::AgentId(agent_id)) => {
                let agent_id = required_request_id("agent_id", &agent_id)?;
                self.authorize_agent(caller, GET_KPI_TREND, &agent_id)
                    .await?;
                let agent = self.agent(&agent_id).await?;
                let agents = [agent.agent_id];
                self.engine
                    .trend(FactScope::Agents(&agents), &buckets, &kpis)
                    .await?
            }
            Some(Subject::TeamId(team_id)) => {
                let team_id = required_request_id("team_id", &team_id)?;
                authorize_read(caller, GET_KPI_TREND, ReadSubject::Team(&team_id))?;
                self.ensure_team(&team_id).await?;
                self.engine
                    .trend(FactScope::Team(&team_id), &buckets, &kpis)
                    .await?
            }
            None => {
                return Err(ServiceError::invalid_field(
                    "agent_id",
                    "give agent_id or team_id",
                ))
            }
        };
        Ok(pb::GetKpiTrendResponse {
            buckets: trend
                .into_iter()
                .map(|bucket| pb::TrendBucket {
                    period: Some(period_to_pb(&bucket.period, zone)),
                    values: bucket
                        .values
                        .iter()
                        .map(|value| kpi_result(value, None))
                        .collect(),
                })
                .collect(),
        })
    }
}
