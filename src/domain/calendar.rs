//! The reporting zone's calendar: the supported range of dates, the local
//! date of an instant, the first instant of a local day, and [`LocalDay`],
//! the one type for "a calendar day of the reporting zone" that rollups,
//! memberships, closed months and policies share (stored as days since
//! 1970-01-01).

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use super::period::{Period, PeriodError};

/// The first date of the supported calendar: ingest refuses earlier
/// timestamps, so no earlier period can hold data.
pub const EARLIEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(date) => date,
    None => NaiveDate::MIN,
};

/// The last date of the supported calendar.
pub const LATEST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(date) => date,
    None => NaiveDate::MAX,
};

/// `date` if it lies in the supported calendar.
pub fn check_date(date: NaiveDate) -> Result<NaiveDate, PeriodError> {
    if (EARLIEST_DATE..=LATEST_DATE).contains(&date) {
        Ok(date)
    } else {
        Err(PeriodError::OutOfRange)
    }
}

/// The first instant of the supported calendar, 2000-01-01T00:00:00Z.
pub fn earliest_instant() -> DateTime<Utc> {
    EARLIEST_DATE.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// The end (exclusive) of the supported calendar, 10000-01-01T00:00:00Z.
pub fn end_of_calendar() -> DateTime<Utc> {
    LATEST_DATE
        .succ_opt()
        .unwrap_or(NaiveDate::MAX)
        .and_time(chrono::NaiveTime::MIN)
        .and_utc()
}

/// `instant` if it lies in the supported calendar; `end_of_calendar()`
/// itself is allowed, as the exclusive end of a range.
pub fn check_instant(instant: DateTime<Utc>) -> Result<DateTime<Utc>, PeriodError> {
    if (earliest_instant()..=end_of_calendar()).contains(&instant) {
        Ok(instant)
    } else {
        Err(PeriodError::OutOfRange)
    }
}

/// The calendar date of `instant` in `zone`.
pub fn local_date(instant: DateTime<Utc>, zone: Tz) -> NaiveDate {
    instant.with_timezone(&zone).date_naive()
}

/// The first instant of `date` in `zone`: local midnight, or the end of the
/// DST gap when the day starts inside one.
pub fn start_of_day(date: NaiveDate, zone: Tz) -> Result<DateTime<Utc>, PeriodError> {
    // Gaps are at most a few hours; probe forward minute by minute from
    // midnight only when midnight itself does not exist.
    let midnight = date.and_hms_opt(0, 0, 0).ok_or(PeriodError::OutOfRange)?;
    (0..=24 * 60)
        .filter_map(|minutes| midnight.checked_add_signed(Duration::minutes(minutes)))
        .find_map(|local| zone.from_local_datetime(&local).earliest())
        .map(|instant| instant.with_timezone(&Utc))
        .ok_or(PeriodError::OutOfRange)
}

/// A calendar day of the reporting zone. Stored as its number of days since
/// 1970-01-01, which orders like the dates and subtracts to a day count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalDay(i32);

/// 1970-01-01, day 0.
const EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(date) => date,
    None => NaiveDate::MIN,
};

impl LocalDay {
    /// The day of a membership that holds since before any record:
    /// 0001-01-01 (see the migration that created `team_memberships`).
    pub const OPEN_START: LocalDay = LocalDay(-719_162);

    /// The day with this stored number.
    pub const fn from_number(number: i32) -> Self {
        LocalDay(number)
    }

    /// The stored number: days since 1970-01-01.
    pub const fn number(self) -> i32 {
        self.0
    }

    /// The day of a calendar date.
    pub fn of_date(date: NaiveDate) -> Self {
        let days = date.signed_duration_since(EPOCH).num_days();
        LocalDay(i32::try_from(days).unwrap_or(if days < 0 { i32::MIN } else { i32::MAX }))
    }

    /// The local day of `instant` in `zone`.
    pub fn of_instant(instant: DateTime<Utc>, zone: Tz) -> Self {
        Self::of_date(local_date(instant, zone))
    }

    /// The local day of a stored instant (microseconds since the epoch),
    /// `None` when it is out of chrono's range.
    pub fn of_micros(micros: i64, zone: Tz) -> Option<Self> {
        DateTime::from_timestamp_micros(micros).map(|instant| Self::of_instant(instant, zone))
    }

    /// The calendar date.
    pub fn date(self) -> NaiveDate {
        EPOCH
            .checked_add_signed(Duration::days(i64::from(self.0)))
            .unwrap_or(if self.0 < 0 {
                NaiveDate::MIN
            } else {
                NaiveDate::MAX
            })
    }

    /// The next day.
    pub fn next(self) -> Self {
        LocalDay(self.0.saturating_add(1))
    }

    /// The first instant of the day in `zone` (see [`start_of_day`]).
    pub fn start(self, zone: Tz) -> Result<DateTime<Utc>, PeriodError> {
        start_of_day(self.date(), zone)
    }
}

impl std::fmt::Display for LocalDay {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}", self.date().format("%Y-%m-%d"))
    }
}

/// The local days `[first, end)` that a period touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub first: LocalDay,
    /// Exclusive.
    pub end: LocalDay,
}

impl DayRange {
    /// The days `period` touches in `zone`: from the day of its start to
    /// the day of its last instant.
    pub fn of_period(period: &Period, zone: Tz) -> Self {
        let last_instant = (period.end - Duration::microseconds(1)).max(period.start);
        DayRange {
            first: LocalDay::of_instant(period.start, zone),
            end: LocalDay::of_instant(last_instant, zone).next(),
        }
    }
}

