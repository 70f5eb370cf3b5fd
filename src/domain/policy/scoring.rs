//! Graded plans: how much credit (0-1) a judged KPI earns in the composite
//! score (spec: "Graded plans"). `BINARY` is today's all-or-nothing;
//! `LINEAR` interpolates from a floor to the target; `TIERS` pays the
//! credit of the best threshold reached.

use super::{judging::TOLERANCE, KpiStatus, Target};

/// At most this many credit tiers per rule (keeps a rule `Copy` and a
/// policy readable).
pub const MAX_CREDIT_TIERS: usize = 8;

/// Where a `LINEAR` rule's credit reaches 0. One-sided targets use
/// `floor`; a range target uses `below` (< low) and `above` (> high).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Floors {
    pub floor: Option<f64>,
    pub below: Option<f64>,
    pub above: Option<f64>,
}

/// One (threshold, credit) pair of a `TIERS` rule.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CreditTier {
    /// In the KPI's unit.
    pub threshold: f64,
    /// 0-1.
    pub credit: f64,
}

/// A rule's credit tiers, in the order sent (validated: each threshold
/// better than the one before).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CreditTiers {
    tiers: [CreditTier; MAX_CREDIT_TIERS],
    len: usize,
}

impl CreditTiers {
    /// The first [`MAX_CREDIT_TIERS`] of `tiers` (validation refuses more).
    pub fn new(tiers: &[CreditTier]) -> Self {
        let mut table = Self::default();
        for tier in tiers.iter().take(MAX_CREDIT_TIERS) {
            table.tiers[table.len] = *tier;
            table.len += 1;
        }
        table
    }

    pub fn as_slice(&self) -> &[CreditTier] {
        &self.tiers[..self.len]
    }
}

/// How a judged KPI earns credit.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Scoring {
    /// 1 when MET or AT_RISK, else 0 (the default; today's behaviour).
    #[default]
    Binary,
    /// Clamped interpolation between the floor (0) and the target (1).
    Linear(Floors),
    /// The credit of the best threshold the value reaches, 0 if none.
    Tiers(CreditTiers),
}

impl Scoring {
    pub fn name(&self) -> &'static str {
        match self {
            Scoring::Binary => "BINARY",
            Scoring::Linear(_) => "LINEAR",
            Scoring::Tiers(_) => "TIERS",
        }
    }
}

fn clamp01(credit: f64) -> f64 {
    credit.clamp(0.0, 1.0)
}

/// The credit of `value` judged `status` against `target`. A met target
/// earns 1 under `LINEAR`; a `LINEAR` rule whose floor does not fit its
/// target (possible only when an agent goal moved the target past the
/// policy's floor) falls back to `BINARY`.
pub fn credit(scoring: &Scoring, target: Target, status: KpiStatus, value: f64) -> f64 {
    let binary = if status.meets_target() { 1.0 } else { 0.0 };
    match scoring {
        Scoring::Binary => binary,
        Scoring::Linear(_) if status.meets_target() => 1.0,
        Scoring::Linear(floors) => linear_credit(floors, target, value).unwrap_or(binary),
        Scoring::Tiers(tiers) => tier_credit(tiers.as_slice(), target, value),
    }
}

/// `None` when the floors do not fit the target (missing, or not strictly
/// on the target's bad side).
fn linear_credit(floors: &Floors, target: Target, value: f64) -> Option<f64> {
    let at_least = |bound: f64, floor: f64| {
        (floor < bound).then(|| clamp01((value - floor) / (bound - floor)))
    };
    let at_most = |bound: f64, floor: f64| {
        (floor > bound).then(|| clamp01((floor - value) / (floor - bound)))
    };
    match target {
        Target::AtLeast(bound) => at_least(bound, floors.floor?),
        Target::AtMost(bound) => at_most(bound, floors.floor?),
        Target::Between { low, high } => {
            let (below, above) = (floors.below?, floors.above?);
            if value < low {
                at_least(low, below)
            } else if value > high {
                at_most(high, above)
            } else {
                Some(1.0)
            }
        }
    }
}

