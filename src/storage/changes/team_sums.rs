//! Teams' pooled sums for the change recorder: one grouped read for every
//! touched team of a period, instead of one read per team. Grouped by team
//! and agent in the database and added up per team in agent order here,
//! exactly as a team scorecard adds its agents (so that a change's `after`
//! equals what `GetTeamScorecard` reads, to the last bit of a float sum).

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, Statement, Value};

use crate::{
    domain::{calendar::LocalDay, kpi::KpiSums},
    storage::{
        rollups::{
            columns::{summed_columns, SumColumns, FLOAT_COLUMNS, INTEGER_COLUMNS},
            maintain::placeholder,
            ROLLUP_TABLE,
        },
        StorageError,
    },
};

/// Each of `teams`' sums over days `[first_day, end_day)`, by agent.
/// Over one day, an agent's entry is its one rollup row of the team.
pub async fn team_agent_sums(
    connection: &impl ConnectionTrait,
    teams: &[String],
    first_day: LocalDay,
    end_day: LocalDay,
) -> Result<BTreeMap<String, BTreeMap<String, KpiSums>>, StorageError> {
    if teams.is_empty() {
        return Ok(BTreeMap::new());
    }
    let backend = connection.get_database_backend();
    let mut values: Vec<Value> = vec![first_day.number().into(), end_day.number().into()];
    let marks: Vec<String> = teams
        .iter()
        .map(|team| {
            values.push(team.clone().into());
            placeholder(backend, values.len())
        })
        .collect();
    let mut selected = vec!["team_id".to_owned(), "agent_id".to_owned()];
    selected.extend(summed_columns());
    selected.push("SUM(CASE WHEN contacts > 0 THEN 1 ELSE 0 END) AS worked_days".to_owned());
    let sql = format!(
        "SELECT {} FROM {ROLLUP_TABLE} WHERE day >= {} AND day < {} AND team_id IN ({}) \
         GROUP BY team_id, agent_id",
        selected.join(", "),
        placeholder(backend, 1),
        placeholder(backend, 2),
        marks.join(", ")
    );
    let rows = connection
        .query_all(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    let mut per_agent: BTreeMap<String, BTreeMap<String, KpiSums>> = BTreeMap::new();
    for row in rows {
        let team: String = row.try_get("", "team_id")?;
        let agent: String = row.try_get("", "agent_id")?;
        let mut columns = SumColumns::zero();
        for (slot, name) in columns.integers.iter_mut().zip(INTEGER_COLUMNS) {
            *slot = row.try_get::<Option<i64>>("", name)?.unwrap_or_default();
        }
        for (slot, name) in columns.floats.iter_mut().zip(FLOAT_COLUMNS) {
            *slot = row.try_get::<Option<f64>>("", name)?.unwrap_or_default();
        }
        let mut sums = columns.to_sums()?;
        sums.worked_days = u64::try_from(
            row.try_get::<Option<i64>>("", "worked_days")?
                .unwrap_or_default(),
        )
        .map_err(|_| StorageError::Corrupt("negative worked days".into()))?;
        per_agent.entry(team).or_default().insert(agent, sums);
    }
    Ok(per_agent)
}

/// The pooled sums of a team's agents: added in agent order, as a team
/// scorecard adds them.
pub fn pooled(per_agent: &BTreeMap<String, KpiSums>) -> KpiSums {
    let mut total = KpiSums::default();
    for sums in per_agent.values() {
        total += sums.clone();
    }
    total
}

/// The pooled sums of each of `teams` over days `[first_day, end_day)`.
pub async fn team_sums(
    connection: &impl ConnectionTrait,
    teams: &[String],
    first_day: LocalDay,
    end_day: LocalDay,
) -> Result<BTreeMap<String, KpiSums>, StorageError> {
    Ok(team_agent_sums(connection, teams, first_day, end_day)
        .await?
        .into_iter()
        .map(|(team, agents)| {
            let mut total = KpiSums::default();
            for sums in agents.into_values() {
                total += sums;
            }
            (team, total)
        })
        .collect())
}
