//! Validating an agent goal as sent: its KPI and overrides, each problem
//! a field violation with its path (as `validation` does for policies).

use super::{
    graded_validation::check_floors,
    validation::{check_band_leaves_room, check_target},
    Floors, GoalOverrides, Target,
};
use crate::domain::{
    kpi::KpiId,
    violations::{nested, quoted, FieldViolation, Violations},
};

/// An agent goal as a caller sent it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GoalInput {
    pub kpi_id: String,
    pub target: Option<Target>,
    pub warning_band: Option<f64>,
    pub floors: Floors,
}

/// Validates a goal's KPI and overrides below `path` (e.g. `goal`). A
/// floor needs a target in the same goal, so that the pair is checked
/// together; a goal with no override ends earlier goals of its KPI.
pub fn validate_goal(
    path: &str,
    input: &GoalInput,
) -> Result<(KpiId, GoalOverrides), Vec<FieldViolation>> {
    let mut violations = Violations::new();
    let field = |name: &str| nested(path, name);
    let kpi = match input.kpi_id.parse::<KpiId>() {
        Ok(kpi) => Some(kpi),
        Err(_) => {
            violations.add(
                field("kpi_id"),
                format!(
                    "{} is not a KPI of the catalogue (see ListKpis)",
                    quoted(&input.kpi_id)
                ),
            );
            None
        }
    };
    let band = input.warning_band.filter(|band| {
        let valid = band.is_finite() && *band >= 0.0;
        if !valid {
            violations.add(field("warning_band"), "warning_band must be a number >= 0");
        }
        valid
    });
    if let (Some(kpi), Some(target)) = (kpi, input.target) {
        let before = violations.len();
        check_target(&mut violations, &field("target"), kpi, target);
        if let (Some(band), true) = (band, violations.len() == before) {
            check_band_leaves_room(&mut violations, &field("warning_band"), kpi, target, band);
        }
    }
    let has_floors = input.floors != Floors::default();
    match (has_floors, input.target) {
        (false, _) => {}
        (true, None) => violations.add(
            field("floor"),
            "a goal that sets a floor must set the target too",
        ),
        (true, Some(target)) => check_floors(&mut violations, path, target, &input.floors),
    }
    let overrides = GoalOverrides {
        target: input.target,
        warning_band: input.warning_band,
        floors: has_floors.then_some(input.floors),
    };
    match kpi {
        Some(kpi) => violations.into_result((kpi, overrides)),
        None => Err(violations.into_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_goal_floor_needs_a_target_and_unknown_kpis_are_named() {
        let floor_only = GoalInput {
            kpi_id: "csat".into(),
            floors: Floors {
                floor: Some(60.0),
                ..Floors::default()
            },
            ..GoalInput::default()
        };
        let violations = validate_goal("goal", &floor_only).unwrap_err();
        assert_eq!(violations[0].field, "goal.floor");
        let unknown = GoalInput {
            kpi_id: "cast".into(),
            ..GoalInput::default()
        };
        assert_eq!(
            validate_goal("goal", &unknown).unwrap_err()[0].field,
            "goal.kpi_id"
        );
        let fine = GoalInput {
            kpi_id: "csat".into(),
            target: Some(Target::AtLeast(75.0)),
            floors: Floors {
                floor: Some(60.0),
                ..Floors::default()
            },
            ..GoalInput::default()
        };
        let (kpi, overrides) = validate_goal("goal", &fine).unwrap();
        assert_eq!(kpi, KpiId::Csat);
        assert_eq!(overrides.field_names(), vec!["target", "floor"]);
    }
}
