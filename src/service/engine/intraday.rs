//! KPI values per intraday bucket (hours or quarter-hours of the reporting
//! zone's clock), from raw rows: see `storage::intraday`.

use sea_orm::ConnectionTrait;

use super::{trend::TrendBucket, Engine};
use crate::{
    domain::{
        kpi::{compute, KpiId, RecordSources},
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
        let sums = bucket_sums(self.connection, scope, buckets, self.zone, sources).await?;
        Ok(sums
            .into_iter()
            .map(|(period, sums)| TrendBucket {
                period,
                values: kpis.iter().map(|kpi| compute(*kpi, &sums)).collect(),
            })
            .collect())
    }
}