/// The credit of the best threshold reached: the highest for `>=`, the
/// lowest for `<=` (a range target has no tiers; validation refuses it).
fn tier_credit(tiers: &[CreditTier], target: Target, value: f64) -> f64 {
    let reached = |tier: &&CreditTier| match target {
        Target::AtLeast(_) => value >= tier.threshold - TOLERANCE,
        Target::AtMost(_) => value <= tier.threshold + TOLERANCE,
        Target::Between { .. } => false,
    };
    let better = |a: &CreditTier, b: &CreditTier| match target {
        Target::AtMost(_) => b.threshold.total_cmp(&a.threshold),
        _ => a.threshold.total_cmp(&b.threshold),
    };
    tiers
        .iter()
        .filter(reached)
        .max_by(|a, b| better(a, b))
        .map_or(0.0, |tier| tier.credit)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MET: KpiStatus = KpiStatus::Met;
    const BREACHED: KpiStatus = KpiStatus::Breached;

    fn linear(floor: f64) -> Scoring {
        Scoring::Linear(Floors {
            floor: Some(floor),
            ..Floors::default()
        })
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn binary_credit_follows_the_status() {
        let target = Target::AtLeast(85.0);
        assert_eq!(credit(&Scoring::Binary, target, MET, 90.0), 1.0);
        assert_eq!(
            credit(&Scoring::Binary, target, KpiStatus::AtRisk, 86.0),
            1.0
        );
        assert_eq!(credit(&Scoring::Binary, target, BREACHED, 84.0), 0.0);
    }

    #[test]
    fn linear_credit_at_least_interpolates_from_the_floor() {
        // >= 85 with floor 65: (75 - 65) / (85 - 65) = 10 / 20 = 0.5.
        let target = Target::AtLeast(85.0);
        assert!(close(credit(&linear(65.0), target, BREACHED, 75.0), 0.5));
        // At or under the floor: 0; met: 1.
        assert_eq!(credit(&linear(65.0), target, BREACHED, 65.0), 0.0);
        assert_eq!(credit(&linear(65.0), target, BREACHED, 10.0), 0.0);
        assert_eq!(credit(&linear(65.0), target, MET, 85.0), 1.0);
    }

    #[test]
    fn linear_credit_at_most_interpolates_from_the_floor() {
        // <= 300 s with floor 400: (400 - 330) / (400 - 300) = 70 / 100 = 0.7.
        let target = Target::AtMost(300.0);
        assert!(close(credit(&linear(400.0), target, BREACHED, 330.0), 0.7));
        assert_eq!(credit(&linear(400.0), target, BREACHED, 500.0), 0.0);
        assert_eq!(credit(&linear(400.0), target, MET, 250.0), 1.0);
    }

    #[test]
    fn linear_credit_on_a_range_uses_the_floor_on_the_side_missed() {
        // 75-90 with floors 55 and 100.
        let target = Target::Between {
            low: 75.0,
            high: 90.0,
        };
        let scoring = Scoring::Linear(Floors {
            floor: None,
            below: Some(55.0),
            above: Some(100.0),
        });
        // Below: (70 - 55) / (75 - 55) = 15 / 20 = 0.75.
        assert!(close(credit(&scoring, target, BREACHED, 70.0), 0.75));
        // Above: (100 - 96) / (100 - 90) = 4 / 10 = 0.4.
        assert!(close(credit(&scoring, target, BREACHED, 96.0), 0.4));
        assert_eq!(credit(&scoring, target, MET, 80.0), 1.0);
        assert_eq!(credit(&scoring, target, BREACHED, 101.0), 0.0);
    }

    #[test]
    fn a_floor_on_the_wrong_side_falls_back_to_binary() {
        // A goal moved the target to >= 60 under the policy's floor of 65.
        assert_eq!(
            credit(&linear(65.0), Target::AtLeast(60.0), BREACHED, 59.0),
            0.0
        );
        assert_eq!(credit(&linear(65.0), Target::AtLeast(60.0), MET, 61.0), 1.0);
    }

    #[test]
    fn tier_credit_pays_the_best_threshold_reached() {
        let tiers = Scoring::Tiers(CreditTiers::new(&[
            CreditTier {
                threshold: 70.0,
                credit: 0.25,
            },
            CreditTier {
                threshold: 80.0,
                credit: 0.5,
            },
            CreditTier {
                threshold: 85.0,
                credit: 1.0,
            },
        ]));
        let target = Target::AtLeast(85.0);
        assert_eq!(credit(&tiers, target, BREACHED, 82.0), 0.5);
        assert_eq!(credit(&tiers, target, BREACHED, 70.0), 0.25);
        assert_eq!(credit(&tiers, target, BREACHED, 69.9), 0.0);
        assert_eq!(credit(&tiers, target, MET, 99.0), 1.0);

        // <= 300 s: 400 -> 0.3, 350 -> 0.6, 300 -> 1; the lowest reached wins.
        let aht = Scoring::Tiers(CreditTiers::new(&[
            CreditTier {
                threshold: 400.0,
                credit: 0.3,
            },
            CreditTier {
                threshold: 350.0,
                credit: 0.6,
            },
            CreditTier {
                threshold: 300.0,
                credit: 1.0,
            },
        ]));
        let target = Target::AtMost(300.0);
        assert_eq!(credit(&aht, target, BREACHED, 340.0), 0.6);
        assert_eq!(credit(&aht, target, BREACHED, 399.0), 0.3);
        assert_eq!(credit(&aht, target, BREACHED, 401.0), 0.0);
        assert_eq!(credit(&aht, target, MET, 120.0), 1.0);
    }
}
