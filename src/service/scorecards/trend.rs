//! `GetKpiTrend`: KPI values over time, bucketed by calendar day, week or
//! month.

use std::collections::BTreeMap;

use chrono::Duration;

use sea_orm::ConnectionTrait;

use super::{
    engine::{day_of, Engine},
    resolve_period, Scorecards, MAX_PERIOD_DAYS,
};
use crate::{
    auth::{Caller, ReadSubject},
    domain::{
        kpi::{compute, KpiId, KpiSums, KpiValue},
        period::{buckets, Granularity, Period, PeriodSpec},
    },
    error::ServiceError,
    service::access::{authorize_agent_read, authorize_read},
    storage::{
        facts::FactScope,
        rollups::read::{GroupKey, Grouping},
        StorageError,
    },
};

/// One bucket of a trend: its period and the requested KPIs' values.
#[derive(Debug, Clone)]
pub struct TrendBucket {
    pub period: Period,
    pub values: Vec<KpiValue>,
}

impl<C: ConnectionTrait> Engine<'_, C> {
    /// Values of `kpis` per bucket. The sums are read once, per day (one
    /// grouped query over the rollups), and each day is added to the bucket
    /// that contains it.
    pub async fn trend(
        &self,
        scope: FactScope<'_>,
        buckets: &[Period],
        kpis: &[KpiId],
    ) -> Result<Vec<TrendBucket>, StorageError> {
        let (Some(first), Some(last)) = (buckets.first(), buckets.last()) else {
            return Ok(Vec::new());
        };
        let range = Period {
            start: first.start,
            end: last.end,
        };
        let per_day: BTreeMap<i32, KpiSums> = self
            .sums(scope, &range, Grouping::Day)
            .await?
            .into_iter()
            .filter_map(|(key, group)| match key {
                GroupKey::Day(day) => Some((day, group.sums)),
                GroupKey::Agent(_) => None,
            })
            .collect();
        let zone = self.zone();
        Ok(buckets
            .iter()
            .map(|bucket| {
                let first_day = day_of(bucket.start, zone).number();
                let last_day = day_of(bucket.end - Duration::microseconds(1), zone).number();
                let sums: KpiSums = per_day
                    .range(first_day..=last_day)
                    .map(|(_, sums)| sums.clone())
                    .sum();
                TrendBucket {
                    period: *bucket,
                    values: kpis.iter().map(|kpi| compute(*kpi, &sums)).collect(),
                }
            })
            .collect())
    }
}

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
}

const GET_KPI_TREND: &str = "/kpi.v1.ScorecardService/GetKpiTrend";

impl Scorecards {
    /// Chosen KPIs of an agent or team, bucketed by day, week or month.
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
        let engine = self.engine();
        let trend = match &query.subject {
            TrendSubject::Agent(agent_id) => {
                authorize_agent_read(&self.database, caller, GET_KPI_TREND, agent_id).await?;
                let agent = self.agent(agent_id).await?;
                let agents = [agent.agent_id];
                engine
                    .trend(FactScope::Agents(&agents), &buckets, &query.kpis)
                    .await?
            }
            TrendSubject::Team(team_id) => {
                authorize_read(caller, GET_KPI_TREND, ReadSubject::Team(team_id))?;
                self.ensure_team(team_id).await?;
                engine
                    .trend(FactScope::Team(team_id), &buckets, &query.kpis)
                    .await?
            }
        };
        Ok(trend)
    }
}
