//! Closed months as the use cases see them. A snapshot holds each scorecard
//! exactly as the API answered it, so that a closed month reads back byte
//! for byte: writing those bytes is the adapter's business (it knows the
//! wire format), given to the use cases as a [`SnapshotEncoding`]. What the
//! use cases need to decide with (order by composite score, pick breaches,
//! compare with today's numbers) they read back as a [`StoredScorecard`].

mod reads;

pub use reads::{pay_period_of, snapshot_for, ClosedReading};

use crate::{
    domain::{
        closing::{ClosedPeriod, SnapshotEntry, SnapshotMeta},
        directory::Agent,
        kpi::KpiValue,
        policy::{Assessment, BonusTier, KpiStatus},
        scorecard::Scorecard,
    },
    error::ServiceError,
};

/// How scorecards and responses are written into the database, and read
/// back, in the API's own encoding.
pub trait SnapshotEncoding: Send + Sync {
    /// An agent's scorecard as `GetAgentScorecard` answers it.
    fn agent(&self, agent: &Agent, scorecard: &Scorecard) -> Vec<u8>;
    /// A team's scorecard as `GetTeamScorecard` answers it.
    fn team(&self, team_id: &str, scorecard: &Scorecard, members: &[String]) -> Vec<u8>;
    /// What the use cases read of a stored agent scorecard; `None` when the
    /// bytes do not decode.
    fn read_agent(&self, payload: &[u8]) -> Option<StoredScorecard>;
}

/// One KPI of a stored (or live) scorecard, as far as comparisons and
/// breach lists need it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredKpi {
    pub kpi_id: String,
    pub value: Option<f64>,
    pub numerator: f64,
    pub denominator: f64,
    pub sample_size: i64,
    /// `None` when the stored status is unknown to this version.
    pub status: Option<KpiStatus>,
    pub margin: Option<f64>,
}

impl StoredKpi {
    /// A live value and its assessment, in the same terms.
    pub fn live(value: &KpiValue, assessment: &Assessment) -> Self {
        Self {
            kpi_id: value.kpi.as_str().to_owned(),
            value: value.value,
            numerator: value.numerator,
            denominator: value.denominator,
            sample_size: i64::try_from(value.sample_size).unwrap_or(i64::MAX),
            status: Some(assessment.status),
            margin: assessment.margin,
        }
    }

    /// Whether the numbers a payroll run pays on are the same.
    pub fn same_numbers(&self, other: &StoredKpi) -> bool {
        self.value == other.value
            && self.numerator == other.numerator
            && self.denominator == other.denominator
            && self.sample_size == other.sample_size
            && self.status == other.status
    }
}

/// A stored agent scorecard, as far as the use cases read it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredScorecard {
    pub agent_id: String,
    pub composite: Option<f64>,
    pub bonus_eligible: bool,
    /// The bonus tier reached (`None`: none, or a policy without tiers).
    pub bonus_tier: Option<BonusTier>,
    pub kpis: Vec<StoredKpi>,
}

impl StoredScorecard {
    /// A live scorecard in the same terms.
    pub fn live(agent_id: &str, scorecard: &Scorecard) -> Self {
        Self {
            agent_id: agent_id.to_owned(),
            composite: scorecard.verdict.composite,
            bonus_eligible: scorecard.verdict.bonus_eligible,
            bonus_tier: scorecard.verdict.bonus_tier.clone(),
            kpis: scorecard
                .values
                .iter()
                .zip(&scorecard.verdict.assessments)
                .map(|(value, assessment)| StoredKpi::live(value, assessment))
                .collect(),
        }
    }
}

/// The snapshot version a read answers from.
#[derive(Debug, Clone)]
pub struct SnapshotRead {
    pub period: ClosedPeriod,
    pub version: SnapshotMeta,
}

impl SnapshotRead {
    /// A key that tells snapshot versions apart (page tokens never mix them).
    pub fn key(&self) -> String {
        format!("{}v{}", self.period.month, self.version.version)
    }
}

/// A stored scorecard and the snapshot it comes from.
#[derive(Debug, Clone)]
pub struct FromSnapshot {
    pub entry: SnapshotEntry,
    pub snapshot: SnapshotMeta,
    /// `YYYY-MM`.
    pub month: String,
}

/// Reads a stored agent scorecard, or fails as INTERNAL (a snapshot that
/// does not decode is a broken invariant, logged here).
pub fn read_agent(
    encoding: &dyn SnapshotEncoding,
    entry: &SnapshotEntry,
) -> Result<StoredScorecard, ServiceError> {
    encoding.read_agent(&entry.payload).ok_or_else(|| {
        tracing::error!(subject = %entry.subject_id, "a stored snapshot does not decode");
        ServiceError::Internal
    })
}

/// What the use cases read of a stored agent scorecard (INTERNAL when it
/// does not decode).
pub fn read_stored_agent(
    encoding: &dyn SnapshotEncoding,
    from: &FromSnapshot,
) -> Result<StoredScorecard, ServiceError> {
    read_agent(encoding, &from.entry)
}

/// The snapshot version a read asks for: `requested`, or the current one
/// when 0; NOT_FOUND when the month has no such version.
pub fn resolve_version(
    period: &ClosedPeriod,
    requested: i32,
) -> Result<SnapshotMeta, ServiceError> {
    let wanted = if requested == 0 {
        period.current_version
    } else {
        requested
    };
    period
        .version(wanted)
        .cloned()
        .ok_or_else(|| ServiceError::NotFound {
            reason: "SNAPSHOT_VERSION_NOT_FOUND",
            resource_type: "snapshot version",
            name: format!("{} v{wanted}", period.month),
        })
}
