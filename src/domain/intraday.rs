//! Intraday trend buckets (the catalogue's "Intraday buckets"): a period
//! cut at every instant at which the reporting zone's clock shows a whole
//! hour (or a whole quarter-hour). Buckets follow the local clock, not UTC:
//!
//! - a spring-forward day in Europe/Berlin has 23 hourly buckets (the clock
//!   never shows 02:00; the bucket of 01:00 ends when it jumps to 03:00);
//! - a fall-back day has 25: the clock shows 02:00 twice, an hour apart,
//!   and each time starts a bucket of its own (two distinct instants);
//! - in Asia/Kathmandu (+05:45) a local whole hour is a quarter past a UTC
//!   hour, and the buckets start there.
//!
//! The first and last buckets are clipped to the period when it does not
//! start or end on a boundary (a custom range). Where a record falls is the
//! caller's business: the bucket containing the instant that places it
//! ([`bucket_of`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use super::{
    attribution::Placed,
    calendar::LocalDay,
    kpi::KpiSums,
    period::{Granularity, Period, PeriodError},
};

/// The most buckets one intraday trend may have: 768 is 32 days of hours
/// (any calendar month, 745 hours at most) or 8 days of quarter-hours (any
/// ISO week, 676 at most). It keeps an answer of 24 KPIs per bucket near
/// 1 MB, well inside the 4 MB message limit most gRPC clients keep.
pub const MAX_INTRADAY_BUCKETS: usize = 768;

/// The length of an intraday bucket on the local clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntradayStep {
    /// Whole hours of the local clock.
    Hour,
    /// Whole quarter-hours of the local clock (:00, :15, :30, :45).
    QuarterHour,
}

impl IntradayStep {
    /// The step of an intraday granularity (`Hour`, `QuarterHour`); `None`
    /// for the calendar ones, cut by `period::buckets`.
    pub fn of(granularity: Granularity) -> Option<Self> {
        match granularity {
            Granularity::Hour => Some(IntradayStep::Hour),
            Granularity::QuarterHour => Some(IntradayStep::QuarterHour),
            Granularity::Day | Granularity::Week | Granularity::Month => None,
        }
    }

    /// The step in microseconds of local clock time.
    fn micros(self) -> i64 {
        match self {
            IntradayStep::Hour => 3_600_000_000,
            IntradayStep::QuarterHour => 900_000_000,
        }
    }

    /// The step as an elapsed duration (the shortest period it may cut).
    pub fn duration(self) -> Duration {
        Duration::microseconds(self.micros())
    }

    /// How errors name a bucket of this step.
    pub fn noun(self) -> &'static str {
        match self {
            IntradayStep::Hour => "hourly",
            IntradayStep::QuarterHour => "quarter-hour",
        }
    }
}

/// Why a period cannot be cut into intraday buckets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntradayError {
    #[error("the granularity is coarser than the period: {noun} buckets need a period of at least {minutes} minutes")]
    CoarserThanPeriod { noun: &'static str, minutes: i64 },
    #[error("the period has more than {max_buckets} {noun} buckets; at most {max_buckets} buckets are allowed per call (32 days of hours, 8 days of quarter-hours)")]
    TooManyBuckets {
        noun: &'static str,
        max_buckets: usize,
    },
    #[error(transparent)]
    Period(#[from] PeriodError),
}

/// The UTC offset of `zone` at `instant`, in microseconds.
fn offset_micros(instant: i64, zone: Tz) -> Result<i64, PeriodError> {
    let instant = DateTime::from_timestamp_micros(instant).ok_or(PeriodError::OutOfRange)?;
    let offset = zone.offset_from_utc_datetime(&instant.naive_utc()).fix();
    Ok(i64::from(offset.local_minus_utc()) * 1_000_000)
}

/// Whether the local clock shows a whole step at `instant` under `offset`.
fn on_boundary(instant: i64, offset: i64, step: i64) -> bool {
    (instant + offset).rem_euclid(step) == 0
}

/// The first instant in `(low, high]` whose offset is not `offset`, given
/// that `high`'s is not: where the zone changes its clock.
fn first_change(mut low: i64, mut high: i64, offset: i64, zone: Tz) -> Result<i64, PeriodError> {
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if offset_micros(middle, zone)? == offset {
            low = middle;
        } else {
            high = middle;
        }
    }
    Ok(high)
}

