//! A KPI result as stored in a change row: the status in a column of its
//! own (filters read it), the rest as a small JSON document.

use serde_json::{json, Value as Json};

use crate::{
    domain::{
        changes::KpiResultState,
        policy::{KpiRule, KpiStatus, Target},
    },
    storage::StorageError,
};

pub(super) fn status_from_str(text: &str) -> Result<KpiStatus, StorageError> {
    Ok(match text {
        "MET" => KpiStatus::Met,
        "AT_RISK" => KpiStatus::AtRisk,
        "BREACHED" => KpiStatus::Breached,
        "INSUFFICIENT_DATA" => KpiStatus::InsufficientData,
        "NO_TARGET" => KpiStatus::NoTarget,
        other => return Err(StorageError::Corrupt(format!("change status {other:?}"))),
    })
}

fn target_to_json(target: Target) -> Json {
    match target {
        Target::AtLeast(bound) => json!({ "ge": bound }),
        Target::AtMost(bound) => json!({ "le": bound }),
        Target::Between { low, high } => json!({ "lo": low, "hi": high }),
    }
}

fn target_from_json(value: &Json) -> Option<Target> {
    if let Some(bound) = value.get("ge").and_then(Json::as_f64) {
        return Some(Target::AtLeast(bound));
    }
    if let Some(bound) = value.get("le").and_then(Json::as_f64) {
        return Some(Target::AtMost(bound));
    }
    Some(Target::Between {
        low: value.get("lo")?.as_f64()?,
        high: value.get("hi")?.as_f64()?,
    })
}

/// The JSON document of a result (everything but the status).
pub(super) fn result_to_json(state: &KpiResultState) -> String {
    let rule = state.rule.map(|rule| {
        json!({
            "t": rule.target.map(target_to_json),
            "b": rule.warning_band,
            "w": rule.weight,
            "g": rule.gate,
            "s": rule.min_sample_size,
        })
    });
    json!({
        "v": state.value,
        "n": state.numerator,
        "d": state.denominator,
        "s": state.sample_size,
        "m": state.margin,
        "r": rule,
    })
    .to_string()
}

/// A result back from its status and JSON document.
pub(super) fn result_from_json(status: &str, text: &str) -> Result<KpiResultState, StorageError> {
    let corrupt = || StorageError::Corrupt("change result document".into());
    let document: Json = serde_json::from_str(text).map_err(|_| corrupt())?;
    let rule = match document.get("r") {
        Some(Json::Object(rule)) => Some(KpiRule {
            target: rule.get("t").and_then(target_from_json),
            warning_band: rule.get("b").and_then(Json::as_f64),
            weight: rule.get("w").and_then(Json::as_f64).ok_or_else(corrupt)?,
            gate: rule.get("g").and_then(Json::as_bool).ok_or_else(corrupt)?,
            min_sample_size: rule.get("s").and_then(Json::as_u64).ok_or_else(corrupt)?,
            // Graded scoring is not part of a change yet (see the README's
            // "Scorecard changes": credits, goals and forecasts are not
            // compared or carried).
            scoring: Default::default(),
        }),
        _ => None,
    };
    Ok(KpiResultState {
        value: document.get("v").and_then(Json::as_f64),
        numerator: document
            .get("n")
            .and_then(Json::as_f64)
            .ok_or_else(corrupt)?,
        denominator: document
            .get("d")
            .and_then(Json::as_f64)
            .ok_or_else(corrupt)?,
        sample_size: document
            .get("s")
            .and_then(Json::as_u64)
            .ok_or_else(corrupt)?,
        status: status_from_str(status)?,
        margin: document.get("m").and_then(Json::as_f64),
        rule,
    })
}
