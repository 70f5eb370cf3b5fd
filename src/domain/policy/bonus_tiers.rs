//! Bonus tiers: a policy may pay by the composite score reached, in
//! ordered tiers (minimum composite, name, payout percentage). The tier is
//! the highest one reached when every gate KPI is met, none otherwise
//! (spec: "Graded plans").

use super::judging::TOLERANCE;

/// At most this many bonus tiers per policy.
pub const MAX_BONUS_TIERS: usize = 10;

/// The highest payout percentage a tier may name (10x the base bonus).
pub const MAX_PAYOUT_PERCENT: f64 = 1000.0;

/// One bonus tier of a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct BonusTier {
    /// The lowest composite score (0-100) that reaches the tier.
    pub minimum_composite: f64,
    pub name: String,
    /// Payout as a percentage of the base bonus, 0-1000.
    pub payout_percent: f64,
}

/// The highest tier whose minimum `composite` reaches (tiers are validated
/// in increasing order of their minimum).
pub fn tier_reached(tiers: &[BonusTier], composite: f64) -> Option<&BonusTier> {
    tiers
        .iter()
        .rev()
        .find(|tier| composite + TOLERANCE >= tier.minimum_composite)
}

/// How the payout moved between two scorecards of one agent (a snapshot
/// and today, or two snapshot versions): `None` when both reached the same
/// tier (same name and payout) or neither reached one; else the later
/// payout percentage minus the earlier, a side without a tier counting as
/// 0 (silver 100 -> gold 150 is +50; silver 100 -> none is -100).
pub fn payout_change(before: Option<&BonusTier>, after: Option<&BonusTier>) -> Option<f64> {
    let same = match (before, after) {
        (None, None) => true,
        (Some(before), Some(after)) => {
            before.name == after.name && before.payout_percent == after.payout_percent
        }
        _ => false,
    };
    if same {
        return None;
    }
    let payout = |tier: Option<&BonusTier>| tier.map_or(0.0, |tier| tier.payout_percent);
    Some(payout(after) - payout(before))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(minimum_composite: f64, name: &str, payout_percent: f64) -> BonusTier {
        BonusTier {
            minimum_composite,
            name: name.into(),
            payout_percent,
        }
    }

    #[test]
    fn the_highest_tier_reached_is_chosen() {
        let tiers = [
            tier(60.0, "bronze", 50.0),
            tier(75.0, "silver", 100.0),
            tier(90.0, "gold", 150.0),
        ];
        assert_eq!(
            tier_reached(&tiers, 80.0).map(|t| t.name.as_str()),
            Some("silver")
        );
        assert_eq!(
            tier_reached(&tiers, 90.0).map(|t| t.name.as_str()),
            Some("gold")
        );
        assert_eq!(tier_reached(&tiers, 59.99), None);
    }

    #[test]
    fn the_payout_change_is_the_later_tier_minus_the_earlier_none_counting_as_zero() {
        let (silver, gold) = (tier(75.0, "silver", 100.0), tier(90.0, "gold", 150.0));
        assert_eq!(payout_change(Some(&silver), Some(&gold)), Some(50.0));
        assert_eq!(payout_change(Some(&gold), Some(&silver)), Some(-50.0));
        assert_eq!(payout_change(Some(&silver), None), Some(-100.0));
        assert_eq!(payout_change(None, Some(&gold)), Some(150.0));
        assert_eq!(payout_change(None, None), None);
        assert_eq!(payout_change(Some(&silver), Some(&silver.clone())), None);
        // A restated policy that pays the same tier differently moves it.
        let richer_silver = tier(75.0, "silver", 120.0);
        assert_eq!(
            payout_change(Some(&silver), Some(&richer_silver)),
            Some(20.0)
        );
        // Only its minimum moved: the same tier, the same payout.
        let lower_silver = tier(70.0, "silver", 100.0);
        assert_eq!(payout_change(Some(&silver), Some(&lower_silver)), None);
    }
}
