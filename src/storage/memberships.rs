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

use chrono::NaiveDate;
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
    Database, StorageError,
};
use crate::domain::{directory::TeamMembership, period::start_of_day};

/// The `effective_from` of a membership that holds since before any record
/// (0001-01-01 as days since 1970-01-01); see the migration that created
/// the table.
pub const OPEN_START_DAY: i32 = -719_162;
/// Most agents looked up per query.
const LOOKUP_CHUNK: usize = 500;

/// One stored stretch of an agent's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub team_id: String,
    /// First day, inclusive (days since 1970-01-01).
    pub from_day: i32,
    /// End day, exclusive; `None` while it lasts.
    pub to_day: Option<i32>,
}

impl Span {
    fn covers(&self, day: i32) -> bool {
        self.from_day <= day && self.to_day.is_none_or(|to| day < to)
    }
}

/// An agent's memberships, oldest first, never overlapping.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MembershipHistory {
    pub spans: Vec<Span>,
}

impl MembershipHistory {
    /// The team in force on `day`, if any.
    pub fn team_on(&self, day: i32) -> Option<&str> {
        self.spans
            .iter()
            .find(|span| span.covers(day))
            .map(|span| span.team_id.as_str())
    }

    /// The team whose policy judges a period of days `[first_day, end_day)`:
    /// the team on its first day, else (an agent who joined during it) the
    /// first team within it.
    pub fn team_for_period(&self, first_day: i32, end_day: i32) -> Option<&str> {
        self.team_on(first_day).or_else(|| {
            self.spans
                .iter()
                .find(|span| span.from_day > first_day && span.from_day < end_day)
                .map(|span| span.team_id.as_str())
        })
    }

    /// The history after "the agent is in `team` (or none) from `from_day`
    /// on": earlier stretches are cut at `from_day`, later ones dropped, and
    /// a stretch of the same team that reaches `from_day` is extended.
    pub fn with_change(&self, team: Option<&str>, from_day: i32) -> MembershipHistory {
        let mut spans: Vec<Span> = self
            .spans
            .iter()
            .filter(|span| span.from_day < from_day)
            .map(|span| Span {
                to_day: Some(span.to_day.map_or(from_day, |to| to.min(from_day))),
                ..span.clone()
            })
            .collect();
        if let Some(team) = team {
            match spans.last_mut() {
                Some(last) if last.team_id == team && last.to_day == Some(from_day) => {
                    last.to_day = None;
                }
                _ => spans.push(Span {
                    team_id: team.to_owned(),
                    from_day,
                    to_day: None,
                }),
            }
        }
        MembershipHistory { spans }
    }

    /// The history as the domain shows it.
    pub fn to_domain(&self) -> Vec<TeamMembership> {
        self.spans
            .iter()
            .map(|span| TeamMembership {
                team_id: span.team_id.clone(),
                effective_from: (span.from_day != OPEN_START_DAY).then(|| date_of(span.from_day)),
                effective_to: span.to_day.map(date_of),
            })
            .collect()
    }
}

impl Database {
    /// The team histories of `agent_ids`, or of every agent when `None`.
    pub async fn team_histories(
        &self,
        agent_ids: Option<&[&str]>,
    ) -> Result<HashMap<String, MembershipHistory>, StorageError> {
        match agent_ids {
            Some(ids) => load_histories(self.connection(), ids).await,
            None => load_all_histories(self.connection()).await,
        }
    }
}

/// The date of a day number.
pub fn date_of(day: i32) -> NaiveDate {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    epoch + chrono::Duration::days(i64::from(day))
}

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
            from_day: row.effective_from,
            to_day: row.effective_to,
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
            effective_from: Set(span.from_day),
            effective_to: Set(span.to_day),
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
    from_day: i32,
    zone: Tz,
) -> Result<(), StorageError> {
    let start_us = if from_day == OPEN_START_DAY {
        i64::MIN
    } else {
        start_of_day(date_of(from_day), zone)
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
    from_day: i32,
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
            [Value::from(agent_id.to_owned()), Value::from(from_day)],
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

#[cfg(test)]
mod tests {
    use super::*;

    fn span(team: &str, from_day: i32, to_day: Option<i32>) -> Span {
        Span {
            team_id: team.into(),
            from_day,
            to_day,
        }
    }

    #[test]
    fn a_change_cuts_the_past_and_replaces_the_future() {
        let history = MembershipHistory {
            spans: vec![
                span("red", OPEN_START_DAY, Some(10)),
                span("blue", 10, None),
            ],
        };
        let changed = history.with_change(Some("green"), 5);
        assert_eq!(
            changed.spans,
            vec![span("red", OPEN_START_DAY, Some(5)), span("green", 5, None)]
        );
        assert_eq!(changed.team_on(4), Some("red"));
        assert_eq!(changed.team_on(12), Some("green"));
    }

    #[test]
    fn restating_the_current_team_changes_nothing() {
        let history = MembershipHistory {
            spans: vec![
                span("red", OPEN_START_DAY, Some(10)),
                span("blue", 10, None),
            ],
        };
        assert_eq!(history.with_change(Some("blue"), 12), history);
        assert_eq!(
            history.with_change(None, 12).spans,
            vec![
                span("red", OPEN_START_DAY, Some(10)),
                span("blue", 10, Some(12))
            ]
        );
    }

    #[test]
    fn a_period_is_judged_by_the_team_at_its_start_or_the_first_one_joined() {
        let history = MembershipHistory {
            spans: vec![span("red", 3, Some(10)), span("blue", 10, None)],
        };
        assert_eq!(history.team_for_period(0, 30), Some("red"));
        assert_eq!(history.team_for_period(5, 30), Some("red"));
        assert_eq!(history.team_for_period(10, 30), Some("blue"));
        assert_eq!(history.team_for_period(-5, 2), None);
    }
}
