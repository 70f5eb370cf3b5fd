//! `GetKpiTrend`: chosen KPIs of an agent, a team or the organisation,
//! bucketed by day, week or month (summed from the daily rollups) or by
//! hour or quarter-hour of the reporting zone's clock (from raw rows).

use super::{resolve_period, Scorecards, MAX_PERIOD_DAYS};
use crate::{
    auth::{Caller, ReadSubject},
    domain::{
        intraday::{cut, IntradayError, IntradayStep, MAX_INTRADAY_BUCKETS},
        kpi::KpiId,
        period::{buckets, Granularity, Period, PeriodSpec},
    },
    error::ServiceError,
    service::{
        access::{authorize_agent_read, authorize_read},
        consistency::ReadNeed,
        engine::TrendBucket,
    },
    storage::{directory, facts::FactScope},
};

/// Whose trend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrendSubject {
    Agent(String),
    Team(String),
    /// Every record of the organisation, pooled.
    Organisation,
}

/// A request for a trend. The period and its buckets are checked first,
/// then access, then the subject's existence.
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
    /// Chosen KPIs of an agent, team or the organisation, bucketed by day,
    /// week, month, hour or quarter-hour. Whatever the subject, on a standby
    /// within the lag bound, or where the client's token allows.
    pub async fn kpi_trend(
        &self,
        caller: &Caller,
        query: TrendQuery,
    ) -> Result<Vec<TrendBucket>, ServiceError> {
        let period = resolve_period(query.period, self.zone)?;
        let buckets = self.trend_buckets(period, query.granularity)?;
        let intraday = IntradayStep::of(query.granularity).is_some();
        let (connection, preference) = self.reader(ReadNeed::ReplicaOk, &query.consistency_token);
        let engine = self.engine(connection);
        let agents: [String; 1];
        let scope = match &query.subject {
            TrendSubject::Agent(agent_id) => {
                authorize_agent_read(&self.database, caller, GET_KPI_TREND, agent_id).await?;
                preference?;
                agents = [agent_id.clone()];
                FactScope::Agents(&agents)
            }
            TrendSubject::Team(team_id) => {
                authorize_read(caller, GET_KPI_TREND, ReadSubject::Team(team_id))?;
                preference?;
                FactScope::Team(team_id)
            }
            TrendSubject::Organisation => {
                authorize_read(caller, GET_KPI_TREND, ReadSubject::Organisation)?;
                preference?;
                FactScope::Organisation
            }
        };
        // The subject's existence and its numbers are independent reads:
        // side by side on PostgreSQL (one wait instead of two). Numbers
        // read for a subject that does not exist are dropped unsent.
        let exists = async {
            match &query.subject {
                TrendSubject::Agent(agent_id) => directory::agent_exists(connection, agent_id)
                    .await
                    .map_err(ServiceError::from)?
                    .then_some(())
                    .ok_or_else(|| ServiceError::agent_not_found(agent_id)),
                TrendSubject::Team(team_id) => self.ensure_team(connection, team_id).await,
                TrendSubject::Organisation => Ok(()),
            }
        };
        let read = async {
            if intraday {
                engine.intraday_trend(scope, buckets, &query.kpis).await
            } else {
                engine.trend(scope, &buckets, &query.kpis).await
            }
        };
        let (exists, trend) = engine.join(exists, read).await;
        exists?;
        let trend = trend?;
        Ok(trend)
    }

    /// The buckets of `period`: calendar ones (at most one per day of the
    /// longest period, plus a partial one), or intraday ones (at most
    /// [`MAX_INTRADAY_BUCKETS`], never coarser than the period). Every
    /// refusal names the field `granularity` or `period`.
    fn trend_buckets(
        &self,
        period: Period,
        granularity: Granularity,
    ) -> Result<Vec<Period>, ServiceError> {
        match IntradayStep::of(granularity) {
            Some(step) => cut(period, step, self.zone, MAX_INTRADAY_BUCKETS).map_err(|error| {
                let field = match error {
                    IntradayError::CoarserThanPeriod { .. } => "granularity",
                    _ => "period",
                };
                ServiceError::invalid_field(field, error.to_string())
            }),
            None => buckets(period, granularity, self.zone, MAX_PERIOD_DAYS as usize + 1)
                .map_err(|error| ServiceError::invalid_field("period", error.to_string())),
        }
    }
}
