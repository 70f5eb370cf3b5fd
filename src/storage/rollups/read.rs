//! Reading the rollups: sums of whole reporting-zone days grouped in the
//! database, by agent (scorecards, lists, breaches; a team or the
//! organisation is the sum of its agents) or by day (trends). The database
//! returns at most one row per agent or day, whatever the number of
//! records behind them.

use std::{collections::BTreeMap, sync::OnceLock};

use sea_orm::{ConnectionTrait, DatabaseBackend, QueryResult, Statement, Value};

pub use super::groups::{FactScope, GroupKey, GroupSums, Grouping};

use super::{
    columns::{summed_columns, SumColumns, FLOAT_COLUMNS, INTEGER_COLUMNS},
    maintain::placeholder,
    ROLLUP_TABLE,
};
use crate::{domain::calendar::LocalDay, storage::StorageError};

/// Sums of `scope`'s rollup rows for days `[first_day, end_day)`, grouped
/// by agent or by day.
pub async fn grouped_sums(
    connection: &impl ConnectionTrait,
    scope: FactScope<'_>,
    first_day: LocalDay,
    end_day: LocalDay,
    grouping: Grouping,
) -> Result<BTreeMap<GroupKey, GroupSums>, StorageError> {
    if matches!(scope, FactScope::Agents(agents) if agents.is_empty()) {
        return Ok(BTreeMap::new());
    }
    let statement = grouped_sums_statement(
        connection.get_database_backend(),
        scope,
        first_day,
        end_day,
        grouping,
    );
    let rows = connection.query_all(statement).await?;
    let mut groups = BTreeMap::new();
    // Agents whose days with contacts lie in more than one team: their
    // worked days are counted again, distinct by day.
    let mut several_teams = Vec::new();
    for row in rows {
        let key = match grouping {
            Grouping::Agent => GroupKey::Agent(row.try_get("", "group_key")?),
            Grouping::Day => GroupKey::Day(LocalDay::from_number(row.try_get("", "group_key")?)),
        };
        if let GroupKey::Agent(agent_id) = &key {
            let first: Option<String> = row.try_get("", "first_worked_team")?;
            let last: Option<String> = row.try_get("", "last_worked_team")?;
            if first != last {
                several_teams.push(agent_id.clone());
            }
        }
        groups.insert(key, group_from_row(&row)?);
    }
    if !several_teams.is_empty() {
        let backend = connection.get_database_backend();
        let (filter, values) = scope_filter(
            backend,
            FactScope::Agents(&several_teams),
            first_day,
            end_day,
        );
        let sql = format!(
            "SELECT agent_id AS group_key, COUNT(DISTINCT day) AS worked_days \
             FROM {ROLLUP_TABLE} WHERE {filter} AND contacts > 0 GROUP BY agent_id"
        );
        for row in connection
            .query_all(Statement::from_sql_and_values(backend, sql, values))
            .await?
        {
            let key = GroupKey::Agent(row.try_get("", "group_key")?);
            if let Some(group) = groups.get_mut(&key) {
                group.sums.worked_days = worked_days(&row)?;
            }
        }
    }
    Ok(groups)
}

/// The statement [`grouped_sums`] runs first (public for the benchmark,
/// which times it directly as the reference for the service's answers).
/// Grouped by day, worked days are a `COUNT(DISTINCT agent_id)`, which
/// sorts the period's rows in memory within the connections' `work_mem`
/// (see `Database::connect`).
pub fn grouped_sums_statement(
    backend: DatabaseBackend,
    scope: FactScope<'_>,
    first_day: LocalDay,
    end_day: LocalDay,
    grouping: Grouping,
) -> Statement {
    let (filter, values) = scope_filter(backend, scope, first_day, end_day);
    let group_column = match grouping {
        Grouping::Agent => "agent_id",
        Grouping::Day => "day",
    };
    let sql = format!(
        "SELECT {} FROM {ROLLUP_TABLE} WHERE {filter} GROUP BY {group_column}",
        select_list(grouping)
    );
    Statement::from_sql_and_values(backend, sql, values)
}

