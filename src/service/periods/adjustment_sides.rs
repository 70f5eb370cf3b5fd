//! The two sides an adjustment compares (a snapshot version, and today's
//! numbers or a later version), and the comparison of one agent.

use crate::{
    domain::{
        policy::{payout_change, BonusTier},
        record_listing::{ListedRecord, RecordChange},
    },
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
    /// The bonus tier each side reached (`None`: none, or no tiers).
    pub before_bonus_tier: Option<BonusTier>,
    pub after_bonus_tier: Option<BonusTier>,
    /// `Some(later payout % - earlier payout %)` when the tier reached
    /// changed (see `policy::payout_change`), `None` when it did not.
    pub payout_change: Option<f64>,
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
/// changed (a KPI's value, numerator, denominator, sample or status, the
/// bonus eligibility or the bonus tier) and no record of it changed.
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
        bonus_tier: None,
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
    let payout_change = payout_change(earlier.bonus_tier.as_ref(), later.bonus_tier.as_ref());
    if changed_kpis.is_empty() && !flips && payout_change.is_none() && !records_changed {
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
        before_bonus_tier: earlier.bonus_tier.clone(),
        after_bonus_tier: later.bonus_tier.clone(),
        payout_change,
        records: Vec::new(),
        more_records: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(bonus_tier: Option<BonusTier>) -> Side {
        Side {
            numbers: StoredScorecard {
                agent_id: "ana".into(),
                composite: Some(80.0),
                bonus_eligible: true,
                bonus_tier,
                kpis: Vec::new(),
            },
            team_id: Some("red".into()),
            payload: Vec::new(),
        }
    }

    fn tier(name: &str, payout_percent: f64) -> Option<BonusTier> {
        Some(BonusTier {
            minimum_composite: 50.0,
            name: name.into(),
            payout_percent,
        })
    }

    #[test]
    fn a_tier_change_alone_lists_the_agent_with_the_payout_moved() {
        let (before, after) = (side(tier("silver", 100.0)), side(tier("gold", 150.0)));

        let adjusted = compare("ana", Some(&before), Some(&after), false).unwrap();

        assert!(adjusted.changed_kpis.is_empty());
        assert_eq!(adjusted.payout_change, Some(50.0));
        assert_eq!(adjusted.before_bonus_tier.unwrap().name, "silver");
        assert_eq!(adjusted.after_bonus_tier.unwrap().name, "gold");
    }

    #[test]
    fn the_same_tier_on_both_sides_and_nothing_else_lists_nothing() {
        let (before, after) = (side(tier("silver", 100.0)), side(tier("silver", 100.0)));

        assert!(compare("ana", Some(&before), Some(&after), false).is_none());
        assert!(compare("ana", Some(&side(None)), Some(&side(None)), false).is_none());
    }
}
