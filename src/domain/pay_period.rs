//! Pay periods: the periods payroll closes. One kind is configured for the
//! whole service (`PayCalendar`): calendar months (the default), half
//! months, ISO weeks, or two ISO weeks counted from a configured Monday.
//! Every pay period is a run of whole local days of the reporting zone, so
//! its instants are local midnights (a DST change makes a day 23 or 25
//! hours long, never moves a boundary off midnight).
//!
//! Ids, one syntax per kind (each sorts like the periods it names):
//! - month: `2026-03`;
//! - half month: `2026-03-H1` (1st-15th), `2026-03-H2` (16th-end);
//! - ISO week: `2026-W10` (ISO week-numbering year and week);
//! - two weeks: `2026-W10+2`, the ISO week it starts with and the next;
//!   only weeks an even number of weeks from the configured Monday start
//!   one.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use chrono_tz::Tz;

use super::{
    calendar::{check_date, start_of_day, DayRange},
    period::{Period, PeriodError},
};

/// Which periods payroll closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayCalendar {
    Month,
    HalfMonth,
    IsoWeek,
    /// Two ISO weeks, the first of which starts on `first_monday` or an
    /// even number of weeks before or after it.
    TwoWeeks {
        first_monday: NaiveDate,
    },
}

/// A pay period of the configured kind, resolved in the reporting zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayPeriod {
    /// The id (`2026-03`, `2026-03-H1`, `2026-W10`, `2026-W10+2`).
    pub key: String,
    pub period: Period,
    /// The local days it holds.
    pub days: DayRange,
}

/// Why a text is not a pay-period id of the configured kind; the message
/// says what is expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PayPeriodIdError(pub String);

impl PayCalendar {
    /// Reads the setting: `month`, `half_month`, `iso_week`, or
    /// `two_weeks` with the Monday its first period starts on.
    pub fn from_setting(kind: &str, first_monday: Option<NaiveDate>) -> Result<Self, String> {
        match (kind, first_monday) {
            ("month", _) => Ok(PayCalendar::Month),
            ("half_month", _) => Ok(PayCalendar::HalfMonth),
            ("iso_week", _) => Ok(PayCalendar::IsoWeek),
            ("two_weeks", Some(monday)) if monday.weekday() == Weekday::Mon => {
                Ok(PayCalendar::TwoWeeks {
                    first_monday: monday,
                })
            }
            ("two_weeks", Some(day)) => Err(format!(
                "the first Monday of two-week pay periods must be a Monday; {day} is a {}",
                day.weekday()
            )),
            ("two_weeks", None) => {
                Err("two-week pay periods need the Monday the first one starts on".into())
            }
            (other, _) => Err(format!(
                "unknown pay-period kind {other:?}: expected month, half_month, iso_week or \
                 two_weeks"
            )),
        }
    }

    /// How the kind is recorded with every closed period, so that a later
    /// change of the setting is noticed: `month`, `half_month`,
    /// `iso_week`, `two_weeks from 2026-01-05`.
    pub fn recorded_name(self) -> String {
        match self {
            PayCalendar::Month => "month".into(),
            PayCalendar::HalfMonth => "half_month".into(),
            PayCalendar::IsoWeek => "iso_week".into(),
            PayCalendar::TwoWeeks { first_monday } => {
                format!("two_weeks from {}", first_monday.format("%Y-%m-%d"))
            }
        }
    }

