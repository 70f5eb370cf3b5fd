//! Team membership history: effective-dated (agent, team, from, to) rows in
//! the reporting zone's days. A team change rewrites the history from its
//! effective day on, re-attributes the agent's stored records from that day
//! (except interactions whose sender named the team) and recomputes the
//! agent's rollups for those days from the raw rows, all in the caller's
//! transaction, so `kpi-service rollups verify` stays clean.
//!
//! Concurrency: every ingest batch holds `storage::locks` shared before it
//! reads the memberships, and a team change holds it exclusive before it
//! reads them, so no batch writes a team it read before the change.

use std::collections::HashMap;

use chrono_tz::Tz;
use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    Statement, Value,
};

use super::{
    entities::{
        agent_time, compliance_check, interaction, qa_evaluation, survey_response, team_membership,
        training_assignment, violation,
    },
    facts::{load_raw_facts, FactScope},
    now_micros,
    rollups::{
        maintain::{placeholder, upsert_additive},
        ROLLUP_TABLE,
    },
    StorageError,
};
use crate::domain::{
    calendar::LocalDay,
    directory::{MembershipHistory, Span},
};

/// Most agents looked up per query.
const LOOKUP_CHUNK: usize = 500;

/// The histories of `agent_ids` (agents without any membership are absent).
pub async fn load_histories(
    connection: &impl ConnectionTrait,
    agent_ids: &[&str],
) -> Result<HashMap<String, MembershipHistory>, StorageError> {
    let mut histories: HashMap<String, MembershipHistory> = HashMap::new();
    for chunk in agent_ids.chunks(LOOKUP_CHUNK) {
        let rows = team_membership::Entity::find()
            .filter(team_membership::Column::AgentId.is_in(chunk.iter().copied()))
            .order_by_asc(team_membership::Column::AgentId)
            .order_by_asc(team_membership::Column::EffectiveFrom)
            .all(connection)
            .await?;
        collect_rows(&mut histories, rows);
    }
    Ok(histories)
}

/// Every agent's history, in one query (lists over the whole directory).
pub async fn load_all_histories(
    connection: &impl ConnectionTrait,
) -> Result<HashMap<String, MembershipHistory>, StorageError> {
    let rows = team_membership::Entity::find()
        .order_by_asc(team_membership::Column::AgentId)
        .order_by_asc(team_membership::Column::EffectiveFrom)
        .all(connection)
        .await?;
    let mut histories = HashMap::new();
    collect_rows(&mut histories, rows);
    Ok(histories)
}

fn collect_rows(
    histories: &mut HashMap<String, MembershipHistory>,
    rows: Vec<team_membership::Model>,
) {
    for row in rows {
        histories.entry(row.agent_id).or_default().spans.push(Span {
            team_id: row.team_id,
            from_day: LocalDay::from_number(row.effective_from),
            to_day: row.effective_to.map(LocalDay::from_number),
        });
    }
}

/// Replaces an agent's stored history by `history`.
pub async fn store_history(
    connection: &impl ConnectionTrait,
    agent_id: &str,
    history: &MembershipHistory,
) -> Result<(), StorageError> {
    team_membership::Entity::delete_many()
        .filter(team_membership::Column::AgentId.eq(agent_id))
        .exec(connection)
        .await?;
    if history.spans.is_empty() {
        return Ok(());
    }
    let rows = history
        .spans
        .iter()
        .map(|span| team_membership::ActiveModel {
            agent_id: Set(agent_id.to_owned()),
            effective_from: Set(span.from_day.number()),
            effective_to: Set(span.to_day.map(LocalDay::number)),
            team_id: Set(span.team_id.clone()),
        });
    team_membership::Entity::insert_many(rows)
        .exec_without_returning(connection)
        .await?;
    Ok(())
}

/// Points every stored record of `agent_id` that counts on `from_day` or
/// later at `team` (an interaction whose sender named its team keeps it; a
/// linked survey response follows its interaction and has no team of its
/// own), then rebuilds the agent's rollups of those days from the raw rows.
pub async fn reattribute_from(
    connection: &impl ConnectionTrait,
    agent_id: &str,
    team: Option<&str>,
    from_day: LocalDay,
    zone: Tz,
) -> Result<(), StorageError> {
    let start_us = if from_day == LocalDay::OPEN_START {
        i64::MIN
    } else {
        from_day
            .start(zone)
            .map_err(|error| StorageError::Corrupt(error.to_string()))?
            .timestamp_micros()
    };
    let now_us = now_micros();
    let team = || Expr::value(team.map(str::to_owned));

    macro_rules! reattribute {
        ($module:ident, $at:ident $(, $extra:expr)?) => {
            $module::Entity::update_many()
                .col_expr($module::Column::TeamId, team())
                .col_expr($module::Column::UpdatedAtUs, Expr::value(now_us))
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
    upsert_additive(connection, facts.rows()).await
}

/// The team histories of `agent_ids`, or of every agent when `None`.
pub async fn team_histories(
    connection: &impl ConnectionTrait,
    agent_ids: Option<&[&str]>,
) -> Result<HashMap<String, MembershipHistory>, StorageError> {
    match agent_ids {
        Some(ids) => load_histories(connection, ids).await,
        None => load_all_histories(connection).await,
    }
}
