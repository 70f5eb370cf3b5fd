//! The stored JSON of graded plans: a rule's scoring (a key of the rule's
//! object in `policy_versions.rules`, absent for `BINARY`, so binary rules
//! are stored exactly as before), a version's bonus tiers
//! (`policy_versions.bonus_tiers`) and an agent goal's overrides
//! (`agent_goals.overrides`):
//!
//! - scoring: `{"linear": {"floor": x, "below": x, "above": x}}` (nulls
//!   where absent) or `{"tiers": [[threshold, credit], ...]}`;
//! - bonus tiers: `[{"minimum_composite": x, "name": "...",
//!   "payout_percent": x}, ...]`;
//! - overrides: `{"target": <as in rules>, "warning_band": x,
//!   "floors": {"floor": .., "below": .., "above": ..}}`.

use serde_json::{json, Value};

use super::StorageError;
use crate::domain::policy::{
    BonusTier, CreditTier, CreditTiers, Floors, GoalOverrides, Scoring, Target,
};

fn corrupt(what: &str) -> StorageError {
    StorageError::Corrupt(format!("graded plan: {what}"))
}

pub(super) fn target_to_json(target: Option<Target>) -> Value {
    match target {
        Some(Target::AtLeast(value)) => json!({ "at_least": value }),
        Some(Target::AtMost(value)) => json!({ "at_most": value }),
        Some(Target::Between { low, high }) => json!({ "between": [low, high] }),
        None => Value::Null,
    }
}

pub(super) fn target_from_json(value: &Value) -> Result<Option<Target>, StorageError> {
    Ok(if let Some(bound) = value["at_least"].as_f64() {
        Some(Target::AtLeast(bound))
    } else if let Some(bound) = value["at_most"].as_f64() {
        Some(Target::AtMost(bound))
    } else if let Some(bounds) = value["between"].as_array() {
        let bound = |index: usize| {
            bounds
                .get(index)
                .and_then(Value::as_f64)
                .ok_or_else(|| corrupt("range"))
        };
        Some(Target::Between {
            low: bound(0)?,
            high: bound(1)?,
        })
    } else {
        None
    })
}

fn floors_to_json(floors: &Floors) -> Value {
    json!({ "floor": floors.floor, "below": floors.below, "above": floors.above })
}

fn floors_from_json(value: &Value) -> Floors {
    Floors {
        floor: value["floor"].as_f64(),
        below: value["below"].as_f64(),
        above: value["above"].as_f64(),
    }
}

/// The rule object's `scoring` value; `None` for `BINARY` (key left out).
pub(super) fn scoring_to_json(scoring: &Scoring) -> Option<Value> {
    match scoring {
        Scoring::Binary => None,
        Scoring::Linear(floors) => Some(json!({ "linear": floors_to_json(floors) })),
        Scoring::Tiers(tiers) => {
            let pairs: Vec<Value> = tiers
                .as_slice()
                .iter()
                .map(|tier| json!([tier.threshold, tier.credit]))
                .collect();
            Some(json!({ "tiers": pairs }))
        }
    }
}

/// A rule object's scoring: `BINARY` when the key is absent or null.
pub(super) fn scoring_from_json(value: &Value) -> Result<Scoring, StorageError> {
    if value.is_null() {
        return Ok(Scoring::Binary);
    }
    if let Some(floors) = value.get("linear") {
        return Ok(Scoring::Linear(floors_from_json(floors)));
    }
    let pairs = value["tiers"]
        .as_array()
        .ok_or_else(|| corrupt("unknown scoring"))?;
    let tiers = pairs
        .iter()
        .map(|pair| {
            Ok(CreditTier {
                threshold: pair[0].as_f64().ok_or_else(|| corrupt("tier"))?,
                credit: pair[1].as_f64().ok_or_else(|| corrupt("tier"))?,
            })
        })
        .collect::<Result<Vec<_>, StorageError>>()?;
    Ok(Scoring::Tiers(CreditTiers::new(&tiers)))
}

/// `None` (NULL) for no tiers.
pub(super) fn bonus_tiers_to_json(tiers: &[BonusTier]) -> Option<String> {
    if tiers.is_empty() {
        return None;
    }
    let items: Vec<Value> = tiers
        .iter()
        .map(|tier| {
            json!({
                "minimum_composite": tier.minimum_composite,
                "name": tier.name,
                "payout_percent": tier.payout_percent,
            })
        })
        .collect();
    Some(Value::Array(items).to_string())
}

pub(super) fn bonus_tiers_from_json(text: Option<&str>) -> Result<Vec<BonusTier>, StorageError> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    let items: Vec<Value> = serde_json::from_str(text).map_err(|_| corrupt("bonus tiers"))?;
    items
        .iter()
        .map(|item| {
            Ok(BonusTier {
                minimum_composite: item["minimum_composite"]
                    .as_f64()
                    .ok_or_else(|| corrupt("tier minimum"))?,
                name: item["name"]
                    .as_str()
                    .ok_or_else(|| corrupt("tier name"))?
                    .to_owned(),
                payout_percent: item["payout_percent"]
                    .as_f64()
                    .ok_or_else(|| corrupt("tier payout"))?,
            })
        })
        .collect()
}

pub(super) fn overrides_to_json(overrides: &GoalOverrides) -> String {
    json!({
        "target": target_to_json(overrides.target),
        "warning_band": overrides.warning_band,
        "floors": overrides.floors.as_ref().map(floors_to_json),
    })
    .to_string()
}

pub(super) fn overrides_from_json(text: &str) -> Result<GoalOverrides, StorageError> {
    let value: Value = serde_json::from_str(text).map_err(|_| corrupt("goal overrides"))?;
    Ok(GoalOverrides {
        target: target_from_json(&value["target"])?,
        warning_band: value["warning_band"].as_f64(),
        floors: (!value["floors"].is_null()).then(|| floors_from_json(&value["floors"])),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graded_plans_read_back_as_stored() {
        let tiers = Scoring::Tiers(CreditTiers::new(&[
            CreditTier {
                threshold: 70.0,
                credit: 0.5,
            },
            CreditTier {
                threshold: 85.0,
                credit: 1.0,
            },
        ]));
        let linear = Scoring::Linear(Floors {
            floor: None,
            below: Some(55.0),
            above: Some(100.0),
        });
        for scoring in [tiers, linear] {
            let stored = scoring_to_json(&scoring).unwrap();
            assert_eq!(scoring_from_json(&stored).unwrap(), scoring);
        }
        assert_eq!(scoring_to_json(&Scoring::Binary), None);
        assert_eq!(scoring_from_json(&Value::Null).unwrap(), Scoring::Binary);

        let overrides = GoalOverrides {
            target: Some(Target::AtMost(320.0)),
            warning_band: None,
            floors: Some(Floors {
                floor: Some(400.0),
                ..Floors::default()
            }),
        };
        assert_eq!(
            overrides_from_json(&overrides_to_json(&overrides)).unwrap(),
            overrides
        );
    }
}
