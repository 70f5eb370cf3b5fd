//! Appending a write's changes to the log, with the next cursors, and
//! announcing them. On PostgreSQL the rows go as one array per column
//! (`unnest`), so that a batch's thousands of changes are one statement
//! whose text never changes; SQLite takes multi-row `VALUES`.

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};

use super::{encoding::result_to_json, ensure_state, CHANGES_CHANNEL, COLUMNS, STATE, TABLE};
use crate::{
    domain::changes::{ChangeCause, NewChange},
    storage::{
        pg_arrays::{unnest_call, ColumnArrays},
        rollups::maintain::placeholder,
        StorageError,
    },
};

/// Rows per statement (16 values each, below SQLite's bind limit; on
/// PostgreSQL a bound on one statement's memory).
const ROWS_PER_STATEMENT: usize = 1_000;
const PG_TYPES: [&str; 16] = [
    "bigint", "bigint", "text", "text", "text", "text", "bigint", "bigint", "text", "text", "text",
    "text", "text", "text", "text", "text",
];

/// Stores `changes` (caused by `cause`, committed at `committed_at_us` by
/// the transaction's clock) with the next cursors, and announces them.
/// Returns the last cursor, or `None` when there was nothing to store.
/// The caller holds [`lock_change_order`].
pub async fn append(
    connection: &impl ConnectionTrait,
    changes: &[NewChange],
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
    let row = |cursor: i64, change: &NewChange| -> [Value; 16] {
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
            Value::from(change.kpi.as_str()),
            Value::from(change.before.status.as_str()),
            Value::from(change.after.status.as_str()),
            Value::from(result_to_json(&change.before)),
            Value::from(result_to_json(&change.after)),
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
                [Value::from(CHANGES_CHANNEL), Value::from(last.to_string())],
            ))
            .await?;
    }
    Ok(Some(last))
}
