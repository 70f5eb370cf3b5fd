//! How one KPI value is judged against its rule: the target, the margin to
//! it, the warning band and the minimum sample (spec: "Scorecard and bonus
//! semantics").

use super::Scoring;
use crate::domain::kpi::{KpiId, KpiValue};

/// Tolerance for comparisons at exact boundaries, so floating-point noise
/// never flips a status (a value 1e-12 under its target meets it).
pub(super) const TOLERANCE: f64 = 1e-9;

/// A KPI target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    AtLeast(f64),
    AtMost(f64),
    /// Met inside `[low, high]`, breached on either side.
    Between {
        low: f64,
        high: f64,
    },
}

impl Target {
    /// Signed distance of `value` to the target on its good side: positive
    /// when met, negative when missed (by that much).
    pub fn margin(&self, value: f64) -> f64 {
        match *self {
            Target::AtLeast(bound) => value - bound,
            Target::AtMost(bound) => bound - value,
            Target::Between { low, high } => (value - low).min(high - value),
        }
    }
}

/// How one KPI is judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KpiRule {
    pub target: Option<Target>,
    /// A met value within this distance of the target is AT_RISK.
    pub warning_band: Option<f64>,
    pub weight: f64,
    pub gate: bool,
    pub min_sample_size: u64,
    /// How a judged value earns credit in the composite (graded plans).
    pub scoring: Scoring,
}

/// A KPI's status in a scorecard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KpiStatus {
    Met,
    AtRisk,
    Breached,
    InsufficientData,
    NoTarget,
}

impl KpiStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KpiStatus::Met => "MET",
            KpiStatus::AtRisk => "AT_RISK",
            KpiStatus::Breached => "BREACHED",
            KpiStatus::InsufficientData => "INSUFFICIENT_DATA",
            KpiStatus::NoTarget => "NO_TARGET",
        }
    }

    /// MET or AT_RISK: the target is met.
    pub fn meets_target(self) -> bool {
        matches!(self, KpiStatus::Met | KpiStatus::AtRisk)
    }

    /// Judged against a target with enough data.
    pub fn is_judged(self) -> bool {
        matches!(
            self,
            KpiStatus::Met | KpiStatus::AtRisk | KpiStatus::Breached
        )
    }
}

/// The judgement of one KPI.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assessment {
    pub kpi: KpiId,
    pub status: KpiStatus,
    /// Signed distance to the target (see [`Target::margin`]); `None` when
    /// not judged.
    pub margin: Option<f64>,
    /// The rule applied, if the policy has one for the KPI.
    pub rule: Option<KpiRule>,
}

