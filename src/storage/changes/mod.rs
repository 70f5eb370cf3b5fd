//! The scorecard change log (`scorecard_changes`) and its state row.
//!
//! **Commit order.** A cursor must never become visible after a larger one
//! did, or a reader that already moved past the larger one would skip it.
//! A plain sequence does not give that on PostgreSQL (a transaction can
//! draw a smaller number and commit later). So every transaction that
//! records changes takes [`lock_change_order`], a transaction-scoped
//! advisory lock held until it commits, before it reads the results it
//! compares (ingest: after its write; see `service::changes::recorder`);
//! the cursors it then draws from the state row's counter are larger than
//! those of every transaction that committed before it, and no other
//! change-writing transaction can commit in between. The same lock makes
//! each change's `before` the previous change's `after`. SQLite has a
//! single writer already.
//!
//! **Wake-ups.** The transaction announces its last cursor (`NOTIFY`,
//! delivered at commit) so that readers on every replica look again; the
//! table stays the truth (`signal`).

mod encoding;
mod listener;
mod period_rebuild;
pub mod period_sums;
mod scope;
pub mod signal;
mod team_sums;
mod write;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, QueryResult, Statement, Value};

use super::{instant, rollups::maintain::placeholder, StorageError};
use crate::domain::{
    changes::{
        split_position, ChangeCause, ChangeFilter, ChangedSums, MovedKpis, PeriodKind,
        StoredChanges, SubjectKind, KPI_SLOTS,
    },
    period::Period,
};
use encoding::decode_sums;
pub use scope::{days_with_data, teams_of_agent_from};
pub use team_sums::{pooled, team_agent_sums, team_sums};
pub use write::append;

/// The channel that announces committed changes (payload: the last cursor).
pub const CHANGES_CHANNEL: &str = "kpi_scorecard_changes";
/// The advisory-lock key that orders change-writing transactions.
const CHANGES_LOCK: i64 = 0x6b70_695f_6368_6773;
pub(super) const TABLE: &str = "scorecard_changes";
pub(super) const STATE: &str = "scorecard_change_state";
pub(super) const COLUMNS: [&str; 15] = [
    "cursor",
    "committed_at_us",
    "subject_kind",
    "subject_id",
    "team_id",
    "period_kind",
    "period_start_us",
    "period_end_us",
    "period_month",
    "kpi_mask",
    "status_mask",
    "policy_version_id",
    "sums",
    "cause_kind",
    "cause_detail",
];

/// Where the log stands, in positions (see `domain::changes::KPI_SLOTS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogBounds {
    /// The identity every cursor is checked against.
    pub database_id: String,
    /// Every change up to this position was pruned: a reader must resume
    /// at or after it.
    pub pruned_through: i64,
    /// The last position handed out.
    pub last: i64,
}

/// The position after every KPI of row `row` (row 0: before any row).
fn end_of_row(row: i64) -> i64 {
    row * KPI_SLOTS + KPI_SLOTS - 1
}

/// Takes the change-ordering lock for the rest of the transaction (see the
/// module notes). Call it before reading the results a write compares.
pub async fn lock_change_order(connection: &impl ConnectionTrait) -> Result<(), StorageError> {
    if connection.get_database_backend() == DatabaseBackend::Postgres {
        connection
            .execute_unprepared(&format!("SELECT pg_advisory_xact_lock({CHANGES_LOCK})"))
            .await?;
    }
    Ok(())
}

/// Creates the state row, with a fresh identity, unless it exists.
pub(super) async fn ensure_state(connection: &impl ConnectionTrait) -> Result<(), StorageError> {
    let backend = connection.get_database_backend();
    connection
        .execute(Statement::from_sql_and_values(
            backend,
            format!(
                "INSERT INTO {STATE} (id, database_id, last_cursor, pruned_through) \
                 VALUES (1, {}, 0, 0) ON CONFLICT (id) DO NOTHING",
                placeholder(backend, 1)
            ),
            [Value::from(uuid::Uuid::new_v4().to_string())],
        ))
        .await?;
    Ok(())
}

