//! KPI values per intraday bucket (hours or quarter-hours of the reporting
//! zone's clock), from raw rows: see `storage::intraday`.

use sea_orm::ConnectionTrait;

use super::{trend::TrendBucket, Engine};
use crate::{
    domain::{
        kpi::{compute, KpiId, KpiSums, RecordSources},
        period::Period,
    },
    storage::{facts::FactScope, intraday::bucket_sums, StorageError},
};

impl<C: ConnectionTrait> Engine<'_, C> {
    /// Values of `kpis` per intraday bucket: the records of the whole range
    /// are read once, from the tables behind `kpis` only, and each is added
    /// to the bucket containing the instant that places it.
    pub async fn intraday_trend(
        &self,
        scope: FactScope<'_>,
        buckets: Vec<Period>,
        kpis: &[KpiId],
    ) -> Result<Vec<TrendBucket>, StorageError> {
        let sources = RecordSources::of(kpis);
        let sums = if self.side_by_side {
            // On a PostgreSQL pool each part waits for its own round trips
            // on a connection of its own; the parts' sums add up.
            let read = |part| bucket_sums(self.connection, scope, buckets.clone(), self.zone, part);
            let [interactions, surveys, others] = sources.parts();
            let (interactions, surveys, others) =
                tokio::join!(read(interactions), read(surveys), read(others));
            add_parts(interactions?, [surveys?, others?])
        } else {
            bucket_sums(self.connection, scope, buckets, self.zone, sources).await?
        };
        Ok(sums
            .into_iter()
            .map(|(period, sums)| TrendBucket {
                period,
                values: kpis.iter().map(|kpi| compute(*kpi, &sums)).collect(),
            })
            .collect())
    }
}

/// Adds the other parts' sums to the first's, bucket by bucket (each part
/// has every bucket, in the same order).
fn add_parts(
    mut first: Vec<(Period, KpiSums)>,
    others: [Vec<(Period, KpiSums)>; 2],
) -> Vec<(Period, KpiSums)> {
    for other in others {
        for ((_, total), (_, sums)) in first.iter_mut().zip(other) {
            *total += sums;
        }
    }
    first
}
