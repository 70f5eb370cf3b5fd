//! Keeping the rollups exact at ingest: each written row's old contribution
//! is removed and its new one added, as signed deltas per rollup key, and
//! the deltas are upserted additively in key order (a fixed order, so that
//! concurrent writers never deadlock on PostgreSQL).

use std::collections::BTreeMap;

use chrono_tz::Tz;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};

use super::{
    columns::{SumColumns, FLOAT_COLUMNS, INTEGER_COLUMNS},
    RollupKey, ROLLUP_TABLE,
};
use crate::{
    domain::attribution::{Contribution, InteractionPlaces},
    storage::{
        pg_arrays::{unnest_call, ColumnArrays},
        StorageError,
    },
};

/// Most bind parameters one statement may carry (below SQLite's 32,766
/// and PostgreSQL's 65,535).
const MAX_BIND_PARAMETERS: usize = 30_000;

/// Signed changes to apply to the rollups, by key.
#[derive(Debug, Default)]
pub struct RollupDeltas {
    by_key: BTreeMap<RollupKey, SumColumns>,
}

impl RollupDeltas {
    fn add(&mut self, key: RollupKey, contribution: &Contribution, sign: i64) {
        self.by_key
            .entry(key)
            .or_insert_with(SumColumns::zero)
            .add_signed(&SumColumns::of(&contribution.sums), sign);
    }

    /// Moves a row's contribution: removes it where `before` counted
    /// (given the interactions as they were) and adds it where `after`
    /// counts (given the interactions as they are now).
    pub fn replace(
        &mut self,
        before: Option<(&Contribution, &InteractionPlaces)>,
        after: Option<(&Contribution, &InteractionPlaces)>,
        zone: Tz,
    ) {
        if let Some((contribution, interactions)) = before {
            if let Some(attribution) = contribution.attribution(interactions, zone) {
                self.add(attribution.into(), contribution, -1);
            }
        }
        if let Some((contribution, interactions)) = after {
            if let Some(attribution) = contribution.attribution(interactions, zone) {
                self.add(attribution.into(), contribution, 1);
            }
        }
    }

    /// Every key the deltas touch (in key order).
    pub fn keys(&self) -> impl Iterator<Item = &RollupKey> {
        self.by_key.keys()
    }

    /// Every key with its delta (in key order).
    pub fn iter(&self) -> impl Iterator<Item = (&RollupKey, &SumColumns)> {
        self.by_key.iter()
    }

    /// The non-zero deltas as rows to upsert, stamped `now_us`.
    pub fn into_rows(self, now_us: i64) -> Vec<(RollupKey, SumColumns, i64)> {
        self.by_key
            .into_iter()
            .filter(|(_, sums)| !sums.is_zero())
            .map(|(key, sums)| (key, sums, now_us))
            .collect()
    }
}

/// Upserts rows in key order (callers pass them sorted): new keys are inserted, existing ones
/// have each sum increased by the delta. A key whose QA evaluations drop to
/// none gets exactly zero QA points (no floating-point residue).
pub async fn upsert_additive(
    connection: &impl ConnectionTrait,
    rows: Vec<(RollupKey, SumColumns, i64)>,
) -> Result<(), StorageError> {
    upsert(connection, rows, false).await.map(|_| ())
}

/// [`upsert_additive`], returning every upserted key's contacts after the
/// write (the change recorder counts worked days from them).
pub async fn upsert_additive_returning_contacts(
    connection: &impl ConnectionTrait,
    rows: Vec<(RollupKey, SumColumns, i64)>,
) -> Result<Vec<(RollupKey, i64)>, StorageError> {
    upsert(connection, rows, true).await
}

const RETURNING_CONTACTS: &str = " RETURNING agent_id, team_id, day, contacts";

async fn run(
    connection: &impl ConnectionTrait,
    statement: Statement,
    returning: bool,
    returned: &mut Vec<(RollupKey, i64)>,
) -> Result<(), StorageError> {
    if !returning {
        connection.execute(statement).await?;
        return Ok(());
    }
    for row in connection.query_all(statement).await? {
        let key = RollupKey {
            agent_id: row.try_get("", "agent_id")?,
            team_id: row.try_get("", "team_id")?,
            day: crate::domain::calendar::LocalDay::from_number(row.try_get("", "day")?),
        };
        returned.push((key, row.try_get("", "contacts")?));
    }
    Ok(())
}

