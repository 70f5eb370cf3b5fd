//! The scorecards of each snapshot version (`snapshot_scorecards`), and
//! the version rows themselves (`period_snapshots`).

use sea_orm::{ConnectionTrait, Statement, Value};

use super::super::{rollups::maintain::placeholder, StorageError};
use crate::domain::closing::{SnapshotEntry, SubjectKind};

/// Most bind parameters one statement may carry.
const MAX_BIND_PARAMETERS: usize = 30_000;
/// Longest `taken_by` stored.
const MAX_PRINCIPAL_CHARS: usize = 256;

/// Stores version `version` of `month`'s snapshot, taken at `taken_at_us`
/// by `taken_by` (`reason` empty for the close itself).
pub async fn insert_snapshot_version(
    connection: &impl ConnectionTrait,
    month: &str,
    version: i32,
    taken_at_us: i64,
    taken_by: &str,
    reason: &str,
) -> Result<(), StorageError> {
    let backend = connection.get_database_backend();
    let p = |index| placeholder(backend, index);
    let taken_by: String = taken_by.chars().take(MAX_PRINCIPAL_CHARS).collect();
    connection
        .execute(Statement::from_sql_and_values(
            backend,
            format!(
                "INSERT INTO period_snapshots (month, version, taken_at_us, taken_by, reason) \
                 VALUES ({}, {}, {}, {}, {})",
                p(1),
                p(2),
                p(3),
                p(4),
                p(5)
            ),
            [
                Value::from(month),
                version.into(),
                taken_at_us.into(),
                Value::from(taken_by),
                Value::from(reason),
            ],
        ))
        .await?;
    Ok(())
}

/// Entries of a snapshot version by subject id: exactly `only`, or those
/// after `after`, at most `limit`.
pub async fn snapshot_entries(
    connection: &impl ConnectionTrait,
    month: &str,
    version: i32,
    kind: SubjectKind,
    only: Option<&str>,
    after: Option<&str>,
    limit: u64,
) -> Result<Vec<SnapshotEntry>, StorageError> {
    let backend = connection.get_database_backend();
    let mut values: Vec<Value> = vec![
        month.to_owned().into(),
        version.into(),
        kind.as_str().into(),
    ];
    let mut sql = format!(
        "SELECT subject_id, team_id, payload FROM snapshot_scorecards \
         WHERE month = {} AND version = {} AND subject_kind = {}",
        placeholder(backend, 1),
        placeholder(backend, 2),
        placeholder(backend, 3)
    );
    if let Some(only) = only {
        values.push(only.to_owned().into());
        sql.push_str(&format!(
            " AND subject_id = {}",
            placeholder(backend, values.len())
        ));
    }
    if let Some(after) = after {
        values.push(after.to_owned().into());
        sql.push_str(&format!(
            " AND subject_id > {}",
            placeholder(backend, values.len())
        ));
    }
    sql.push_str(&format!(" ORDER BY subject_id LIMIT {limit}"));
    let rows = connection
        .query_all(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(SnapshotEntry {
                subject_id: row.try_get("", "subject_id")?,
                team_id: row.try_get("", "team_id")?,
                payload: row.try_get("", "payload")?,
            })
        })
        .collect()
}

/// Stores the scorecards of one kind of a snapshot version.
pub async fn insert_entries(
    connection: &impl ConnectionTrait,
    month: &str,
    version: i32,
    kind: SubjectKind,
    entries: &[SnapshotEntry],
) -> Result<(), StorageError> {
    let backend = connection.get_database_backend();
    for chunk in entries.chunks(MAX_BIND_PARAMETERS / 6) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 6);
        let mut tuples = Vec::with_capacity(chunk.len());
        for entry in chunk {
            let first = values.len();
            values.push(month.to_owned().into());
            values.push(version.into());
            values.push(kind.as_str().into());
            values.push(entry.subject_id.clone().into());
            values.push(entry.team_id.clone().into());
            values.push(entry.payload.clone().into());
            let placeholders: Vec<String> = (first..values.len())
                .map(|index| placeholder(backend, index + 1))
                .collect();
            tuples.push(format!("({})", placeholders.join(", ")));
        }
        connection
            .execute(Statement::from_sql_and_values(
                backend,
                format!(
                    "INSERT INTO snapshot_scorecards (month, version, subject_kind, subject_id, \
                     team_id, payload) VALUES {}",
                    tuples.join(", ")
                ),
                values,
            ))
            .await?;
    }
    Ok(())
}
