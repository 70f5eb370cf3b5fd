//! Scorecard changes (spec: "Scorecard changes"): what one committed write
//! did to the KPI results of agents and teams in the periods it touched.
//! A change is one (subject, period, KPI) whose result moved, with the
//! result before and after exactly as a read returns it, and its cause.
//! Pure: a write stores each (subject, period)'s sums before and after it
//! with what judged them ([`ChangedSums`], the KPIs that may have moved in
//! [`MovedKpis`]); a reader judges both sides as a scorecard read does and
//! sends the KPIs whose result moved ([`result_moved`]), each with its own
//! position (`cursor`: opaque, self-checking tokens).

pub mod cursor;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{
    forecast::ForecastStatus,
    kpi::{KpiId, KpiSums},
    period::Period,
    policy::KpiStatus,
    scorecard::Scorecard,
};

/// Whose result changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SubjectKind {
    Agent,
    Team,
}

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Agent => "agent",
            SubjectKind::Team => "team",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "agent" => Some(SubjectKind::Agent),
            "team" => Some(SubjectKind::Team),
            _ => None,
        }
    }
}

/// The calendar periods a change is recorded for: the local day and the
/// month that contain a changed record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PeriodKind {
    Day,
    Month,
}

impl PeriodKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Day => "day",
            PeriodKind::Month => "month",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "day" => Some(PeriodKind::Day),
            "month" => Some(PeriodKind::Month),
            _ => None,
        }
    }
}

/// Positions per stored row: a change's position is its row's cursor
/// times this, plus its KPI's index in the catalogue (below 32), so that
/// one row carries every KPI of a (subject, period) that one write moved
/// and a client can still resume after any one of them.
pub const KPI_SLOTS: i64 = 32;

/// The row of a position, and the KPI index within it.
pub fn split_position(position: i64) -> (i64, usize) {
    (
        position.div_euclid(KPI_SLOTS),
        position.rem_euclid(KPI_SLOTS) as usize,
    )
}

/// The position of KPI `index` of row `row`.
pub fn position_of(row: i64, index: usize) -> i64 {
    row * KPI_SLOTS + index as i64
}

/// The bit of KPI `index` in a row's masks.
pub fn kpi_bit(index: usize) -> u32 {
    1u32 << index
}

/// The forecast status of KPI `index`, if the scorecard has forecasts.
fn forecast_status(scorecard: &Scorecard, index: usize) -> Option<ForecastStatus> {
    scorecard.forecast(index).map(|forecast| forecast.status)
}

/// Whether the feed reports KPI `index` of two scorecards of one subject
/// and period: its status, its value or its forecast status moved.
pub fn result_moved(before: &Scorecard, after: &Scorecard, index: usize) -> bool {
    let status = |scorecard: &Scorecard| {
        scorecard
            .verdict
            .assessments
            .get(index)
            .map(|assessment| assessment.status)
    };
    let value = |scorecard: &Scorecard| scorecard.values.get(index).and_then(|value| value.value);
    status(before) != status(after)
        || value(before) != value(after)
        || forecast_status(before, index) != forecast_status(after, index)
}

/// What a write may have moved, per KPI (bit `kpi_bit(index)`), judged
/// without forecasts: `candidates` holds every KPI whose numbers, status
/// or rule moved (a forecast, read at one instant on both sides, moves
/// only with those), `statuses` those whose status moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MovedKpis {
    pub candidates: u32,
    pub statuses: u32,
}

impl MovedKpis {
    pub fn of(before: &Scorecard, after: &Scorecard) -> Self {
        let mut moved = Self::default();
        let pairs = before
            .values
            .iter()
            .zip(&before.verdict.assessments)
            .zip(after.values.iter().zip(&after.verdict.assessments));
        for (index, ((old_value, old), (new_value, new))) in pairs.enumerate() {
            let numbers = old_value.value != new_value.value
                || old_value.numerator != new_value.numerator
                || old_value.denominator != new_value.denominator
                || old_value.sample_size != new_value.sample_size;
            if old.status != new.status {
                moved.statuses |= kpi_bit(index);
            }
            if numbers || old.status != new.status || old.rule != new.rule {
                moved.candidates |= kpi_bit(index);
            }
        }
        moved
    }

    pub fn is_empty(&self) -> bool {
        self.candidates == 0
    }
}

/// One subject's sums in one period before and after a write, and what
/// judged them: what the change log stores (one row per subject, period
/// and write), and from which a reader judges the results exactly as a
/// scorecard read does.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangedSums {
    pub subject_kind: SubjectKind,
    pub subject_id: String,
    /// A team subject's id; for an agent, the team whose policy judged the
    /// agent's period (`None`: no team).
    pub team_id: Option<String>,
    pub period_kind: PeriodKind,
    pub period: Period,
    /// "YYYY-MM" of the month the period lies in.
    pub month: String,
    pub before: KpiSums,
    pub after: KpiSums,
    /// The policy version that judged the side before (`None`: the
    /// catalogue's defaults); a new policy version or a team move changes it.
    pub policy_before_id: Option<i64>,
    /// The policy version that judged the side after.
    pub policy_version_id: Option<i64>,
    /// An agent's goals in force for the period (ids).
    pub goal_ids: Vec<i64>,
    pub moved: MovedKpis,
}

