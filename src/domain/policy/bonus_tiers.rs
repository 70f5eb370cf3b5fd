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
}
