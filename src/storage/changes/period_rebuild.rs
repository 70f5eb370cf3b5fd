//! Rebuilding the change feed's period sums from the rollups: all of them
//! (at start, when they are stale; after a rollup rebuild) or one agent's
//! and some teams' from a month on (after a team move), and the state row
//! that says whether they are current.

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};

use super::period_sums::{column_names, TABLE};
use crate::{
    domain::calendar::LocalDay,
    storage::{
        rollups::{
            columns::{FLOAT_COLUMNS, INTEGER_COLUMNS},
            maintain::placeholder,
            ROLLUP_TABLE,
        },
        StorageError,
    },
};

const STATE: &str = "change_period_sums_state";

/// Whose rows [`rebuild`] recomputes: these agents' and teams' rows of
/// days and months from `from_month` (a month's first day) on.
#[derive(Debug, Clone, Copy)]
pub struct RebuildScope<'a> {
    pub agents: &'a [String],
    pub teams: &'a [String],
    pub from_month: LocalDay,
}

/// The first day of the month of the rollups' `day` column, in SQL.
fn month_expression(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => {
            "(CAST(date_trunc('month', DATE '1970-01-01' + day) AS DATE) - DATE '1970-01-01')"
        }
        _ => {
            "CAST(julianday(date(day * 86400, 'unixepoch', 'start of month')) \
             - julianday('1970-01-01') AS INTEGER)"
        }
    }
}

/// Recomputes the rows of `scope` (every row when `None`) from the
/// rollups. The caller holds the numbers lock exclusively.
pub async fn rebuild(
    connection: &impl ConnectionTrait,
    scope: Option<RebuildScope<'_>>,
) -> Result<(), StorageError> {
    let backend = connection.get_database_backend();
    let mut values: Vec<Value> = Vec::new();
    let bind = |value: Value, values: &mut Vec<Value>| {
        values.push(value);
        placeholder(backend, values.len())
    };
    let (delete_filter, agent_filter, team_filter) = match scope {
        None => ("1 = 1".to_owned(), "1 = 1".to_owned(), "1 = 1".to_owned()),
        Some(scope) => {
            let list = |ids: &[String], values: &mut Vec<Value>| {
                if ids.is_empty() {
                    return "(NULL)".to_owned();
                }
                let marks: Vec<String> = ids
                    .iter()
                    .map(|id| bind(Value::from(id.clone()), values))
                    .collect();
                format!("({})", marks.join(", "))
            };
            let from = bind(Value::from(scope.from_month.number()), &mut values);
            let agents = list(scope.agents, &mut values);
            let teams = list(scope.teams, &mut values);
            (
                format!(
                    "first_day >= {from} AND ((kind IN ('ad', 'am') AND subject_id IN {agents}) \
                     OR (kind IN ('td', 'tm') AND subject_id IN {teams}))"
                ),
                format!("day >= {from} AND agent_id IN {agents}"),
                format!("day >= {from} AND team_id IN {teams}"),
            )
        }
    };
    connection
        .execute(Statement::from_sql_and_values(
            backend,
            format!("DELETE FROM {TABLE} WHERE {delete_filter}"),
            values.clone(),
        ))
        .await?;
    let month = month_expression(backend);
    let sums: Vec<String> = INTEGER_COLUMNS
        .iter()
        .map(|column| format!("CAST(SUM({column}) AS BIGINT)"))
        .collect();
    let floats: Vec<String> = FLOAT_COLUMNS
        .iter()
        .map(|column| format!("SUM({column})"))
        .collect();
    let worked_rows = "SUM(CASE WHEN contacts > 0 THEN 1 ELSE 0 END)";
    let worked_distinct = "COUNT(DISTINCT CASE WHEN contacts > 0 THEN day END)";
    let select = |kind: &str, subject: &str, first_day: &str, worked: &str, filter: &str| {
        format!(
            "SELECT '{kind}', {subject}, {first_day}, {}, {worked}, {} FROM {ROLLUP_TABLE} \
             WHERE {filter} GROUP BY {subject}, {first_day}",
            sums.join(", "),
            floats.join(", ")
        )
    };
    let team_filter = format!("team_id <> '' AND {team_filter}");
    let parts = [
        select(
            "ad",
            "agent_id",
            "day",
            "CASE WHEN SUM(contacts) > 0 THEN 1 ELSE 0 END",
            &agent_filter,
        ),
        select("am", "agent_id", month, worked_distinct, &agent_filter),
        select("td", "team_id", "day", worked_rows, &team_filter),
        select("tm", "team_id", month, worked_rows, &team_filter),
    ];
    for part in parts {
        connection
            .execute(Statement::from_sql_and_values(
                backend,
                format!("INSERT INTO {TABLE} ({}) {part}", column_names().join(", ")),
                values.clone(),
            ))
            .await?;
    }
    Ok(())
}

/// Marks the table current or not.
pub async fn set_fresh(connection: &impl ConnectionTrait, fresh: bool) -> Result<(), StorageError> {
    let backend = connection.get_database_backend();
    connection
        .execute(Statement::from_sql_and_values(
            backend,
            format!(
                "UPDATE {STATE} SET fresh = {} WHERE id = 1",
                placeholder(backend, 1)
            ),
            [Value::from(i32::from(fresh))],
        ))
        .await?;
    Ok(())
}

/// Whether the table is current.
pub async fn is_fresh(connection: &impl ConnectionTrait) -> Result<bool, StorageError> {
    let backend = connection.get_database_backend();
    let row = connection
        .query_one(Statement::from_string(
            backend,
            format!("SELECT fresh FROM {STATE} WHERE id = 1"),
        ))
        .await?;
    Ok(row
        .map(|row| row.try_get::<i32>("", "fresh"))
        .transpose()?
        .unwrap_or(0)
        != 0)
}

impl crate::storage::Database {
    /// At start: a service that records ingest changes rebuilds the period
    /// sums when they are not current (a new table, or one left behind
    /// while recording was off); one that does not marks them stale,
    /// since its batches will not keep them.
    pub async fn prepare_change_sums(&self, recording: bool) -> Result<(), StorageError> {
        // Most starts have nothing to do: look first without the numbers
        // lock, so that starting a replica does not hold up the others'
        // ingest; what needs doing is decided again under the lock.
        if is_fresh(self.connection()).await? == recording {
            return Ok(());
        }
        let transaction = self.begin_write().await?;
        crate::storage::lock_numbers(&transaction, crate::storage::NumbersLock::Exclusive).await?;
        let fresh = is_fresh(&transaction).await?;
        match (recording, fresh) {
            (true, false) => {
                tracing::info!("building the change feed's period sums from the rollups");
                rebuild(&transaction, None).await?;
                set_fresh(&transaction, true).await?;
            }
            (false, true) => set_fresh(&transaction, false).await?,
            _ => {}
        }
        transaction.commit().await?;
        Ok(())
    }
}
