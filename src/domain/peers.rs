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

/// Where an agent stands in a group for one KPI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// The agent's rank; `None` when the agent itself is not rankable.
    pub rank: Option<u32>,
    /// How many of the group's agents are rankable.
    pub ranked: u32,
}

/// One KPI of an agent among its peers: each part only when the caller
/// asked for it and may see it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct KpiPeers {
    /// The team's pooled value.
    pub team: Option<KpiValue>,
    pub team_standing: Option<Standing>,
    /// The organisation's pooled value.
    pub organisation: Option<KpiValue>,
    pub organisation_standing: Option<Standing>,
}

/// `own`'s standing in `group` (the group's agents' values of the same
/// KPI, `own`'s included), counting the rankable ones only.
pub fn standing_in_group<'a>(
    own: &KpiValue,
    min_sample_size: u64,
    group: impl IntoIterator<Item = &'a KpiValue>,
) -> Standing {
    let values: Vec<f64> = group
        .into_iter()
        .filter(|value| rankable(value, min_sample_size))
        .filter_map(|value| value.value)
        .collect();
    let ranked = u32::try_from(values.len()).unwrap_or(u32::MAX);
    let rank = if rankable(own, min_sample_size) {
        rank_among(own.kpi, own.value, values).map(|rank| rank.rank)
    } else {
        None
    };
    Standing { rank, ranked }
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

    #[test]
    fn a_standing_counts_the_rankable_agents_even_when_the_agent_is_not_one() {
        let csat = |satisfied: f64, responses: f64| KpiValue {
            kpi: KpiId::Csat,
            value: Some(satisfied * 100.0 / responses),
            numerator: satisfied,
            denominator: responses,
            sample_size: responses as u64,
        };
        let (small, a, b) = (csat(2.0, 2.0), csat(8.0, 10.0), csat(9.0, 10.0));
        let group = [small, a, b];
        assert_eq!(
            standing_in_group(&a, 5, &group),
            Standing {
                rank: Some(2),
                ranked: 2
            }
        );
        assert_eq!(
            standing_in_group(&small, 5, &group),
            Standing {
                rank: None,
                ranked: 2
            }
        );
    }
}
