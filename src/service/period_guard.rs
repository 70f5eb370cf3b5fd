//! Closed months never change silently: a change that would alter how a
//! closed month is judged (a policy version, a team move effective inside
//! it or before it) is refused, and the refusal is audited.
//!
//! The check runs inside the change's own transaction, after it took the
//! numbers lock exclusively (`storage::lock_numbers`), which a close holds
//! too: either the change commits before a close reads anything, or the
//! close committed first and the check sees the month closed.

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;

use crate::{
    domain::{
        audit::{AuditActor, AuditChange},
        calendar::LocalDay,
    },
    error::ServiceError,
    storage::{
        audit,
        periods::{closed_through, first_closed_month_ending_after},
        Database, StorageError,
    },
};

/// A change refused because it falls in a closed month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedMonth {
    /// The first closed month the change would alter (`YYYY-MM`).
    pub month: String,
    /// The day the change would take effect.
    pub effective_from: NaiveDate,
}

/// A kind of change a closed month refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    /// Its name in the audit trail (`ChangeRefused.what`).
    audit_name: &'static str,
    /// How the error message names it.
    described: &'static str,
}

/// Moving an agent between teams from a day.
pub const TEAM_MOVE: Change = Change {
    audit_name: "team_move",
    described: "a team move",
};

/// A policy version effective from a day.
pub const POLICY_VERSION: Change = Change {
    audit_name: "policy_version",
    described: "a policy version",
};

/// An agent goal effective from a day.
pub const AGENT_GOAL: Change = Change {
    audit_name: "agent_goal",
    described: "an agent goal",
};

/// The closed month a change effective on `day` would alter, if any. Call
/// it on the change's transaction once the numbers lock is held.
pub async fn closed_month_altered_by(
    transaction: &impl ConnectionTrait,
    day: LocalDay,
) -> Result<Option<ClosedMonth>, StorageError> {
    let Some(first_open_day) = closed_through(transaction).await? else {
        return Ok(None);
    };
    if day >= first_open_day {
        return Ok(None);
    }
    let month = first_closed_month_ending_after(transaction, day)
        .await?
        .unwrap_or_else(|| first_open_day.date().format("%Y-%m").to_string());
    Ok(Some(ClosedMonth {
        month,
        effective_from: day.date(),
    }))
}

/// Audits the refusal of `change` about `subject` (an agent, a team, ""
/// for the organisation) in a transaction of its own (the refused one
/// rolled back) and returns the caller's error: FAILED_PRECONDITION,
/// PERIOD_CLOSED, naming the month.
pub async fn refuse(
    database: &Database,
    actor: &AuditActor,
    change: Change,
    subject: &str,
    closed: ClosedMonth,
) -> ServiceError {
    let refusal = AuditChange::ChangeRefused {
        what: change.audit_name.to_owned(),
        subject: subject.to_owned(),
        effective_from: closed.effective_from.format("%Y-%m-%d").to_string(),
        closed_month: closed.month.clone(),
    };
    if let Err(error) = audit::append_alone(database, actor, &refusal).await {
        return error.into();
    }
    ServiceError::period_closed(change.described, closed.effective_from, &closed.month)
}
