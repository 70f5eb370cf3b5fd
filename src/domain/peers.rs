//! An agent among peers: ranks of agents by a KPI value, competition
//! style ("1224": ties share a rank, the next rank skips), in the KPI's
//! direction (lower AHT ranks higher). Only agents with a value and enough
//! sample take part; the yardstick for "enough" is given by the caller.

use super::kpi::{Direction, KpiId, KpiValue};

/// Values closer than this tie (as in judging: noise never splits a tie).
const TOLERANCE: f64 = 1e-9;

/// An agent's place among the ranked agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rank {
    /// 1 = best; agents that tie share a rank.
    pub rank: u32,
    /// How many agents were ranked (the agent included).
    pub ranked: u32,
}

/// Whether `value` takes part in a ranking: it has a value and, except for
/// counts, at least `min_sample_size` observations.
pub fn rankable(value: &KpiValue, min_sample_size: u64) -> bool {
    value.value.is_some() && (value.kpi.is_count() || value.sample_size >= min_sample_size)
}

/// `own`'s competition rank among `values` (which include `own`'s), each
/// already known to be rankable; `None` when `own` is not rankable.
pub fn rank_among(
    kpi: KpiId,
    own: Option<f64>,
    values: impl IntoIterator<Item = f64>,
) -> Option<Rank> {
    let own = own?;
    let better = |other: f64| match kpi.definition().direction {
        Direction::HigherIsBetter => other > own + TOLERANCE,
        Direction::LowerIsBetter => other < own - TOLERANCE,
    };
    let (mut ahead, mut ranked) = (0_u32, 0_u32);
    for value in values {
        ranked = ranked.saturating_add(1);
        if better(value) {
            ahead = ahead.saturating_add(1);
        }
    }
    Some(Rank {
        rank: ahead + 1,
        ranked: ranked.max(ahead + 1),
    })
}

/// One KPI of an agent among its peers: each part only when the caller
/// asked for it and may see it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct KpiPeers {
    /// The team's pooled value.
    pub team: Option<KpiValue>,
    pub team_rank: Option<Rank>,
    /// The organisation's pooled value.
    pub organisation: Option<KpiValue>,
    pub organisation_rank: Option<Rank>,
}

/// `own`'s rank among `group` (the group's agents' values of the same KPI,
/// `own`'s included), counting the rankable ones only.
pub fn rank_in_group<'a>(
    own: &KpiValue,
    min_sample_size: u64,
    group: impl IntoIterator<Item = &'a KpiValue>,
) -> Option<Rank> {
    if !rankable(own, min_sample_size) {
        return None;
    }
    let values = group
        .into_iter()
        .filter(|value| rankable(value, min_sample_size))
        .filter_map(|value| value.value);
    rank_among(own.kpi, own.value, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_a_rank_and_the_next_rank_skips() {
        // CSAT 90, 80, 80, 70: ranks 1, 2, 2, 4.
        let values = [90.0, 80.0, 80.0, 70.0];
        let ranks: Vec<u32> = values
            .iter()
            .map(|own| rank_among(KpiId::Csat, Some(*own), values).unwrap().rank)
            .collect();
        assert_eq!(ranks, vec![1, 2, 2, 4]);
        assert_eq!(
            rank_among(KpiId::Csat, Some(70.0), values).unwrap().ranked,
            4
        );
    }

    #[test]
    fn lower_is_better_ranks_the_shortest_handle_time_first() {
        let values = [240.0, 300.0, 180.0];
        let rank = |own: f64| rank_among(KpiId::Aht, Some(own), values).unwrap().rank;
        assert_eq!((rank(180.0), rank(240.0), rank(300.0)), (1, 2, 3));
    }

    #[test]
    fn an_agent_without_enough_sample_is_not_ranked() {
        let small = KpiValue {
            kpi: KpiId::Csat,
            value: Some(100.0),
            numerator: 2.0,
            denominator: 2.0,
            sample_size: 2,
        };
        assert!(!rankable(&small, 5));
        assert!(rankable(&small, 2));
        let violations = KpiValue {
            kpi: KpiId::Violations,
            value: Some(0.0),
            numerator: 0.0,
            denominator: 1.0,
            sample_size: 0,
        };
        assert!(rankable(&violations, 5), "counts ignore the minimum sample");
        assert_eq!(rank_among(KpiId::Csat, None, [90.0]), None);
    }
}
