//! `GetKpiTrend`: chosen KPIs of an agent or team bucketed by day, week or
//! month.

use super::{resolve_period, Scorecards, MAX_PERIOD_DAYS};
use crate::{
    auth::{Caller, ReadSubject},
    domain::{
        kpi::KpiId,
        period::{buckets, Granularity, PeriodSpec},
    },
    error::ServiceError,
    service::{
        access::{authorize_agent_read, authorize_read},
        consistency::ReadNeed,
        engine::TrendBucket,
    },
    storage::facts::FactScope,
};

/// Whose trend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrendSubject {
    Agent(String),
    Team(String),
}

/// A request for a trend. The period is checked first, then access, then
/// the subject's existence.
pub struct TrendQuery {
    pub subject: TrendSubject,
    pub kpis: Vec<KpiId>,
    pub granularity: Granularity,
    pub period: Result<PeriodSpec, ServiceError>,
    /// A write's consistency token (empty: none); see `service::consistency`.
    pub consistency_token: String,
}

const GET_KPI_TREND: &str = "/kpi.v1.ScorecardService/GetKpiTrend";

impl Scorecards {
    /// Chosen KPIs of an agent or team, bucketed by day, week or month. On
    /// a standby within the lag bound, or where the client's token allows.
    pub async fn kpi_trend(
        &self,
        caller: &Caller,
        query: TrendQuery,
    ) -> Result<Vec<TrendBucket>, ServiceError> {
        let period = resolve_period(query.period, self.zone)?;
        let buckets = buckets(
            period,
            query.granularity,
            self.zone,
            MAX_PERIOD_DAYS as usize + 1,
        )
        .map_err(|error| ServiceError::invalid_field("period", error.to_string()))?;
        let (connection, preference) = self.reader(ReadNeed::ReplicaOk, &query.consistency_token);
        let engine = self.engine(connection);
        let trend = match &query.subject {
            TrendSubject::Agent(agent_id) => {
                authorize_agent_read(&self.database, caller, GET_KPI_TREND, agent_id).await?;
                preference?;
                let agent = self.agent(connection, agent_id).await?;
                let agents = [agent.agent_id];
                engine
                    .trend(FactScope::Agents(&agents), &buckets, &query.kpis)
                    .await?
            }
            TrendSubject::Team(team_id) => {
                authorize_read(caller, GET_KPI_TREND, ReadSubject::Team(team_id))?;
                preference?;
                self.ensure_team(connection, team_id).await?;
                engine
                    .trend(FactScope::Team(team_id), &buckets, &query.kpis)
                    .await?
            }
        };
        Ok(trend)
    }
}
