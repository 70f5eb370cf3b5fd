//! A policy's content: a rule per KPI and the bonus threshold, and the
//! catalogue's defaults that judge a scope without a stored version.

use std::collections::BTreeMap;

use super::{BonusTier, KpiRule, Scoring};
use crate::domain::kpi::KpiId;

/// A policy's content: rules per KPI and the bonus threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyRules {
    /// KPIs without a rule have no target.
    pub rules: BTreeMap<KpiId, KpiRule>,
    /// Minimum composite score for a bonus, 0-100.
    pub bonus_threshold: f64,
    /// Bonus tiers in increasing order of their minimum composite; empty
    /// for a policy that pays by the threshold alone.
    pub bonus_tiers: Vec<BonusTier>,
}

/// The bonus threshold when no policy sets one. The spec names none; 80 is
/// the product's choice, documented in the proto.
pub const DEFAULT_BONUS_THRESHOLD: f64 = 80.0;

impl PolicyRules {
    /// The catalogue's defaults: each KPI with a default target, weight 1,
    /// minimum sample 1, its default gate flag, no warning band.
    pub fn catalogue_defaults() -> Self {
        let rules = KpiId::ALL
            .into_iter()
            .filter_map(|kpi| {
                let definition = kpi.definition();
                let target = definition.default_target?;
                Some((
                    kpi,
                    KpiRule {
                        target: Some(target),
                        warning_band: None,
                        weight: 1.0,
                        gate: definition.default_gate,
                        min_sample_size: 1,
                        scoring: Scoring::Binary,
                    },
                ))
            })
            .collect();
        Self {
            rules,
            bonus_threshold: DEFAULT_BONUS_THRESHOLD,
            bonus_tiers: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_weigh_every_kpi_with_a_default_target() {
        let defaults = PolicyRules::catalogue_defaults();
        assert_eq!(defaults.rules.len(), 15);
        assert_eq!(defaults.bonus_threshold, 80.0);
        assert!(defaults.rules[&KpiId::PrivacyCompliance].gate);
        assert!(!defaults.rules.contains_key(&KpiId::AvgResponseTime));
    }
}
