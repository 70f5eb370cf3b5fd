//! What a team move or a policy version may change: the days with
//! records from its effective day on, and the teams an agent's records
//! counted for.

use sea_orm::{ConnectionTrait, Statement, Value};

use crate::{
    domain::calendar::LocalDay,
    storage::{
        rollups::{maintain::placeholder, ROLLUP_TABLE},
        StorageError,
    },
};

/// The local days from `from_day` on that hold rollup rows (of `agent_id`
/// only, when given): the days whose numbers a policy version or a team
/// move can change. Newest first, at most `limit`.
pub async fn days_with_data(
    connection: &impl ConnectionTrait,
    from_day: LocalDay,
    agent_id: Option<&str>,
    limit: u64,
) -> Result<Vec<LocalDay>, StorageError> {
    let backend = connection.get_database_backend();
    let mut values: Vec<Value> = vec![from_day.number().into()];
    let mut filter = format!("day >= {}", placeholder(backend, 1));
    if let Some(agent_id) = agent_id {
        values.push(agent_id.to_owned().into());
        filter.push_str(&format!(" AND agent_id = {}", placeholder(backend, 2)));
    }
    values.push(i64::try_from(limit).unwrap_or(i64::MAX).into());
    let sql = format!(
        "SELECT DISTINCT day FROM {} WHERE {filter} ORDER BY day DESC LIMIT {}",
        ROLLUP_TABLE,
        placeholder(backend, values.len())
    );
    connection
        .query_all(Statement::from_sql_and_values(backend, sql, values))
        .await?
        .iter()
        .map(|row| Ok(LocalDay::from_number(row.try_get("", "day")?)))
        .collect()
}

/// The teams an agent's rollup rows from `from_day` on are recorded for.
pub async fn teams_of_agent_from(
    connection: &impl ConnectionTrait,
    agent_id: &str,
    from_day: LocalDay,
) -> Result<Vec<String>, StorageError> {
    let backend = connection.get_database_backend();
    let sql = format!(
        "SELECT DISTINCT team_id FROM {} WHERE agent_id = {} AND day >= {} AND team_id <> ''",
        ROLLUP_TABLE,
        placeholder(backend, 1),
        placeholder(backend, 2)
    );
    connection
        .query_all(Statement::from_sql_and_values(
            backend,
            sql,
            [
                Value::from(agent_id.to_owned()),
                Value::from(from_day.number()),
            ],
        ))
        .await?
        .iter()
        .map(|row| Ok(row.try_get("", "team_id")?))
        .collect()
}
