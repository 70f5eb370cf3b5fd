//! Policy versions: inserted, never updated; repositories over any
//! connection. `effective_policy` reads the version in force afresh: a
//! write that freezes numbers (a close, a restatement) calls it inside its
//! own transaction; read paths that may lag by nothing but a notification
//! use `storage::policy_cache`. Rules are stored as a JSON
//! array so that adding a rule field needs no schema change:
//! `[{"kpi": "csat", "target": {"at_least": 85}, "warning_band": 2,
//!    "weight": 1, "gate": false, "min_sample_size": 20}, ...]`
//! with `target` one of `{"at_least": x}`, `{"at_most": x}`,
//! `{"between": [low, high]}` or `null`, and for graded rules a `scoring`
//! key (see `storage::graded_json`, which also encodes bonus tiers).

use std::{collections::BTreeMap, str::FromStr};

use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, Statement,
};
use serde_json::{json, Value};

use super::{
    entities::policy_version,
    graded_json::{
        bonus_tiers_from_json, bonus_tiers_to_json, scoring_from_json, scoring_to_json,
        target_from_json, target_to_json,
    },
    instant, StorageError,
};
use crate::domain::{
    kpi::KpiId,
    policy::{KpiRule, NewPolicyVersion, PolicyRules, PolicyVersion},
};

fn rules_to_json(rules: &PolicyRules) -> String {
    let items: Vec<Value> = rules
        .rules
        .iter()
        .map(|(kpi, rule)| {
            let mut item = json!({
                "kpi": kpi.as_str(),
                "target": target_to_json(rule.target),
                "warning_band": rule.warning_band,
                "weight": rule.weight,
                "gate": rule.gate,
                "min_sample_size": rule.min_sample_size,
            });
            if let Some(scoring) = scoring_to_json(&rule.scoring) {
                item["scoring"] = scoring;
            }
            item
        })
        .collect();
    Value::Array(items).to_string()
}

fn rules_from_json(
    text: &str,
    bonus_threshold: f64,
    bonus_tiers: Option<&str>,
) -> Result<PolicyRules, StorageError> {
    let corrupt = |what: &str| StorageError::Corrupt(format!("policy rules: {what}"));
    let items: Vec<Value> = serde_json::from_str(text).map_err(|_| corrupt("not a JSON array"))?;
    let mut rules = BTreeMap::new();
    for item in items {
        let kpi_text = item["kpi"].as_str().ok_or_else(|| corrupt("missing kpi"))?;
        let kpi = KpiId::from_str(kpi_text).map_err(|_| corrupt("unknown kpi"))?;
        let rule = KpiRule {
            target: target_from_json(&item["target"])?,
            warning_band: item["warning_band"].as_f64(),
            weight: item["weight"].as_f64().ok_or_else(|| corrupt("weight"))?,
            gate: item["gate"].as_bool().unwrap_or(false),
            min_sample_size: item["min_sample_size"].as_u64().unwrap_or(0),
            scoring: scoring_from_json(&item["scoring"])?,
        };
        rules.insert(kpi, rule);
    }
    Ok(PolicyRules {
        rules,
        bonus_threshold,
        bonus_tiers: bonus_tiers_from_json(bonus_tiers)?,
    })
}

pub(super) fn from_row(row: policy_version::Model) -> Result<PolicyVersion, StorageError> {
    Ok(PolicyVersion {
        id: row.id,
        effective_from: row.effective_from,
        rules: rules_from_json(&row.rules, row.bonus_threshold, row.bonus_tiers.as_deref())?,
        created_at: instant(row.created_at_us)?,
        team_id: row.team_id,
        created_by: row.created_by,
    })
}

/// The PostgreSQL channel a new version is announced on (its id as the
/// payload), so that every replica's policy cache forgets what it loaded
/// (see `storage::policy_cache`).
pub const POLICY_VERSIONS_CHANNEL: &str = "kpi_policy_versions";

/// Stores a new version stamped `created_at_us` and returns it. On
/// PostgreSQL it also announces the version on
/// [`POLICY_VERSIONS_CHANNEL`]; the database delivers the announcement when
/// (and only if) the caller's transaction commits.
pub async fn insert_policy_version(
    connection: &impl ConnectionTrait,
    new: &NewPolicyVersion,
    created_at_us: i64,
) -> Result<PolicyVersion, StorageError> {
    let result = policy_version::Entity::insert(policy_version::ActiveModel {
        id: sea_orm::ActiveValue::NotSet,
        team_id: Set(new.team_id.clone()),
        effective_from: Set(new.effective_from),
        bonus_threshold: Set(new.rules.bonus_threshold),
        rules: Set(rules_to_json(&new.rules)),
        created_at_us: Set(created_at_us),
        created_by: Set(new.created_by.chars().take(256).collect()),
        bonus_tiers: Set(bonus_tiers_to_json(&new.rules.bonus_tiers)),
    })
    .exec(connection)
    .await?;
    let id = result.last_insert_id;
    if connection.get_database_backend() == DatabaseBackend::Postgres {
        connection
            .execute(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [
                    sea_orm::Value::from(POLICY_VERSIONS_CHANNEL),
                    sea_orm::Value::from(id.to_string()),
                ],
            ))
            .await?;
    }
    get_policy_version(connection, id)
        .await?
        .ok_or_else(|| StorageError::Corrupt("policy version vanished after insert".into()))
}

/// One version.
pub async fn get_policy_version(
    connection: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<PolicyVersion>, StorageError> {
    policy_version::Entity::find_by_id(id)
        .one(connection)
        .await?
        .map(from_row)
        .transpose()
}

/// Versions of one scope, newest id first, ids below `before` if given.
pub async fn list_policy_versions(
    connection: &impl ConnectionTrait,
    team_id: Option<&str>,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<PolicyVersion>, StorageError> {
    let mut query = policy_version::Entity::find().order_by_desc(policy_version::Column::Id);
    query = match team_id {
        Some(team_id) => query.filter(policy_version::Column::TeamId.eq(team_id)),
        None => query.filter(policy_version::Column::TeamId.is_null()),
    };
    if let Some(before) = before {
        query = query.filter(policy_version::Column::Id.lt(before));
    }
    query
        .limit(limit)
        .all(connection)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

/// The version in force on `date` for `team_id`: the team's latest
/// effective on or before the date, else the organisation's; `None` means
/// the catalogue defaults.
pub async fn effective_policy(
    connection: &impl ConnectionTrait,
    team_id: Option<&str>,
    date: NaiveDate,
) -> Result<Option<PolicyVersion>, StorageError> {
    if let Some(team_id) = team_id {
        if let Some(version) = latest_effective(connection, Some(team_id), date).await? {
            return Ok(Some(version));
        }
    }
    latest_effective(connection, None, date).await
}

async fn latest_effective(
    connection: &impl ConnectionTrait,
    team_id: Option<&str>,
    date: NaiveDate,
) -> Result<Option<PolicyVersion>, StorageError> {
    let mut query = policy_version::Entity::find()
        .filter(policy_version::Column::EffectiveFrom.lte(date))
        .order_by_desc(policy_version::Column::EffectiveFrom)
        .order_by_desc(policy_version::Column::Id);
    query = match team_id {
        Some(team_id) => query.filter(policy_version::Column::TeamId.eq(team_id)),
        None => query.filter(policy_version::Column::TeamId.is_null()),
    };
    query.one(connection).await?.map(from_row).transpose()
}