async fn upsert(
    connection: &impl ConnectionTrait,
    rows: Vec<(RollupKey, SumColumns, i64)>,
    returning: bool,
) -> Result<Vec<(RollupKey, i64)>, StorageError> {
    let backend = connection.get_database_backend();
    if backend == DatabaseBackend::Postgres {
        return upsert_arrays(connection, rows, returning).await;
    }
    let tail = if returning { RETURNING_CONTACTS } else { "" };
    let mut returned = Vec::new();
    let columns_per_row = 4 + INTEGER_COLUMNS.len() + FLOAT_COLUMNS.len();
    let rows_per_statement = MAX_BIND_PARAMETERS / columns_per_row;
    for chunk in rows.chunks(rows_per_statement) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * columns_per_row);
        let mut tuples = Vec::with_capacity(chunk.len());
        for (key, sums, updated_at_us) in chunk {
            let first = values.len();
            values.extend(row_values(key, sums, *updated_at_us));
            let placeholders: Vec<String> = (first..values.len())
                .map(|index| placeholder(backend, index + 1))
                .collect();
            tuples.push(format!("({})", placeholders.join(", ")));
        }
        let sql = format!(
            "{} VALUES {} {}{tail}",
            insert_head(),
            tuples.join(", "),
            additive_conflict_clause(backend)
        );
        let statement = Statement::from_sql_and_values(backend, sql, values);
        run(connection, statement, returning, &mut returned).await?;
    }
    Ok(returned)
}

/// Rows per PostgreSQL statement (one array per column carries any
/// number; this bounds one statement's memory).
const ROWS_PER_ARRAY_STATEMENT: usize = 5_000;

/// PostgreSQL: one array per column through `unnest`, so that the
/// statement's text (and plan) is the same whatever the number of keys.
/// `unnest` yields the rows in array order, which keeps the key order.
async fn upsert_arrays(
    connection: &impl ConnectionTrait,
    rows: Vec<(RollupKey, SumColumns, i64)>,
    returning: bool,
) -> Result<Vec<(RollupKey, i64)>, StorageError> {
    let mut types = vec!["text", "text", "integer"];
    types.extend(INTEGER_COLUMNS.iter().map(|_| "bigint"));
    types.extend(FLOAT_COLUMNS.iter().map(|_| "double precision"));
    types.push("bigint");
    let sql = format!(
        "{} SELECT * FROM {} {}{}",
        insert_head(),
        unnest_call(&types, 1),
        additive_conflict_clause(DatabaseBackend::Postgres),
        if returning { RETURNING_CONTACTS } else { "" }
    );
    let mut returned = Vec::new();
    for chunk in rows.chunks(ROWS_PER_ARRAY_STATEMENT) {
        let mut arrays = ColumnArrays::new(types.len());
        for (key, sums, updated_at_us) in chunk {
            arrays.push_row(row_values(key, sums, *updated_at_us))?;
        }
        let statement =
            Statement::from_sql_and_values(DatabaseBackend::Postgres, &sql, arrays.into_values());
        run(connection, statement, returning, &mut returned).await?;
    }
    Ok(returned)
}

/// One rollup row's values, in [`insert_head`]'s column order.
fn row_values(key: &RollupKey, sums: &SumColumns, updated_at_us: i64) -> Vec<Value> {
    let mut values: Vec<Value> = Vec::with_capacity(4 + sums.integers.len() + sums.floats.len());
    values.push(key.agent_id.as_str().into());
    values.push(key.team_id.as_str().into());
    values.push(key.day.number().into());
    values.extend(sums.integers.iter().map(|value| Value::from(*value)));
    values.extend(sums.floats.iter().map(|value| Value::from(*value)));
    values.push(updated_at_us.into());
    values
}

fn insert_head() -> String {
    let mut columns = vec!["agent_id", "team_id", "day"];
    columns.extend(INTEGER_COLUMNS);
    columns.extend(FLOAT_COLUMNS);
    columns.push("updated_at_us");
    format!("INSERT INTO {ROLLUP_TABLE} ({})", columns.join(", "))
}

fn additive_conflict_clause(backend: DatabaseBackend) -> String {
    let mut updates: Vec<String> = INTEGER_COLUMNS
        .iter()
        .map(|column| format!("{column} = {ROLLUP_TABLE}.{column} + excluded.{column}"))
        .collect();
    updates.extend(FLOAT_COLUMNS.iter().map(|column| {
        format!(
            "{column} = CASE WHEN {ROLLUP_TABLE}.qa_evaluations + excluded.qa_evaluations = 0 \
             THEN 0 ELSE {ROLLUP_TABLE}.{column} + excluded.{column} END"
        )
    }));
    let greatest = match backend {
        DatabaseBackend::Postgres => "GREATEST",
        _ => "MAX",
    };
    updates.push(format!(
        "updated_at_us = {greatest}({ROLLUP_TABLE}.updated_at_us, excluded.updated_at_us)"
    ));
    format!(
        "ON CONFLICT (agent_id, day, team_id) DO UPDATE SET {}",
        updates.join(", ")
    )
}

/// The `index`-th (1-based) bind placeholder of the backend.
pub(crate) fn placeholder(backend: DatabaseBackend, index: usize) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("${index}"),
        _ => "?".to_owned(),
    }
}