    /// The id syntax of this kind, for error messages.
    pub fn syntax(self) -> &'static str {
        match self {
            PayCalendar::Month => "a month written YYYY-MM (e.g. 2026-03)",
            PayCalendar::HalfMonth => {
                "a half month written YYYY-MM-H1 (1st-15th) or YYYY-MM-H2 (16th-end)"
            }
            PayCalendar::IsoWeek => "an ISO week written YYYY-Www (e.g. 2026-W10)",
            PayCalendar::TwoWeeks { .. } => {
                "two ISO weeks written YYYY-Www+2 after the week they start with (e.g. 2026-W10+2)"
            }
        }
    }

    /// The local dates `[first, after_last)` of the pay period named `id`.
    pub fn parse(self, id: &str) -> Result<(NaiveDate, NaiveDate), PayPeriodIdError> {
        let wrong = || {
            let shown: String = id.chars().take(24).collect();
            PayPeriodIdError(format!("{}, got {shown:?}", self.expectation()))
        };
        let dates = match self {
            PayCalendar::Month => parse_month(id).map(|first| (first, first_of_next_month(first))),
            PayCalendar::HalfMonth => parse_half_month(id),
            PayCalendar::IsoWeek => {
                parse_iso_week(id).map(|monday| (monday, monday + Days::new(7)))
            }
            PayCalendar::TwoWeeks { .. } => id
                .strip_suffix("+2")
                .and_then(parse_iso_week)
                .map(|monday| (monday, monday + Days::new(14))),
        }
        .ok_or_else(wrong)?;
        let (first, after_last) = dates;
        if check_date(first).is_err() {
            return Err(PayPeriodIdError(format!(
                "{id} lies outside the supported calendar (2000-01-01 to 9999-12-31)"
            )));
        }
        if let PayCalendar::TwoWeeks { first_monday } = self {
            let weeks = (first - first_monday).num_days() / 7;
            if weeks % 2 != 0 {
                let before = self.id_of_dates(first - Days::new(7));
                let after = self.id_of_dates(first + Days::new(7));
                return Err(PayPeriodIdError(format!(
                    "{id} does not start a pay period: two-week pay periods start on {} and \
                     every second Monday before or after it; the pay periods around it are \
                     {before} and {after}",
                    first_monday.format("%Y-%m-%d")
                )));
            }
        }
        Ok((first, after_last))
    }

    /// The pay period named `id`, resolved in `zone`.
    pub fn resolve(self, id: &str, zone: Tz) -> Result<PayPeriod, PayPeriodIdError> {
        let (first, after_last) = self.parse(id)?;
        let outside = |_: PeriodError| {
            PayPeriodIdError(format!(
                "{id} lies outside the supported calendar (2000-01-01 to 9999-12-31)"
            ))
        };
        let period = Period {
            start: start_of_day(first, zone).map_err(outside)?,
            end: start_of_day(after_last, zone).map_err(outside)?,
        };
        Ok(PayPeriod {
            key: self.id_of_dates(first),
            days: DayRange::of_period(&period, zone),
            period,
        })
    }

    /// The pay period that contains the local date `date`.
    pub fn containing(self, date: NaiveDate, zone: Tz) -> Result<PayPeriod, PayPeriodIdError> {
        let first = self.first_day_containing(date);
        self.resolve(&self.id_of_dates(first), zone)
    }

    /// The id of the pay period whose local dates are exactly `[first,
    /// after_last)`, if there is one: a calendar read (a month, an ISO
    /// week) of exactly a pay period answers from its snapshot.
    pub fn id_of_exact_dates(self, first: NaiveDate, after_last: NaiveDate) -> Option<String> {
        let id = self.id_of_dates(first);
        match self.parse(&id) {
            Ok(dates) if dates == (first, after_last) => Some(id),
            _ => None,
        }
    }

    /// What an id of this kind looks like, for error messages.
    pub fn expectation(self) -> String {
        format!(
            "pay periods are {}: expected {}",
            self.kind_described(),
            self.syntax()
        )
    }

    fn kind_described(self) -> &'static str {
        match self {
            PayCalendar::Month => "calendar months",
            PayCalendar::HalfMonth => "half months",
            PayCalendar::IsoWeek => "ISO weeks",
            PayCalendar::TwoWeeks { .. } => "two ISO weeks",
        }
    }

    /// The first day of the pay period containing `date`.
    fn first_day_containing(self, date: NaiveDate) -> NaiveDate {
        let monday = date - Days::new(u64::from(date.weekday().num_days_from_monday()));
        match self {
            PayCalendar::Month => date.with_day(1).unwrap_or(date),
            PayCalendar::HalfMonth => date
                .with_day(if date.day() <= 15 { 1 } else { 16 })
                .unwrap_or(date),
            PayCalendar::IsoWeek => monday,
            PayCalendar::TwoWeeks { first_monday } => {
                let weeks = (monday - first_monday).num_days() / 7;
                if weeks.rem_euclid(2) == 0 {
                    monday
                } else {
                    monday - Days::new(7)
                }
            }
        }
    }

    /// The id of the pay period starting on `first` (not checked).
    fn id_of_dates(self, first: NaiveDate) -> String {
        let week = first.iso_week();
        match self {
            PayCalendar::Month => first.format("%Y-%m").to_string(),
            PayCalendar::HalfMonth => {
                let half = if first.day() <= 15 { 1 } else { 2 };
                format!("{}-H{half}", first.format("%Y-%m"))
            }
            PayCalendar::IsoWeek => format!("{:04}-W{:02}", week.year(), week.week()),
            PayCalendar::TwoWeeks { .. } => {
                format!("{:04}-W{:02}+2", week.year(), week.week())
            }
        }
    }
}

