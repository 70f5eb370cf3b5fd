//! Reporting periods: calendar days, ISO weeks and months cut at local
//! midnight in the reporting time zone (a day may last 23 or 25 hours), or
//! custom half-open ranges; and their division into trend buckets.
//!
//! Every date and instant is range-checked against the supported calendar
//! (`calendar`: 2000-01-01 to 9999-12-31, the years ingest accepts) before
//! any arithmetic, and all date arithmetic is checked: no input can make
//! these functions panic.

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

pub use super::calendar::{
    check_date, check_instant, earliest_instant, end_of_calendar, local_date, start_of_day,
    EARLIEST_DATE, LATEST_DATE,
};

/// A half-open interval `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// What a caller asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodSpec {
    /// The calendar day.
    Day(NaiveDate),
    /// The ISO week (Monday to Sunday) containing the date.
    IsoWeek(NaiveDate),
    /// The calendar month containing the date.
    Month(NaiveDate),
    /// A pay period (`pay_period`): its local dates `[first, after_last)`.
    PayPeriod {
        first: NaiveDate,
        after_last: NaiveDate,
    },
    Custom {
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    },
}

/// The bucket size of a trend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    Day,
    Week,
    Month,
    /// Whole hours of the local clock (see `intraday`).
    Hour,
    /// Whole quarter-hours of the local clock (see `intraday`).
    QuarterHour,
}

/// Why a period cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("the period must end after it starts")]
    Empty,
    #[error("the period spans {days} days; at most {max_days} are allowed")]
    TooLong { days: i64, max_days: u32 },
    #[error("the period would have {buckets} buckets; at most {max_buckets} are allowed")]
    TooManyBuckets { buckets: usize, max_buckets: usize },
    #[error("the date lies outside the supported calendar (2000-01-01 to 9999-12-31)")]
    OutOfRange,
}

fn next_day(date: NaiveDate) -> Result<NaiveDate, PeriodError> {
    date.succ_opt().ok_or(PeriodError::OutOfRange)
}

fn first_of_next_month(date: NaiveDate) -> Result<NaiveDate, PeriodError> {
    let (year, month) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1).ok_or(PeriodError::OutOfRange)
}

fn monday_of(date: NaiveDate) -> Result<NaiveDate, PeriodError> {
    date.checked_sub_days(Days::new(u64::from(date.weekday().num_days_from_monday())))
        .ok_or(PeriodError::OutOfRange)
}

fn monday_after(date: NaiveDate) -> Result<NaiveDate, PeriodError> {
    monday_of(date)?
        .checked_add_days(Days::new(7))
        .ok_or(PeriodError::OutOfRange)
}

/// The local dates `[first, after_last)` of a calendar period.
pub fn calendar_dates(spec: PeriodSpec) -> Result<Option<(NaiveDate, NaiveDate)>, PeriodError> {
    Ok(match spec {
        PeriodSpec::Day(date) => Some((check_date(date)?, next_day(date)?)),
        PeriodSpec::IsoWeek(date) => {
            check_date(date)?;
            Some((monday_of(date)?, monday_after(date)?))
        }
        PeriodSpec::Month(date) => {
            let first = check_date(date)?
                .with_day(1)
                .ok_or(PeriodError::OutOfRange)?;
            Some((first, first_of_next_month(first)?))
        }
        PeriodSpec::PayPeriod { first, after_last } => Some((check_date(first)?, after_last)),
        PeriodSpec::Custom { .. } => None,
    })
}

/// Resolves a period in `zone`, refusing dates and instants outside the
/// supported calendar, empty periods and ones longer than `max_days`
/// (24-hour days).
pub fn resolve(spec: PeriodSpec, zone: Tz, max_days: u32) -> Result<Period, PeriodError> {
    let period = match (spec, calendar_dates(spec)?) {
        (PeriodSpec::Custom { start, end }, _) => Period {
            start: check_instant(start)?,
            end: check_instant(end)?,
        },
        (_, Some((first, after_last))) => Period {
            start: start_of_day(first, zone)?,
            end: start_of_day(after_last, zone)?,
        },
        (_, None) => return Err(PeriodError::OutOfRange),
    };
    if period.end <= period.start {
        return Err(PeriodError::Empty);
    }
    // One extra hour allows a calendar span that contains a DST change.
    let longest = Duration::days(i64::from(max_days)) + Duration::hours(1);
    if period.end - period.start > longest {
        return Err(PeriodError::TooLong {
            days: (period.end - period.start).num_days(),
            max_days,
        });
    }
    Ok(period)
}

/// Splits `range` into consecutive calendar buckets in `zone`; the first and
/// last are clipped to the range. The intraday granularities are cut by
/// `intraday::cut` (which also refuses periods shorter than a bucket); here
/// they fall back to days.
pub fn buckets(
    range: Period,
    granularity: Granularity,
    zone: Tz,
    max_buckets: usize,
) -> Result<Vec<Period>, PeriodError> {
    // No range check here: a resolved calendar period may end a few days
    // into year 10000 (the ISO week of 9999-12-31), and every step below is
    // checked arithmetic that refuses to leave chrono's calendar.
    let mut buckets = Vec::new();
    let mut bucket_start = range.start;
    while bucket_start < range.end {
        if buckets.len() == max_buckets {
            return Err(PeriodError::TooManyBuckets {
                buckets: max_buckets + 1,
                max_buckets,
            });
        }
        let date = local_date(bucket_start, zone);
        let next_date = match granularity {
            Granularity::Day | Granularity::Hour | Granularity::QuarterHour => next_day(date)?,
            Granularity::Week => monday_after(date)?,
            Granularity::Month => first_of_next_month(date)?,
        };
        let bucket_end = start_of_day(next_date, zone)?.min(range.end);
        buckets.push(Period {
            start: bucket_start,
            end: bucket_end,
        });
        bucket_start = bucket_end;
    }
    Ok(buckets)
}

#[cfg(test)]
#[path = "period_tests.rs"]
mod tests;