/// The log's identity and bounds.
pub async fn bounds(connection: &impl ConnectionTrait) -> Result<LogBounds, StorageError> {
    let backend = connection.get_database_backend();
    let read = || {
        connection.query_one(Statement::from_string(
            backend,
            format!("SELECT database_id, last_cursor, pruned_through FROM {STATE} WHERE id = 1"),
        ))
    };
    let row = match read().await? {
        Some(row) => row,
        None => {
            ensure_state(connection).await?;
            read()
                .await?
                .ok_or_else(|| StorageError::Corrupt("no change-log state".into()))?
        }
    };
    Ok(LogBounds {
        database_id: row.try_get("", "database_id")?,
        last: end_of_row(row.try_get("", "last_cursor")?),
        pruned_through: end_of_row(row.try_get("", "pruned_through")?),
    })
}

/// Binds `values` as a list of placeholders.
fn in_list(values: &mut Vec<Value>, backend: DatabaseBackend, items: Vec<Value>) -> String {
    let marks: Vec<String> = items
        .into_iter()
        .map(|item| {
            values.push(item);
            placeholder(backend, values.len())
        })
        .collect();
    format!("({})", marks.join(", "))
}

/// Up to `limit` rows that may hold changes after position `after` and
/// pass `filter`'s row conditions (subjects, month, commit time, scope,
/// and the KPIs and status moves the row's masks allow), in cursor order.
/// The reader judges the rows and applies the rest of the filter.
pub async fn list_after(
    connection: &impl ConnectionTrait,
    after: i64,
    filter: &ChangeFilter,
    limit: u64,
) -> Result<Vec<StoredChanges>, StorageError> {
    let backend = connection.get_database_backend();
    let (row, index) = split_position(after);
    // The row of `after` itself still holds changes after it unless
    // `after` is its last slot.
    let first_row = if index as i64 == KPI_SLOTS - 1 {
        row + 1
    } else {
        row
    };
    let mut values: Vec<Value> = vec![first_row.into()];
    let mut conditions = vec![format!("cursor >= {}", placeholder(backend, 1))];
    let texts = |items: &[String]| items.iter().map(|item| Value::from(item.clone())).collect();
    let mut subjects = Vec::new();
    if !filter.agent_ids.is_empty() {
        let list = in_list(&mut values, backend, texts(&filter.agent_ids));
        subjects.push(format!("(subject_kind = 'agent' AND subject_id IN {list})"));
    }
    if !filter.team_ids.is_empty() {
        let list = in_list(&mut values, backend, texts(&filter.team_ids));
        subjects.push(format!("team_id IN {list}"));
    }
    if !subjects.is_empty() {
        conditions.push(format!("({})", subjects.join(" OR ")));
    }
    let wanted = filter.kpi_mask();
    if wanted != u32::MAX {
        values.push(i64::from(wanted).into());
        conditions.push(format!(
            "(kpi_mask & {}) <> 0",
            placeholder(backend, values.len())
        ));
    }
    if !filter.into_statuses.is_empty() {
        values.push(i64::from(wanted).into());
        conditions.push(format!(
            "(status_mask & {}) <> 0",
            placeholder(backend, values.len())
        ));
    }
    if let Some(month) = &filter.month {
        values.push(month.clone().into());
        conditions.push(format!(
            "period_month = {}",
            placeholder(backend, values.len())
        ));
    }
    if let Some(since) = filter.committed_since {
        values.push(since.timestamp_micros().into());
        conditions.push(format!(
            "committed_at_us >= {}",
            placeholder(backend, values.len())
        ));
    }
    if let Some(teams) = &filter.scope_teams {
        if teams.is_empty() {
            conditions.push("1 = 0".to_owned());
        } else {
            let list = in_list(&mut values, backend, texts(teams));
            conditions.push(format!("team_id IN {list}"));
        }
    }
    values.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
    let sql = format!(
        "SELECT {} FROM {TABLE} WHERE {} ORDER BY cursor LIMIT {}",
        COLUMNS.join(", "),
        conditions.join(" AND "),
        placeholder(backend, values.len())
    );
    connection
        .query_all(Statement::from_sql_and_values(backend, sql, values))
        .await?
        .iter()
        .map(change_from_row)
        .collect()
}