/// The local dates `[first, after_last)` of a pay-period id of any kind,
/// read by its syntax alone (a two-week id is not checked against the
/// configured cycle: the use case checks the id against the configured
/// kind).
pub fn dates_of_any_id(id: &str) -> Result<(NaiveDate, NaiveDate), PayPeriodIdError> {
    let calendar = if id.contains("-H") {
        PayCalendar::HalfMonth
    } else if id.ends_with("+2") {
        return id
            .strip_suffix("+2")
            .and_then(parse_iso_week)
            .filter(|monday| check_date(*monday).is_ok())
            .map(|monday| (monday, monday + Days::new(14)))
            .ok_or_else(|| any_kind_expected(id));
    } else if id.contains("-W") {
        PayCalendar::IsoWeek
    } else {
        PayCalendar::Month
    };
    calendar.parse(id).map_err(|_| any_kind_expected(id))
}

fn any_kind_expected(id: &str) -> PayPeriodIdError {
    let shown: String = id.chars().take(24).collect();
    PayPeriodIdError(format!(
        "expected a pay-period id (YYYY-MM, YYYY-MM-H1, YYYY-MM-H2, YYYY-Www or YYYY-Www+2) \
         between 2000 and 9999, got {shown:?}"
    ))
}

/// `YYYY-MM` -> its first day.
fn parse_month(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    if bytes.len() != 7 || bytes[4] != b'-' {
        return None;
    }
    let year = digits(&text[..4])?;
    let month = digits(&text[5..])?;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, 1)
}

/// `YYYY-MM-H1` / `YYYY-MM-H2` -> its dates.
fn parse_half_month(text: &str) -> Option<(NaiveDate, NaiveDate)> {
    let (month, half) = text.split_at_checked(7)?;
    let first = parse_month(month)?;
    let sixteenth = first.with_day(16)?;
    match half {
        "-H1" => Some((first, sixteenth)),
        "-H2" => Some((sixteenth, first_of_next_month(first))),
        _ => None,
    }
}

/// `YYYY-Www` -> the Monday of that ISO week.
fn parse_iso_week(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    if bytes.len() != 8 || &text[4..6] != "-W" {
        return None;
    }
    let year = digits(&text[..4])?;
    let week = digits(&text[6..])?;
    NaiveDate::from_isoywd_opt(year, u32::try_from(week).ok()?, Weekday::Mon)
}

/// ASCII digits only (no sign, no spaces).
fn digits(text: &str) -> Option<i32> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn first_of_next_month(first: NaiveDate) -> NaiveDate {
    first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first)
}

#[cfg(test)]
#[path = "pay_period_tests.rs"]
mod tests;