/// Judges one KPI value by its rule.
pub fn assess(rule: Option<&KpiRule>, value: &KpiValue) -> Assessment {
    let unjudged = |status| Assessment {
        kpi: value.kpi,
        status,
        margin: None,
        rule: rule.copied(),
    };
    let Some(target) = rule.and_then(|rule| rule.target) else {
        return unjudged(KpiStatus::NoTarget);
    };
    let min_sample_size = rule.map_or(0, |rule| rule.min_sample_size);
    let Some(observed) = value.value else {
        return unjudged(KpiStatus::InsufficientData);
    };
    if !value.kpi.is_count() && value.sample_size < min_sample_size {
        return unjudged(KpiStatus::InsufficientData);
    }
    let margin = target.margin(observed);
    let band = rule.and_then(|rule| rule.warning_band).unwrap_or(0.0);
    let status = if margin < -TOLERANCE {
        KpiStatus::Breached
    } else if band > 0.0 && margin < band - TOLERANCE {
        KpiStatus::AtRisk
    } else {
        KpiStatus::Met
    };
    Assessment {
        kpi: value.kpi,
        status,
        margin: Some(margin),
        rule: rule.copied(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        kpi::KpiId,
        policy::fixtures::{rate, rule},
    };

    #[test]
    fn an_exact_boundary_meets_the_target() {
        // 17 of 20 satisfied = 85 % exactly against >= 85.
        let assessment = assess(
            Some(&rule(Target::AtLeast(85.0))),
            &rate(KpiId::Csat, 17.0, 20.0),
        );
        assert_eq!(assessment.status, KpiStatus::Met);
        assert_eq!(assessment.margin, Some(0.0));
    }

    #[test]
    fn a_range_target_is_breached_on_either_side() {
        let occupancy = rule(Target::Between {
            low: 75.0,
            high: 90.0,
        });
        let high = assess(Some(&occupancy), &rate(KpiId::Occupancy, 95.0, 100.0));
        assert_eq!(
            (high.status, high.margin),
            (KpiStatus::Breached, Some(-5.0))
        );
        let low = assess(Some(&occupancy), &rate(KpiId::Occupancy, 70.0, 100.0));
        assert_eq!((low.status, low.margin), (KpiStatus::Breached, Some(-5.0)));
        let inside = assess(Some(&occupancy), &rate(KpiId::Occupancy, 80.0, 100.0));
        assert_eq!((inside.status, inside.margin), (KpiStatus::Met, Some(5.0)));
    }

    #[test]
    fn the_warning_band_marks_values_near_the_target_at_risk() {
        let mut csat = rule(Target::AtLeast(85.0));
        csat.warning_band = Some(5.0);
        // 87.5 meets 85 but lies within 5 of it; 90 is exactly at the band's edge.
        assert_eq!(
            assess(Some(&csat), &rate(KpiId::Csat, 7.0, 8.0)).status,
            KpiStatus::AtRisk
        );
        assert_eq!(
            assess(Some(&csat), &rate(KpiId::Csat, 9.0, 10.0)).status,
            KpiStatus::Met
        );
        assert_eq!(
            assess(Some(&csat), &rate(KpiId::Csat, 4.0, 5.0)).status,
            KpiStatus::Breached
        );

        let mut errors = rule(Target::AtMost(2.0));
        errors.warning_band = Some(1.0);
        // 1.5 % is under 2 but within 1 of it.
        assert_eq!(
            assess(Some(&errors), &rate(KpiId::ErrorRate, 3.0, 200.0)).status,
            KpiStatus::AtRisk
        );
        assert_eq!(
            assess(Some(&errors), &rate(KpiId::ErrorRate, 1.0, 200.0)).status,
            KpiStatus::Met
        );

        let mut occupancy = rule(Target::Between {
            low: 75.0,
            high: 90.0,
        });
        occupancy.warning_band = Some(2.0);
        assert_eq!(
            assess(Some(&occupancy), &rate(KpiId::Occupancy, 89.0, 100.0)).status,
            KpiStatus::AtRisk
        );
        assert_eq!(
            assess(Some(&occupancy), &rate(KpiId::Occupancy, 76.0, 100.0)).status,
            KpiStatus::AtRisk
        );
        assert_eq!(
            assess(Some(&occupancy), &rate(KpiId::Occupancy, 80.0, 100.0)).status,
            KpiStatus::Met
        );
    }

    #[test]
    fn a_small_sample_is_insufficient_data_and_no_target_is_reported_as_such() {
        let mut csat = rule(Target::AtLeast(85.0));
        csat.min_sample_size = 5;
        let assessment = assess(Some(&csat), &rate(KpiId::Csat, 1.0, 3.0));
        assert_eq!(assessment.status, KpiStatus::InsufficientData);
        assert_eq!(assessment.margin, None);
        assert_eq!(
            assess(Some(&csat), &rate(KpiId::Csat, 0.0, 0.0)).status,
            KpiStatus::InsufficientData
        );
        assert_eq!(
            assess(None, &rate(KpiId::Csat, 1.0, 3.0)).status,
            KpiStatus::NoTarget
        );
        // Count KPIs ignore the minimum sample: zero violations meets <= 1.
        let mut violations = rule(Target::AtMost(1.0));
        violations.min_sample_size = 10;
        let zero = KpiValue {
            kpi: KpiId::Violations,
            value: Some(0.0),
            numerator: 0.0,
            denominator: 1.0,
            sample_size: 0,
        };
        assert_eq!(assess(Some(&violations), &zero).status, KpiStatus::Met);
    }
}
