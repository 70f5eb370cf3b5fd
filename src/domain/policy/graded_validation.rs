//! Validating the graded-plan parts of a policy (each rule's scoring, the
//! bonus tiers), as sent: every problem a field violation with its path,
//! in the manner of `validation` (goals: `goal_validation`).

use std::collections::BTreeSet;

use super::{
    BonusTier, CreditTier, CreditTiers, Floors, PolicyRules, RuleInput, Scoring, Target,
    MAX_BONUS_TIERS, MAX_CREDIT_TIERS, MAX_PAYOUT_PERCENT,
};
use crate::domain::{
    kpi::KpiId,
    violations::{indexed, nested, quoted, FieldViolation, Violations},
};

/// The longest bonus tier name, in characters.
pub const MAX_TIER_NAME_CHARS: usize = 64;

/// A rule's scoring as a caller sent it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScoringInput {
    /// `None`: BINARY (unset); `Some(Err(n))`: a value this version does
    /// not know.
    pub kind: Option<Result<ScoringKind, i32>>,
    pub floors: Floors,
    pub tiers: Vec<CreditTier>,
}

/// The scoring kinds of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoringKind {
    Binary,
    Linear,
    Tiers,
}

/// A bonus tier as a caller sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct BonusTierInput {
    pub minimum_composite: f64,
    pub name: String,
    pub payout_percent: f64,
}

/// The graded parts of a policy, validated: each rule's scoring and the
/// bonus tiers, to lay on the rules `validate_policy` returns.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GradedPlan {
    scorings: Vec<(KpiId, Scoring)>,
    bonus_tiers: Vec<BonusTier>,
}

impl GradedPlan {
    /// Sets the scorings and tiers on `rules`.
    pub fn apply(self, rules: &mut PolicyRules) {
        for (kpi, scoring) in self.scorings {
            if let Some(rule) = rules.rules.get_mut(&kpi) {
                rule.scoring = scoring;
            }
        }
        rules.bonus_tiers = self.bonus_tiers;
    }
}

/// Validates the graded parts of a policy as sent: `scorings[i]` belongs
/// to `rules[i]` (whose KPI id and target it is checked against; problems
/// with those are `validate_policy`'s to report). Problems are reported
/// below `path` (e.g. `policy.rules[1].floor`,
/// `policy.bonus_tiers[0].payout_percent`).
pub fn validate_graded_plan(
    path: &str,
    rules: &[RuleInput],
    scorings: &[ScoringInput],
    tiers: &[BonusTierInput],
) -> Result<GradedPlan, Vec<FieldViolation>> {
    let mut violations = Violations::new();
    let mut plan = GradedPlan::default();
    for (index, (rule, input)) in rules.iter().zip(scorings).enumerate() {
        let rule_path = indexed(&nested(path, "rules"), index);
        let scoring = check_scoring(&mut violations, &rule_path, rule.target, input);
        if let (Ok(kpi), Some(scoring)) = (rule.kpi_id.parse::<KpiId>(), scoring) {
            plan.scorings.push((kpi, scoring));
        }
    }
    plan.bonus_tiers = check_bonus_tiers(&mut violations, &nested(path, "bonus_tiers"), tiers);
    violations.into_result(plan)
}

fn check_scoring(
    violations: &mut Violations,
    path: &str,
    target: Option<Target>,
    input: &ScoringInput,
) -> Option<Scoring> {
    let field = |name: &str| nested(path, name);
    let kind = match input.kind {
        None | Some(Ok(ScoringKind::Binary)) => ScoringKind::Binary,
        Some(Ok(kind)) => kind,
        Some(Err(value)) => {
            violations.add(
                field("scoring"),
                format!("{value} is not a KpiScoring value"),
            );
            return None;
        }
    };
    let has_floors = input.floors != Floors::default();
    if kind != ScoringKind::Linear && has_floors {
        violations.add(field("floor"), "floors are only for LINEAR scoring");
    }
    if kind != ScoringKind::Tiers && !input.tiers.is_empty() {
        violations.add(
            field("credit_tiers"),
            "credit tiers are only for TIERS scoring",
        );
    }
    if kind == ScoringKind::Binary {
        return Some(Scoring::Binary);
    }
    let Some(target) = target else {
        violations.add(field("scoring"), "graded scoring needs a target");
        return None;
    };
    let before = violations.len();
    let scoring = match kind {
        ScoringKind::Linear => {
            check_floors(violations, path, target, &input.floors);
            Scoring::Linear(input.floors)
        }
        _ => {
            check_credit_tiers(violations, &field("credit_tiers"), target, &input.tiers);
            Scoring::Tiers(CreditTiers::new(&input.tiers))
        }
    };
    (violations.len() == before).then_some(scoring)
}