/// A period cut into the whole local days it covers (summed from the daily
/// rollups) and the partial days at its edges (read from raw rows). A
/// calendar period is whole days only; a custom range may start or end
/// inside a day.
#[derive(Debug, Clone, PartialEq)]
pub struct DaySplit {
    /// The whole days, when there is at least one.
    pub whole_days: Option<DayRange>,
    /// The partial days at the start and the end, in order.
    pub edges: Vec<Period>,
}

impl DaySplit {
    /// Cuts `period` at the local midnights of `zone`.
    pub fn of(period: &Period, zone: Tz) -> Result<Self, PeriodError> {
        let start_date = local_date(period.start, zone);
        let first_whole = if start_of_day(start_date, zone)? == period.start {
            start_date
        } else {
            start_date.succ_opt().ok_or(PeriodError::OutOfRange)?
        };
        let end_whole = local_date(period.end, zone);
        if first_whole >= end_whole {
            return Ok(DaySplit {
                whole_days: None,
                edges: vec![*period],
            });
        }
        let whole_start = start_of_day(first_whole, zone)?;
        let whole_end = start_of_day(end_whole, zone)?;
        let mut edges = Vec::new();
        if period.start < whole_start {
            edges.push(Period {
                start: period.start,
                end: whole_start,
            });
        }
        if whole_end < period.end {
            edges.push(Period {
                start: whole_end,
                end: period.end,
            });
        }
        Ok(DaySplit {
            whole_days: Some(DayRange {
                first: LocalDay::of_date(first_whole),
                end: LocalDay::of_date(end_whole),
            }),
            edges,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn local_days_number_from_the_epoch_and_read_back() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let day = LocalDay::of_date(date);
        assert_eq!(day.number(), 20_758);
        assert_eq!(day.date(), date);
        assert_eq!(
            LocalDay::OPEN_START.date(),
            NaiveDate::from_ymd_opt(1, 1, 1).unwrap()
        );
        assert_eq!(day.to_string(), "2026-11-01");
    }

    #[test]
    fn the_local_day_of_an_instant_follows_the_zone() {
        // 2026-11-01T23:30Z is already 2 November in Berlin (UTC+1).
        let instant = DateTime::parse_from_rfc3339("2026-11-01T23:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            LocalDay::of_instant(instant, chrono_tz::UTC).to_string(),
            "2026-11-01"
        );
        assert_eq!(
            LocalDay::of_instant(instant, chrono_tz::Europe::Berlin).to_string(),
            "2026-11-02"
        );
        assert_eq!(
            LocalDay::of_micros(instant.timestamp_micros(), chrono_tz::Europe::Berlin),
            Some(LocalDay::of_instant(instant, chrono_tz::Europe::Berlin))
        );
    }

    #[test]
    fn a_month_touches_its_days_and_no_more() {
        let zone = chrono_tz::Europe::Berlin;
        let start = start_of_day(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(), zone).unwrap();
        let end = start_of_day(NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(), zone).unwrap();
        let days = DayRange::of_period(&Period { start, end }, zone);
        assert_eq!(days.first.to_string(), "2026-03-01");
        assert_eq!(days.end.to_string(), "2026-04-01");
        assert_eq!(days.end.number() - days.first.number(), 31);
    }

    #[test]
    fn a_calendar_month_is_whole_days_only() {
        let zone = chrono_tz::Europe::Berlin;
        let period = Period {
            start: Utc.with_ymd_and_hms(2026, 10, 31, 23, 0, 0).unwrap(),
            end: Utc.with_ymd_and_hms(2026, 11, 30, 23, 0, 0).unwrap(),
        };
        let split = DaySplit::of(&period, zone).unwrap();
        assert!(split.edges.is_empty());
        let days = split.whole_days.unwrap();
        assert_eq!(days.end.number() - days.first.number(), 30);
    }

    #[test]
    fn a_custom_range_reads_its_partial_days_raw() {
        let zone = chrono_tz::UTC;
        let period = Period {
            start: Utc.with_ymd_and_hms(2026, 11, 2, 12, 0, 0).unwrap(),
            end: Utc.with_ymd_and_hms(2026, 11, 5, 6, 0, 0).unwrap(),
        };
        let split = DaySplit::of(&period, zone).unwrap();
        let days = split.whole_days.unwrap();
        assert_eq!(
            (days.first.to_string(), days.end.to_string()),
            ("2026-11-03".into(), "2026-11-05".into())
        );
        assert_eq!(
            split.edges,
            vec![
                Period {
                    start: period.start,
                    end: Utc.with_ymd_and_hms(2026, 11, 3, 0, 0, 0).unwrap(),
                },
                Period {
                    start: Utc.with_ymd_and_hms(2026, 11, 5, 0, 0, 0).unwrap(),
                    end: period.end,
                },
            ]
        );
    }

    #[test]
    fn a_range_inside_one_day_is_read_raw() {
        let zone = chrono_tz::UTC;
        let period = Period {
            start: Utc.with_ymd_and_hms(2026, 11, 2, 8, 0, 0).unwrap(),
            end: Utc.with_ymd_and_hms(2026, 11, 2, 17, 0, 0).unwrap(),
        };
        let split = DaySplit::of(&period, zone).unwrap();
        assert_eq!(split.whole_days, None);
        assert_eq!(split.edges, vec![period]);
    }
}
