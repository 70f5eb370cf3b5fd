//! The two sides an adjustment compares (a snapshot version, and today's
//! numbers or a later version), and the comparison of one agent.

use crate::{
    domain::record_listing::{ListedRecord, RecordChange},
    service::snapshots::{StoredKpi, StoredScorecard},
};

/// Most changed records listed with one agent (`more_records` beyond).
pub const MAX_RECORDS_PER_AGENT: usize = 1_000;

/// One agent whose numbers moved, or whose records changed, since the
/// snapshot.
#[derive(Debug, Clone)]
pub struct AdjustedAgent {
    pub agent_id: String,
    /// Whether the earlier snapshot holds the agent.
    pub in_snapshot: bool,
    /// The team the agent is judged for, later side first (`None`: none).
    pub team_id: Option<String>,
    /// The earlier side in the API's encoding (`None`: not in it).
    pub before_payload: Option<Vec<u8>>,
    /// The later side (today's or the later version's) in the API's
    /// encoding (`None`: not in the later version).
    pub after_payload: Option<Vec<u8>>,
    /// The KPIs whose numbers differ (ids as stored, catalogue order).
    pub changed_kpis: Vec<String>,
    pub before_bonus_eligible: bool,
    pub before_composite: Option<f64>,
    /// Its records changed in between (empty unless asked for), at most
    /// [`MAX_RECORDS_PER_AGENT`].
    pub records: Vec<(ListedRecord, RecordChange)>,
    /// More changed records than listed.
    pub more_records: bool,
}

/// One agent's scorecard on one side.
#[derive(Debug, Clone)]
pub(super) struct Side {
    pub numbers: StoredScorecard,
    /// The team it was judged for.
    pub team_id: Option<String>,
    /// The scorecard in the API's encoding.
    pub payload: Vec<u8>,
}

/// The agent's adjustment, or `None` when no number a payroll run pays on
/// changed (a KPI's value, numerator, denominator, sample or status, or
/// the bonus eligibility) and no record of it changed.
pub(super) fn compare(
    agent_id: &str,
    before: Option<&Side>,
    after: Option<&Side>,
    records_changed: bool,
) -> Option<AdjustedAgent> {
    let empty = StoredScorecard {
        agent_id: agent_id.to_owned(),
        composite: None,
        bonus_eligible: false,
        kpis: Vec::new(),
    };
    let earlier = before.map_or(&empty, |side| &side.numbers);
    let later = after.map_or(&empty, |side| &side.numbers);
    let changed_kpis: Vec<String> = later
        .kpis
        .iter()
        .filter(|later_kpi| {
            let stored: Option<&StoredKpi> = earlier
                .kpis
                .iter()
                .find(|kpi| kpi.kpi_id == later_kpi.kpi_id);
            match stored {
                Some(stored) => !stored.same_numbers(later_kpi),
                None => later_kpi.sample_size != 0,
            }
        })
        .map(|kpi| kpi.kpi_id.clone())
        .collect();
    let flips = earlier.bonus_eligible != later.bonus_eligible;
    if changed_kpis.is_empty() && !flips && !records_changed {
        return None;
    }
    Some(AdjustedAgent {
        agent_id: agent_id.to_owned(),
        in_snapshot: before.is_some(),
        team_id: after
            .and_then(|side| side.team_id.clone())
            .or_else(|| before.and_then(|side| side.team_id.clone())),
        before_payload: before.map(|side| side.payload.clone()),
        after_payload: after.map(|side| side.payload.clone()),
        changed_kpis,
        before_bonus_eligible: earlier.bonus_eligible,
        before_composite: earlier.composite,
        records: Vec::new(),
        more_records: false,
    })
}
