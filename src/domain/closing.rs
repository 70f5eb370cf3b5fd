//! Closing a period: payroll closes a calendar month of the reporting zone,
//! and a snapshot keeps every agent's and team's scorecard of it as the API
//! answered it. Snapshots are written once and never updated; a
//! restatement adds a version.

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;

use super::{
    calendar::DayRange,
    period::{resolve, Period, PeriodError, PeriodSpec},
};

/// A calendar month of the reporting zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Month {
    /// `YYYY-MM`.
    pub key: String,
    pub period: Period,
    /// The local days it holds.
    pub days: DayRange,
}

impl Month {
    /// The month that contains `date`.
    pub fn containing(date: NaiveDate, zone: Tz) -> Result<Self, PeriodError> {
        let first = date.with_day(1).ok_or(PeriodError::OutOfRange)?;
        let period = resolve(PeriodSpec::Month(first), zone, 31)?;
        Ok(Month {
            key: first.format("%Y-%m").to_string(),
            days: DayRange::of_period(&period, zone),
            period,
        })
    }
}

/// Whose scorecard a snapshot entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    Agent,
    Team,
}

impl SubjectKind {
    /// As stored in `snapshot_scorecards.subject_kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Agent => "agent",
            SubjectKind::Team => "team",
        }
    }
}

/// One stored scorecard of a snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotEntry {
    pub subject_id: String,
    /// The team the scorecard was judged for (empty for none).
    pub team_id: String,
    pub payload: Vec<u8>,
}

/// One snapshot version of a closed month.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotMeta {
    pub version: i32,
    pub taken_at_us: i64,
    pub taken_by: String,
    pub reason: String,
    pub agent_scorecards: i64,
    pub team_scorecards: i64,
}

/// A closed month.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedPeriod {
    /// `YYYY-MM`.
    pub month: String,
    pub first_day: i32,
    pub end_day: i32,
    pub closed_at_us: i64,
    pub closed_by: String,
    pub current_version: i32,
    /// Oldest first.
    pub versions: Vec<SnapshotMeta>,
}

impl ClosedPeriod {
    pub fn version(&self, version: i32) -> Option<&SnapshotMeta> {
        self.versions.iter().find(|meta| meta.version == version)
    }
}
