//! Appending a write's changes to the log, one row per (subject, period)
//! with the next cursors, and announcing them. On PostgreSQL the rows go
//! as one array per column (`unnest`), so that a batch's rows are one
//! statement whose text never changes; SQLite takes multi-row `VALUES`.

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};

use super::{
    encoding::{encode_sums, RowSums},
    ensure_state, CHANGES_CHANNEL, COLUMNS, STATE, TABLE,
};
use crate::{
    domain::changes::{ChangeCause, ChangedSums, KPI_SLOTS},
    storage::{
        pg_arrays::{unnest_call, ColumnArrays},
        rollups::maintain::placeholder,
        StorageError,
    },
};

/// Rows per statement (15 values each, below SQLite's bind limit; on
/// PostgreSQL a bound on one statement's memory).
const ROWS_PER_STATEMENT: usize = 1_000;
const PG_TYPES: [&str; 15] = [
    "bigint", "bigint", "text", "text", "text", "text", "bigint", "bigint", "text", "bigint",
    "bigint", "bigint", "bytea", "text", "text",
];

/// Stores `changes` (caused by `cause`, committed at `committed_at_us` by
/// the transaction's clock) with the next row cursors, and announces them.
/// Returns the last position (the last row's last KPI slot), or `None`
/// when there was nothing to store. The caller holds [`lock_change_order`].
pub async fn append(
    connection: &impl ConnectionTrait,
    changes: &[ChangedSums],
    cause: &ChangeCause,
    committed_at_us: i64,
) -> Result<Option<i64>, StorageError> {
    if changes.is_empty() {
        return Ok(None);
    }
    let backend = connection.get_database_backend();
    ensure_state(connection).await?;
    let count = i64::try_from(changes.len())
        .map_err(|_| StorageError::Corrupt("too many changes".into()))?;
    let row = connection
        .query_one(Statement::from_sql_and_values(
            backend,
            format!(
                "UPDATE {STATE} SET last_cursor = last_cursor + {} WHERE id = 1 \
                 RETURNING last_cursor",
                placeholder(backend, 1)
            ),
            [Value::from(count)],
        ))
        .await?
        .ok_or_else(|| StorageError::Corrupt("no change-log state".into()))?;
    let last: i64 = row.try_get("", "last_cursor")?;
    let first = last - count + 1;
    let (cause_kind, cause_detail) = cause.parts();
    let row = |cursor: i64, change: &ChangedSums| -> [Value; 15] {
        [
            Value::from(cursor),
            Value::from(committed_at_us),
            Value::from(change.subject_kind.as_str()),
            Value::from(change.subject_id.clone()),
            Value::from(change.team_id.clone().unwrap_or_default()),
            Value::from(change.period_kind.as_str()),
            Value::from(change.period.start.timestamp_micros()),
            Value::from(change.period.end.timestamp_micros()),
            Value::from(change.month.clone()),
            Value::from(i64::from(change.moved.candidates)),
            Value::from(i64::from(change.moved.statuses)),
            Value::from(change.policy_version_id),
            Value::from(encode_sums(
                &RowSums {
                    before: change.before.clone(),
                    after: change.after.clone(),
                    goal_ids: change.goal_ids.clone(),
                    policy_before_id: change.policy_before_id,
                },
                change.policy_version_id,
            )),
            Value::from(cause_kind),
            Value::from(cause_detail.clone()),
        ]
    };
    for (chunk_index, chunk) in changes.chunks(ROWS_PER_STATEMENT).enumerate() {
        let cursor_of = |index: usize| first + (chunk_index * ROWS_PER_STATEMENT + index) as i64;
        let statement = if backend == DatabaseBackend::Postgres {
            let mut arrays = ColumnArrays::new(COLUMNS.len());
            for (index, change) in chunk.iter().enumerate() {
                arrays.push_row(row(cursor_of(index), change))?;
            }
            let sql = format!(
                "INSERT INTO {TABLE} ({}) SELECT * FROM {}",
                COLUMNS.join(", "),
                unnest_call(&PG_TYPES, 1)
            );
            Statement::from_sql_and_values(backend, sql, arrays.into_values())
        } else {
            let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * COLUMNS.len());
            let mut tuples = Vec::with_capacity(chunk.len());
            for (index, change) in chunk.iter().enumerate() {
                let start = values.len();
                values.extend(row(cursor_of(index), change));
                let marks: Vec<String> = (start..values.len())
                    .map(|position| placeholder(backend, position + 1))
                    .collect();
                tuples.push(format!("({})", marks.join(", ")));
            }
            let sql = format!(
                "INSERT INTO {TABLE} ({}) VALUES {}",
                COLUMNS.join(", "),
                tuples.join(", ")
            );
            Statement::from_sql_and_values(backend, sql, values)
        };
        connection.execute(statement).await?;
    }
    if backend == DatabaseBackend::Postgres {
        connection
            .execute(Statement::from_sql_and_values(
                backend,
                "SELECT pg_notify($1, $2)",
                [
                    Value::from(CHANGES_CHANNEL),
                    Value::from((last * KPI_SLOTS + KPI_SLOTS - 1).to_string()),
                ],
            ))
            .await?;
    }
    Ok(Some(last * KPI_SLOTS + KPI_SLOTS - 1))
}
