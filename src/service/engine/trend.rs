//! KPI values over time, bucketed by calendar day, week or month.

use std::collections::BTreeMap;

use chrono::Duration;

use sea_orm::ConnectionTrait;

use super::{day_of, sums::read_sums, Engine};
use crate::{
    domain::{
        calendar::LocalDay,
        kpi::{compute, KpiId, KpiSums, KpiValue},
        period::Period,
    },
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
        let per_day: BTreeMap<LocalDay, KpiSums> =
            read_sums(self.connection, self.zone, scope, &range, Grouping::Day)
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
                let first_day = day_of(bucket.start, zone);
                let last_day = day_of(bucket.end - Duration::microseconds(1), zone);
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