/// The first instant after `after` at which the local clock shows a whole
/// step: the next step of the clock under the current offset, unless the
/// zone changes its clock before it; then the instant of the change if the
/// clock then shows a whole step (03:00 after a spring-forward jump, 02:00
/// again after a fall-back), else the next step under the new offset.
fn next_boundary(after: i64, step: i64, zone: Tz) -> Result<i64, PeriodError> {
    let mut from = after;
    // A zone changes its clock at most once within a step; four rounds
    // are a margin, never needed.
    for _ in 0..4 {
        let offset = offset_micros(from, zone)?;
        let local = from + offset;
        let candidate = (local.div_euclid(step) + 1) * step - offset;
        if offset_micros(candidate, zone)? == offset {
            return Ok(candidate);
        }
        let change = first_change(from, candidate, offset, zone)?;
        if on_boundary(change, offset_micros(change, zone)?, step) {
            return Ok(change);
        }
        from = change;
    }
    let offset = offset_micros(from, zone)?;
    Ok(((from + offset).div_euclid(step) + 1) * step - offset)
}

fn instant(micros: i64) -> Result<DateTime<Utc>, PeriodError> {
    DateTime::from_timestamp_micros(micros).ok_or(PeriodError::OutOfRange)
}

/// Cuts `period` into intraday buckets of `step` on the clock of `zone`,
/// in time order; the first and last are clipped to the period. Refuses a
/// period shorter than one step (the granularity would be coarser than the
/// period) and more than `max_buckets` buckets, before cutting any.
pub fn cut(
    period: Period,
    step: IntradayStep,
    zone: Tz,
    max_buckets: usize,
) -> Result<Vec<Period>, IntradayError> {
    if period.end <= period.start {
        return Err(PeriodError::Empty.into());
    }
    if period.end - period.start < step.duration() {
        return Err(IntradayError::CoarserThanPeriod {
            noun: step.noun(),
            minutes: step.duration().num_minutes(),
        });
    }
    let too_many = IntradayError::TooManyBuckets {
        noun: step.noun(),
        max_buckets,
    };
    let (start, end) = (
        period.start.timestamp_micros(),
        period.end.timestamp_micros(),
    );
    let mut buckets = Vec::new();
    let mut bucket_start = start;
    while bucket_start < end {
        if buckets.len() == max_buckets {
            return Err(too_many);
        }
        let bucket_end = next_boundary(bucket_start, step.micros(), zone)?.min(end);
        buckets.push(Period {
            start: instant(bucket_start)?,
            end: instant(bucket_end)?,
        });
        bucket_start = bucket_end;
    }
    Ok(buckets)
}

/// The index of the bucket containing `at`, if any: `buckets` are
/// consecutive and in time order, as [`cut`] returns them.
pub fn bucket_of(buckets: &[Period], at: DateTime<Utc>) -> Option<usize> {
    let index = buckets.partition_point(|bucket| bucket.end <= at);
    buckets
        .get(index)
        .filter(|bucket| bucket.start <= at)
        .map(|_| index)
}

/// The sums of each bucket, added record by record: every record in the
/// bucket containing the instant that places it. Kept per agent and local
/// day inside a bucket, so that a bucket's worked days (the denominator of
/// `contacts_per_day`) are the agent-days with a contact inside it.
#[derive(Debug, Clone, Default)]
pub struct BucketSums {
    buckets: Vec<Period>,
    agent_days: BTreeMap<(usize, String, LocalDay), KpiSums>,
}

impl BucketSums {
    /// Empty sums over `buckets` (consecutive, in time order).
    pub fn new(buckets: Vec<Period>) -> Self {
        BucketSums {
            buckets,
            agent_days: BTreeMap::new(),
        }
    }

    /// The whole range the buckets cover, if any.
    pub fn range(&self) -> Option<Period> {
        Some(Period {
            start: self.buckets.first()?.start,
            end: self.buckets.last()?.end,
        })
    }

    /// Adds a record placed at `placed`; one outside every bucket is left out.
    pub fn add_record(&mut self, placed: &Placed, sums: &KpiSums) {
        let Some(bucket) = bucket_of(&self.buckets, placed.at) else {
            return;
        };
        let key = (
            bucket,
            placed.attribution.agent_id.clone(),
            placed.attribution.day,
        );
        *self.agent_days.entry(key).or_default() += sums.clone();
    }

    /// Every bucket with its sums, in time order (empty buckets included),
    /// each agent-day closed into worked days.
    pub fn totals(self) -> Vec<(Period, KpiSums)> {
        let mut totals: Vec<(Period, KpiSums)> = self
            .buckets
            .into_iter()
            .map(|bucket| (bucket, KpiSums::default()))
            .collect();
        for ((bucket, _, _), mut sums) in self.agent_days {
            sums.close_day();
            if let Some((_, total)) = totals.get_mut(bucket) {
                *total += sums;
            }
        }
        totals
    }
}

#[cfg(test)]
#[path = "intraday_tests.rs"]
mod tests;