/// A floor must lie strictly on the target's bad side: below an `at_least`,
/// above an `at_most`; a range takes `floor_below` < low and `floor_above`
/// > high (and no single `floor`).
pub(super) fn check_floors(
    violations: &mut Violations,
    path: &str,
    target: Target,
    floors: &Floors,
) {
    let field = |name: &str| nested(path, name);
    let mut side = |name: &str, floor: Option<f64>, bound: f64, below: bool| match floor {
        None => violations.add(field(name), format!("LINEAR scoring needs {name}")),
        Some(floor) if !floor.is_finite() => {
            violations.add(field(name), format!("{name} must be a finite number"))
        }
        Some(floor) if below && floor >= bound => violations.add(
            field(name),
            format!("{name} ({floor}) must be below the target's bound ({bound})"),
        ),
        Some(floor) if !below && floor <= bound => violations.add(
            field(name),
            format!("{name} ({floor}) must be above the target's bound ({bound})"),
        ),
        Some(_) => {}
    };
    match target {
        Target::AtLeast(bound) => side("floor", floors.floor, bound, true),
        Target::AtMost(bound) => side("floor", floors.floor, bound, false),
        Target::Between { low, high } => {
            side("floor_below", floors.below, low, true);
            side("floor_above", floors.above, high, false);
        }
    }
    let one_sided = !matches!(target, Target::Between { .. });
    if one_sided && (floors.below.is_some() || floors.above.is_some()) {
        violations.add(
            field("floor_below"),
            "floor_below and floor_above are for range targets; use floor",
        );
    }
    if !one_sided && floors.floor.is_some() {
        violations.add(
            field("floor"),
            "a range target takes floor_below and floor_above, not floor",
        );
    }
}

/// 1-8 tiers, each threshold better than the one before (increasing for
/// `at_least`, decreasing for `at_most`), credits 0-1 and not decreasing.
fn check_credit_tiers(
    violations: &mut Violations,
    path: &str,
    target: Target,
    tiers: &[CreditTier],
) {
    let increasing = match target {
        Target::AtLeast(_) => true,
        Target::AtMost(_) => false,
        Target::Between { .. } => {
            violations.add(path, "TIERS scoring needs an at_least or at_most target");
            return;
        }
    };
    if tiers.is_empty() || tiers.len() > MAX_CREDIT_TIERS {
        violations.add(
            path,
            format!("TIERS scoring needs 1 to {MAX_CREDIT_TIERS} credit tiers"),
        );
        return;
    }
    for (index, tier) in tiers.iter().enumerate() {
        let tier_path = indexed(path, index);
        if !tier.threshold.is_finite() {
            violations.add(
                nested(&tier_path, "threshold"),
                "threshold must be a finite number",
            );
        }
        if !(tier.credit.is_finite() && (0.0..=1.0).contains(&tier.credit)) {
            violations.add(
                nested(&tier_path, "credit"),
                "credit must be between 0 and 1",
            );
        }
        let Some(previous) = index.checked_sub(1).map(|i| tiers[i]) else {
            continue;
        };
        let better = if increasing {
            tier.threshold > previous.threshold
        } else {
            tier.threshold < previous.threshold
        };
        if !better {
            let order = if increasing {
                "increasing"
            } else {
                "decreasing"
            };
            violations.add(
                nested(&tier_path, "threshold"),
                format!(
                    "thresholds must be strictly {order} (each tier better than the one before)"
                ),
            );
        }
        if tier.credit < previous.credit {
            violations.add(
                nested(&tier_path, "credit"),
                "a better tier must not earn less credit than the one before",
            );
        }
    }
}

fn check_bonus_tiers(
    violations: &mut Violations,
    path: &str,
    inputs: &[BonusTierInput],
) -> Vec<BonusTier> {
    if inputs.len() > MAX_BONUS_TIERS {
        violations.add(
            path,
            format!("at most {MAX_BONUS_TIERS} bonus tiers are allowed"),
        );
        return Vec::new();
    }
    let mut names = BTreeSet::new();
    for (index, tier) in inputs.iter().enumerate() {
        let field = |name: &str| nested(&indexed(path, index), name);
        let minimum = tier.minimum_composite;
        if !(minimum.is_finite() && (0.0..=100.0).contains(&minimum)) {
            violations.add(
                field("minimum_composite"),
                "minimum_composite must be 0-100",
            );
        } else if index > 0 && minimum <= inputs[index - 1].minimum_composite {
            violations.add(
                field("minimum_composite"),
                "bonus tiers must be in strictly increasing order of minimum_composite",
            );
        }
        let name = tier.name.trim();
        if name.is_empty() || tier.name.chars().count() > MAX_TIER_NAME_CHARS {
            violations.add(
                field("name"),
                format!("name is required, at most {MAX_TIER_NAME_CHARS} characters"),
            );
        } else if !names.insert(name) {
            violations.add(field("name"), format!("{} names two tiers", quoted(name)));
        }
        let payout = tier.payout_percent;
        if !(payout.is_finite() && (0.0..=MAX_PAYOUT_PERCENT).contains(&payout)) {
            violations.add(
                field("payout_percent"),
                format!("payout_percent must be between 0 and {MAX_PAYOUT_PERCENT}"),
            );
        }
    }
    inputs
        .iter()
        .map(|tier| BonusTier {
            minimum_composite: tier.minimum_composite,
            name: tier.name.trim().to_owned(),
            payout_percent: tier.payout_percent,
        })
        .collect()
}

#[cfg(test)]
#[path = "graded_validation_tests.rs"]
mod tests;
