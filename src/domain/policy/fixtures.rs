//! Values and rules the unit tests of this module judge.

use super::{KpiRule, Target};
use crate::domain::kpi::{KpiId, KpiValue};

/// A rate KPI of `numerator` in `denominator` (as a percentage).
pub fn rate(kpi: KpiId, numerator: f64, denominator: f64) -> KpiValue {
    KpiValue {
        kpi,
        value: (denominator > 0.0).then(|| numerator * 100.0 / denominator),
        numerator,
        denominator,
        sample_size: denominator as u64,
    }
}

/// A rule of weight 1 with `target`, minimum sample 1, no band, no gate.
pub fn rule(target: Target) -> KpiRule {
    KpiRule {
        target: Some(target),
        warning_band: None,
        weight: 1.0,
        gate: false,
        min_sample_size: 1,
        scoring: Default::default(),
    }
}
