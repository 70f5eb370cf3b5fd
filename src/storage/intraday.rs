//! Intraday sums: the records of a scope read raw over the whole range of
//! a trend's buckets (one statement per record table, however many
//! buckets; only the tables behind the KPIs asked for), each attributed by
//! the domain's rules and added to the bucket that contains the instant
//! that places it. Daily rollups cannot answer hours; the README
//! ("Intraday trends: raw rows or hourly rollups") records why raw rows
//! were kept instead of hourly rollups.

use chrono_tz::Tz;
use sea_orm::ConnectionTrait;

use super::{
    facts::{load_raw_into, FactScope, FactSink},
    StorageError,
};
use crate::domain::{
    attribution::Placed,
    intraday::BucketSums,
    kpi::{KpiSums, RecordSources},
    period::Period,
};

impl FactSink for BucketSums {
    fn add(&mut self, placed: Option<Placed>, sums: &KpiSums, _updated_at_us: i64) {
        if let Some(placed) = placed {
            self.add_record(&placed, sums);
        }
    }
}

/// The sums of `scope` in each of `buckets` (consecutive, in time order),
/// empty buckets included, from the record tables of `sources` only.
pub async fn bucket_sums(
    connection: &impl ConnectionTrait,
    scope: FactScope<'_>,
    buckets: Vec<Period>,
    zone: Tz,
    sources: RecordSources,
) -> Result<Vec<(Period, KpiSums)>, StorageError> {
    let mut sums = BucketSums::new(buckets);
    let Some(range) = sums.range() else {
        return Ok(Vec::new());
    };
    load_raw_into(
        connection,
        scope,
        range.start.timestamp_micros(),
        range.end.timestamp_micros(),
        zone,
        sources,
        &mut sums,
    )
    .await?;
    Ok(sums.totals())
}