/// The columns [`grouped_sums_statement`] selects for `grouping`: the same
/// text on every call, so it is written once per process (building it took
/// a tenth of a single-agent scorecard's CPU).
fn select_list(grouping: Grouping) -> &'static str {
    static BY_AGENT: OnceLock<String> = OnceLock::new();
    static BY_DAY: OnceLock<String> = OnceLock::new();
    let cell = match grouping {
        Grouping::Agent => &BY_AGENT,
        Grouping::Day => &BY_DAY,
    };
    cell.get_or_init(|| {
        let (group_column, distinct_column) = match grouping {
            Grouping::Agent => ("agent_id", "day"),
            Grouping::Day => ("day", "agent_id"),
        };
        let mut selected = vec![format!("{group_column} AS group_key")];
        selected.extend(summed_columns());
        match grouping {
            // Rows are unique per (agent, team, day): while an agent's days
            // with contacts all lie in one team, its rows with contacts are
            // its worked days, and the aggregate needs no sort (a
            // `COUNT(DISTINCT ..)` made PostgreSQL sort every wide row of
            // the period, about half of an organisation's month).
            // `grouped_sums` counts again, distinct by day, the agents
            // whose first and last team differ.
            Grouping::Agent => selected.extend([
                "SUM(CASE WHEN contacts > 0 THEN 1 ELSE 0 END) AS worked_days".to_owned(),
                "MIN(CASE WHEN contacts > 0 THEN team_id END) AS first_worked_team".to_owned(),
                "MAX(CASE WHEN contacts > 0 THEN team_id END) AS last_worked_team".to_owned(),
            ]),
            Grouping::Day => selected.push(format!(
                "COUNT(DISTINCT CASE WHEN contacts > 0 THEN {distinct_column} END) AS worked_days"
            )),
        }
        selected.push("MAX(updated_at_us) AS updated_at_us".to_owned());
        selected.join(", ")
    })
}

/// The `WHERE` clause of `scope`'s rollup rows for days
/// `[first_day, end_day)`, with its bind values.
fn scope_filter(
    backend: DatabaseBackend,
    scope: FactScope<'_>,
    first_day: LocalDay,
    end_day: LocalDay,
) -> (String, Vec<Value>) {
    let mut values: Vec<Value> = vec![first_day.number().into(), end_day.number().into()];
    let mut filter = format!(
        "day >= {} AND day < {}",
        placeholder(backend, 1),
        placeholder(backend, 2)
    );
    match scope {
        FactScope::Agents(agents) => {
            let list: Vec<String> = agents
                .iter()
                .map(|agent_id| {
                    values.push(agent_id.clone().into());
                    placeholder(backend, values.len())
                })
                .collect();
            filter.push_str(&format!(" AND agent_id IN ({})", list.join(", ")));
        }
        FactScope::AgentRange { first, last } => {
            values.push(first.to_owned().into());
            values.push(last.to_owned().into());
            filter.push_str(&format!(
                " AND agent_id >= {} AND agent_id <= {}",
                placeholder(backend, values.len() - 1),
                placeholder(backend, values.len())
            ));
        }
        FactScope::Team(team_id) => {
            values.push(team_id.to_owned().into());
            filter.push_str(&format!(
                " AND team_id = {}",
                placeholder(backend, values.len())
            ));
        }
        FactScope::Organisation => {}
    }
    (filter, values)
}

fn worked_days(row: &QueryResult) -> Result<u64, StorageError> {
    u64::try_from(
        row.try_get::<Option<i64>>("", "worked_days")?
            .unwrap_or_default(),
    )
    .map_err(|_| StorageError::Corrupt("negative worked days".into()))
}

fn group_from_row(row: &QueryResult) -> Result<GroupSums, StorageError> {
    let mut columns = SumColumns::zero();
    for (slot, name) in columns.integers.iter_mut().zip(INTEGER_COLUMNS) {
        *slot = row.try_get::<Option<i64>>("", name)?.unwrap_or_default();
    }
    for (slot, name) in columns.floats.iter_mut().zip(FLOAT_COLUMNS) {
        *slot = row.try_get::<Option<f64>>("", name)?.unwrap_or_default();
    }
    let mut sums = columns.to_sums()?;
    sums.worked_days = worked_days(row)?;
    Ok(GroupSums {
        sums,
        updated_at_us: row.try_get("", "updated_at_us")?,
    })
}

/// When the rollups of days `[first_day, end_day)` last changed (µs), if
/// they hold anything: a listing compares it between pages to know that
/// the numbers it pages have not moved.
pub async fn watermark(
    connection: &impl ConnectionTrait,
    first_day: LocalDay,
    end_day: LocalDay,
) -> Result<Option<i64>, StorageError> {
    let backend = connection.get_database_backend();
    let row = connection
        .query_one(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT MAX(updated_at_us) AS watermark FROM {ROLLUP_TABLE} WHERE day >= {} AND day < {}",
                placeholder(backend, 1),
                placeholder(backend, 2)
            ),
            [Value::from(first_day.number()), Value::from(end_day.number())],
        ))
        .await?;
    Ok(row
        .map(|row| row.try_get::<Option<i64>>("", "watermark"))
        .transpose()?
        .flatten())
}