/// A stored row of the change log.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredChanges {
    /// The row's cursor (see [`KPI_SLOTS`]).
    pub row: i64,
    pub committed_at: DateTime<Utc>,
    pub sums: ChangedSums,
    pub cause: ChangeCause,
}

/// What caused a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeCause {
    /// An ingest batch of one record kind (new records, corrections, voids).
    Ingest { record_kind: String },
    /// A new policy version.
    PolicyVersion { policy_version_id: i64 },
    /// An agent's team change (possibly back-dated).
    TeamMove { agent_id: String },
}

impl ChangeCause {
    /// The stored kind and detail.
    pub fn parts(&self) -> (&'static str, String) {
        match self {
            ChangeCause::Ingest { record_kind } => ("ingest", record_kind.clone()),
            ChangeCause::PolicyVersion { policy_version_id } => {
                ("policy_version", policy_version_id.to_string())
            }
            ChangeCause::TeamMove { agent_id } => ("team_move", agent_id.clone()),
        }
    }

    pub fn from_parts(kind: &str, detail: String) -> Option<Self> {
        Some(match kind {
            "ingest" => ChangeCause::Ingest {
                record_kind: detail,
            },
            "policy_version" => ChangeCause::PolicyVersion {
                policy_version_id: detail.parse().ok()?,
            },
            "team_move" => ChangeCause::TeamMove { agent_id: detail },
            _ => return None,
        })
    }
}

/// One change as the feed sends it: one KPI of one subject and period,
/// with the scorecards before and after the write it belongs to.
#[derive(Debug, Clone)]
pub struct ScorecardChange {
    /// Its place in commit order (see `cursor` and [`KPI_SLOTS`]).
    pub position: i64,
    pub committed_at: DateTime<Utc>,
    pub subject_kind: SubjectKind,
    pub subject_id: String,
    /// See [`ChangedSums::team_id`].
    pub team_id: Option<String>,
    pub period_kind: PeriodKind,
    pub month: String,
    pub kpi: KpiId,
    /// The KPI's index in the scorecards' values.
    pub index: usize,
    /// Both judged as a read at the commit instant judges them (with the
    /// forecast of a period then in progress), shared by the changes of
    /// one row.
    pub before: Arc<Scorecard>,
    pub after: Arc<Scorecard>,
    pub cause: Arc<ChangeCause>,
}

impl ScorecardChange {
    /// The status after the write.
    pub fn status_after(&self) -> Option<KpiStatus> {
        self.after
            .verdict
            .assessments
            .get(self.index)
            .map(|assessment| assessment.status)
    }

    /// The status before the write.
    pub fn status_before(&self) -> Option<KpiStatus> {
        self.before
            .verdict
            .assessments
            .get(self.index)
            .map(|assessment| assessment.status)
    }
}

/// What a reader asks for: every list is "any" when empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeFilter {
    pub agent_ids: Vec<String>,
    pub team_ids: Vec<String>,
    pub kpis: Vec<KpiId>,
    /// Only status transitions into one of these statuses.
    pub into_statuses: Vec<KpiStatus>,
    /// Only changes to periods of this month ("YYYY-MM").
    pub month: Option<String>,
    /// Only changes committed at or after this instant.
    pub committed_since: Option<DateTime<Utc>>,
    /// The caller's scope: `None` reads every team; `Some(teams)` only
    /// changes of these teams and of agents judged by them.
    pub scope_teams: Option<Vec<String>>,
}

impl ChangeFilter {
    /// The row-mask bits of the KPIs asked for (every bit when any).
    pub fn kpi_mask(&self) -> u32 {
        if self.kpis.is_empty() {
            return u32::MAX;
        }
        KpiId::ALL
            .iter()
            .enumerate()
            .filter(|(_, kpi)| self.kpis.contains(kpi))
            .fold(0, |mask, (index, _)| mask | kpi_bit(index))
    }

    /// Whether a judged change passes the conditions a row's masks cannot
    /// decide: its KPI, and a status transition into one asked for.
    pub fn passes(&self, change: &ScorecardChange) -> bool {
        if !self.kpis.is_empty() && !self.kpis.contains(&change.kpi) {
            return false;
        }
        if self.into_statuses.is_empty() {
            return true;
        }
        let (before, after) = (change.status_before(), change.status_after());
        before != after && after.is_some_and(|status| self.into_statuses.contains(&status))
    }
}

#[cfg(test)]
mod tests;