fn change_from_row(row: &QueryResult) -> Result<StoredChanges, StorageError> {
    let text = |column: &str| row.try_get::<String>("", column);
    let corrupt = |what: &str| StorageError::Corrupt(format!("change {what}"));
    let mask = |column: &str| -> Result<u32, StorageError> {
        u32::try_from(row.try_get::<i64>("", column)?).map_err(|_| corrupt("mask"))
    };
    let period = Period {
        start: instant(row.try_get("", "period_start_us")?)?,
        end: instant(row.try_get("", "period_end_us")?)?,
    };
    let team_id = text("team_id")?;
    let bytes: Vec<u8> = row.try_get("", "sums")?;
    let policy_version_id: Option<i64> = row.try_get("", "policy_version_id")?;
    let stored = decode_sums(&bytes, policy_version_id)?;
    let sums = ChangedSums {
        subject_kind: SubjectKind::parse(&text("subject_kind")?)
            .ok_or_else(|| corrupt("subject kind"))?,
        subject_id: text("subject_id")?,
        team_id: (!team_id.is_empty()).then_some(team_id),
        period_kind: PeriodKind::parse(&text("period_kind")?)
            .ok_or_else(|| corrupt("period kind"))?,
        period,
        month: text("period_month")?,
        before: stored.before,
        after: stored.after,
        policy_before_id: stored.policy_before_id,
        policy_version_id,
        goal_ids: stored.goal_ids,
        moved: MovedKpis {
            candidates: mask("kpi_mask")?,
            statuses: mask("status_mask")?,
        },
    };
    let cause = ChangeCause::from_parts(&text("cause_kind")?, text("cause_detail")?)
        .ok_or_else(|| corrupt("cause"))?;
    Ok(StoredChanges {
        row: row.try_get("", "cursor")?,
        committed_at: instant(row.try_get("", "committed_at_us")?)?,
        sums,
        cause,
    })
}

/// Deletes the rows committed before `cutoff` and moves the pruned mark
/// past them; returns how many rows were deleted.
pub async fn prune_before(
    connection: &impl ConnectionTrait,
    cutoff: DateTime<Utc>,
) -> Result<u64, StorageError> {
    let backend = connection.get_database_backend();
    let row = connection
        .query_one(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT MAX(cursor) AS through FROM {TABLE} WHERE committed_at_us < {}",
                placeholder(backend, 1)
            ),
            [Value::from(cutoff.timestamp_micros())],
        ))
        .await?;
    let Some(through) = row
        .map(|row| row.try_get::<Option<i64>>("", "through"))
        .transpose()?
        .flatten()
    else {
        return Ok(0);
    };
    let deleted = connection
        .execute(Statement::from_sql_and_values(
            backend,
            format!(
                "DELETE FROM {TABLE} WHERE cursor <= {}",
                placeholder(backend, 1)
            ),
            [Value::from(through)],
        ))
        .await?
        .rows_affected();
    let max = match backend {
        DatabaseBackend::Postgres => "GREATEST",
        _ => "MAX",
    };
    connection
        .execute(Statement::from_sql_and_values(
            backend,
            format!(
                "UPDATE {STATE} SET pruned_through = {max}(pruned_through, {}) WHERE id = 1",
                placeholder(backend, 1)
            ),
            [Value::from(through)],
        ))
        .await?;
    Ok(deleted)
}
