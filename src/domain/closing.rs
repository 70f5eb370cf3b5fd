//! Closing a period: payroll closes a pay period of the reporting zone (a
//! calendar month unless configured otherwise: `pay_period`),
//! and a snapshot keeps every agent's and team's scorecard of it as the API
//! answered it. Snapshots are written once and never updated; a
//! restatement adds a version.

pub use super::pay_period::PayPeriod;

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

/// One snapshot version of a closed pay period.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotMeta {
    pub version: i32,
    pub taken_at_us: i64,
    pub taken_by: String,
    pub reason: String,
    pub agent_scorecards: i64,
    pub team_scorecards: i64,
}

/// A closed pay period.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedPeriod {
    /// The pay-period id (`YYYY-MM` for a month; see `pay_period`).
    pub month: String,
    pub first_day: i32,
    pub end_day: i32,
    pub closed_at_us: i64,
    pub closed_by: String,
    pub current_version: i32,
    /// Oldest first.
    pub versions: Vec<SnapshotMeta>,
    /// The pay-period kind it was closed under (`PayCalendar::recorded_name`).
    pub pay_period_kind: String,
}

impl ClosedPeriod {
    pub fn version(&self, version: i32) -> Option<&SnapshotMeta> {
        self.versions.iter().find(|meta| meta.version == version)
    }
}
