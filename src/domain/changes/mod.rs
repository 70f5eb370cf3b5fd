//! Scorecard changes (spec: "Scorecard changes"): what one committed write
//! did to the KPI results of agents and teams in the periods it touched.
//! A change is one (subject, period, KPI) whose result moved, with the
//! result before and after exactly as a read returns it, and its cause.
//! Pure: the use cases read the scorecards before and after a write and
//! hand them to [`diff`]; storage gives each change its cursor
//! (`cursor`: opaque, self-checking tokens).

pub mod cursor;

use chrono::{DateTime, Utc};

use super::{
    kpi::KpiId,
    period::Period,
    policy::{KpiRule, KpiStatus},
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

/// One KPI's result as a scorecard read returns it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KpiResultState {
    pub value: Option<f64>,
    pub numerator: f64,
    pub denominator: f64,
    pub sample_size: u64,
    pub status: KpiStatus,
    pub margin: Option<f64>,
    pub rule: Option<KpiRule>,
}

/// Every KPI's result of a scorecard, in catalogue order.
pub fn results_of(scorecard: &Scorecard) -> Vec<(KpiId, KpiResultState)> {
    scorecard
        .values
        .iter()
        .zip(&scorecard.verdict.assessments)
        .map(|(value, assessment)| {
            (
                value.kpi,
                KpiResultState {
                    value: value.value,
                    numerator: value.numerator,
                    denominator: value.denominator,
                    sample_size: value.sample_size,
                    status: assessment.status,
                    margin: assessment.margin,
                    rule: assessment.rule,
                },
            )
        })
        .collect()
}

/// Whether a KPI's result moved in a way the feed reports: its status,
/// its value, or its forecast status.
pub fn result_moved(before: &KpiResultState, after: &KpiResultState) -> bool {
    before.status != after.status
        || before.value != after.value
        || forecast_status_moved(before, after)
}

/// MERGE POINT (issue 17b): when `KpiResult` carries a forecast, compare
/// the forecast statuses here (and carry the forecast in
/// [`KpiResultState`]). Until then no result has a forecast, so no forecast
/// status can move.
pub fn forecast_status_moved(_before: &KpiResultState, _after: &KpiResultState) -> bool {
    false
}

/// The KPIs whose result moved between two scorecards of the same subject
/// and period, with the results before and after.
pub fn diff(before: &Scorecard, after: &Scorecard) -> Vec<(KpiId, KpiResultState, KpiResultState)> {
    results_of(before)
        .into_iter()
        .zip(results_of(after))
        .filter(|((_, old), (_, new))| result_moved(old, new))
        .map(|((kpi, old), (_, new))| (kpi, old, new))
        .collect()
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

/// A change before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewChange {
    pub subject_kind: SubjectKind,
    pub subject_id: String,
    /// A team subject's id; for an agent, the team whose policy judged the
    /// agent's period (`None`: no team).
    pub team_id: Option<String>,
    pub period_kind: PeriodKind,
    pub period: Period,
    /// "YYYY-MM" of the month the period lies in.
    pub month: String,
    pub kpi: KpiId,
    pub before: KpiResultState,
    pub after: KpiResultState,
}

/// A stored change.
#[derive(Debug, Clone, PartialEq)]
pub struct ScorecardChange {
    /// Its place in commit order (see `cursor`).
    pub position: i64,
    pub committed_at: DateTime<Utc>,
    pub change: NewChange,
    pub cause: ChangeCause,
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

#[cfg(test)]
mod tests;
