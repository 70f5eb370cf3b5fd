//! What a team move rewrites besides the history: the team of the agent's
//! stored records from the move's day on, and the agent's daily rollups of
//! those days, recomputed from the raw rows, in the move's transaction, so
//! that `kpi-service rollups verify` stays clean. Kept apart from
//! `memberships` (which ingest reads) because it builds on the raw path and
//! the rollups.

use chrono_tz::Tz;
use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement, Value,
};

use super::{
    changes::period_sums,
    entities::{
        agent_time, compliance_check, interaction, qa_evaluation, survey_response,
        training_assignment, violation,
    },
    facts::{load_raw_facts, FactScope},
    rollups::{
        maintain::{placeholder, upsert_additive},
        ROLLUP_TABLE,
    },
    StorageError,
};
use crate::domain::calendar::LocalDay;

/// Points every stored record of `agent_id` that counts on `from_day` or
/// later at `team` (an interaction whose sender named its team keeps it; a
/// linked survey response follows its interaction and has no team of its
/// own), stamping them `clock_us` (the clock of the move's numbers lock, so
/// that a later close counts them as changed since its snapshot by the
/// same clock as ingest), then rebuilds the agent's rollups of those days
/// from the raw rows.
pub async fn reattribute_from(
    connection: &impl ConnectionTrait,
    agent_id: &str,
    team: Option<&str>,
    from_day: LocalDay,
    zone: Tz,
    clock_us: i64,
) -> Result<(), StorageError> {
    let start_us = if from_day == LocalDay::OPEN_START {
        i64::MIN
    } else {
        from_day
            .start(zone)
            .map_err(|error| StorageError::Corrupt(error.to_string()))?
            .timestamp_micros()
    };
    let team = || Expr::value(team.map(str::to_owned));

    macro_rules! reattribute {
        ($module:ident, $at:ident $(, $extra:expr)?) => {
            $module::Entity::update_many()
                .col_expr($module::Column::TeamId, team())
                .col_expr($module::Column::UpdatedAtUs, Expr::value(clock_us))
                .filter($module::Column::AgentId.eq(agent_id))
                .filter($module::Column::$at.gte(start_us))
                $(.filter($extra))?
                .exec(connection)
                .await?;
        };
    }
    reattribute!(
        interaction,
        EndedAtUs,
        interaction::Column::TeamNamed.eq(false)
    );
    reattribute!(
        survey_response,
        RespondedAtUs,
        survey_response::Column::InteractionSource.is_null()
    );
    reattribute!(qa_evaluation, EvaluatedAtUs);
    reattribute!(compliance_check, CheckedAtUs);
    reattribute!(violation, OccurredAtUs);
    reattribute!(training_assignment, DueAtUs);
    reattribute!(agent_time, StartsAtUs);

    rebuild_agent_rollups(connection, agent_id, from_day, start_us, zone).await
}

/// Deletes the agent's rollup rows from `from_day` on and re-inserts them
/// from the raw path.
async fn rebuild_agent_rollups(
    connection: &impl ConnectionTrait,
    agent_id: &str,
    from_day: LocalDay,
    start_us: i64,
    zone: Tz,
) -> Result<(), StorageError> {
    let backend = connection.get_database_backend();
    let mut teams = teams_of_rows(connection, agent_id, from_day).await?;
    connection
        .execute(Statement::from_sql_and_values(
            backend,
            format!(
                "DELETE FROM {ROLLUP_TABLE} WHERE agent_id = {} AND day >= {}",
                placeholder(backend, 1),
                placeholder(backend, 2)
            ),
            [
                Value::from(agent_id.to_owned()),
                Value::from(from_day.number()),
            ],
        ))
        .await?;
    let agents = [agent_id.to_owned()];
    let facts = load_raw_facts(
        connection,
        FactScope::Agents(&agents),
        start_us,
        i64::MAX,
        zone,
    )
    .await?;
    upsert_additive(connection, facts.rows()).await?;
    // The change feed's period sums of the agent and of every team its
    // rows left or joined, from the month of `from_day` on (when current).
    if period_sums::is_fresh(connection).await? {
        teams.extend(teams_of_rows(connection, agent_id, from_day).await?);
        let teams: Vec<String> = teams.into_iter().collect();
        let scope = period_sums::RebuildScope {
            agents: &agents,
            teams: &teams,
            from_month: period_sums::month_of(from_day),
        };
        period_sums::rebuild(connection, Some(scope)).await?;
    }
    Ok(())
}

/// The teams of the agent's rollup rows from `from_day` on.
async fn teams_of_rows(
    connection: &impl ConnectionTrait,
    agent_id: &str,
    from_day: LocalDay,
) -> Result<std::collections::BTreeSet<String>, StorageError> {
    let backend = connection.get_database_backend();
    let rows = connection
        .query_all(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT DISTINCT team_id FROM {ROLLUP_TABLE} WHERE agent_id = {} AND day >= {} \
                 AND team_id <> ''",
                placeholder(backend, 1),
                placeholder(backend, 2)
            ),
            [
                Value::from(agent_id.to_owned()),
                Value::from(from_day.number()),
            ],
        ))
        .await?;
    rows.iter()
        .map(|row| row.try_get::<String>("", "team_id").map_err(Into::into))
        .collect()
}
