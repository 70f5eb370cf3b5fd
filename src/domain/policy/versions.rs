//! Stored policy versions: insert-only, each effective from a day, for a
//! team or the whole organisation.

use chrono::{DateTime, NaiveDate, Utc};

use super::PolicyRules;

/// One stored policy version.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyVersion {
    pub id: i64,
    /// `None` for the organisation's policy.
    pub team_id: Option<String>,
    pub effective_from: NaiveDate,
    pub rules: PolicyRules,
    pub created_at: DateTime<Utc>,
    /// The principal that stored it ("" for versions from before auth).
    pub created_by: String,
}

/// A policy version to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPolicyVersion {
    pub team_id: Option<String>,
    pub effective_from: NaiveDate,
    pub rules: PolicyRules,
    /// The principal storing it.
    pub created_by: String,
}
