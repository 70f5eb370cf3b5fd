//! The raw path: reading the records of a period and folding them into
//! additive sums per rollup key (agent, team, reporting-zone day), by the
//! same attribution as the rollups (see `rollups::contribution`). It is the
//! oracle the rollups are proven against (`kpi-service rollups verify`, the
//! property tests), the source of a rebuild, and the reader of the partial
//! days at the edges of a custom period.

use std::collections::BTreeMap;

use chrono_tz::Tz;
use sea_orm::{
    sea_query::{Alias, Expr, JoinType, Query},
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
};

use super::{
    entities::{
        agent_time, compliance_check, interaction, qa_evaluation, survey_response,
        training_assignment, violation,
    },
    rollups::{
        columns::SumColumns,
        contribution::{local_day_number, survey_sums, RollupKey, StoredRecord},
        read::{GroupKey, GroupSums, Grouping},
    },
    StorageError,
};
use crate::domain::kpi::KpiSums;

/// Whose records to read.
#[derive(Debug, Clone, Copy)]
pub enum FactScope<'a> {
    /// Every record of these agents (agent scorecards).
    Agents(&'a [String]),
    /// A team's pooled numbers: the records that count for the team (the
    /// team recorded on each record; a linked survey response, its
    /// interaction's).
    Team(&'a str),
    /// Every agent whose id lies in `[first, last]` (a page of the whole
    /// directory: one range of the rollups' key instead of a list).
    AgentRange { first: &'a str, last: &'a str },
    /// Every agent.
    Organisation,
}

/// Sums per rollup key, not yet closed into worked days, with the newest
/// `updated_at_us` of the records behind each key.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RawFacts {
    pub by_key: BTreeMap<RollupKey, (KpiSums, i64)>,
}

impl RawFacts {
    fn add(&mut self, key: RollupKey, sums: &KpiSums, updated_at_us: i64) {
        let entry = self.by_key.entry(key).or_default();
        entry.0 += sums.clone();
        entry.1 = entry.1.max(updated_at_us);
    }

    /// The sums grouped like [`crate::storage::rollups::read::grouped_sums`]
    /// groups rollups, with worked days counted per agent-day.
    pub fn grouped(&self, grouping: Grouping) -> BTreeMap<GroupKey, GroupSums> {
        let mut agent_days: BTreeMap<(&str, i32), GroupSums> = BTreeMap::new();
        for (key, (sums, updated)) in &self.by_key {
            agent_days
                .entry((key.agent_id.as_str(), key.day))
                .or_default()
                .absorb(GroupSums {
                    sums: sums.clone(),
                    updated_at_us: Some(*updated),
                });
        }
        let mut groups: BTreeMap<GroupKey, GroupSums> = BTreeMap::new();
        for ((agent_id, day), mut day_sums) in agent_days {
            day_sums.sums.close_day();
            let key = match grouping {
                Grouping::Agent => GroupKey::Agent(agent_id.to_owned()),
                Grouping::Day => GroupKey::Day(day),
            };
            groups.entry(key).or_default().absorb(day_sums);
        }
        groups
    }

    /// The keys' sums as rollup rows, in key order, stamped with the newest
    /// record behind each.
    pub fn rows(&self) -> Vec<(RollupKey, SumColumns, i64)> {
        self.by_key
            .iter()
            .map(|(key, (sums, updated))| (key.clone(), SumColumns::of(sums), *updated))
            .collect()
    }

    /// The keys' sums as rollup columns (what the rollup table must hold).
    pub fn columns(&self) -> BTreeMap<RollupKey, SumColumns> {
        self.by_key
            .iter()
            .map(|(key, (sums, _))| (key.clone(), SumColumns::of(sums)))
            .collect()
    }
}

fn agent_filter<C: ColumnTrait>(agent: C, team: C, scope: FactScope<'_>) -> Condition {
    match scope {
        FactScope::Agents(agents) => Condition::all().add(agent.is_in(agents.iter().cloned())),
        FactScope::AgentRange { first, last } => Condition::all().add(agent.between(first, last)),
        FactScope::Team(team_id) => Condition::all().add(team.eq(team_id)),
        FactScope::Organisation => Condition::all(),
    }
}

/// Reads rows of one entity whose `at` column lies in `[start_us, end_us)`
/// within `scope`, and adds their contributions on their own keys.
macro_rules! add_own_rows {
    ($facts:expr, $connection:expr, $zone:expr, $module:ident, $at:ident, $scope:expr, $start:expr, $end:expr) => {{
        let rows = $module::Entity::find()
            .filter($module::Column::Voided.eq(false))
            .filter($module::Column::$at.gte($start))
            .filter($module::Column::$at.lt($end))
            .filter(agent_filter(
                $module::Column::AgentId,
                $module::Column::TeamId,
                $scope,
            ))
            .all($connection)
            .await?;
        for row in rows {
            if let Some(contribution) = row.contribution()? {
                if let super::rollups::contribution::Placement::Own {
                    agent_id,
                    team_id,
                    at_us,
                } = &contribution.placement
                {
                    let key = RollupKey {
                        agent_id: agent_id.clone(),
                        team_id: team_id.clone().unwrap_or_default(),
                        day: local_day_number(*at_us, $zone)?,
                    };
                    $facts.add(key, &contribution.sums, row.updated_at_us);
                }
            }
        }
    }};
}

/// Reads every counted record of `scope` in `[start_us, end_us)` from
/// the raw tables.
pub async fn load_raw_facts(
    connection: &impl ConnectionTrait,
    scope: FactScope<'_>,
    start_us: i64,
    end_us: i64,
    zone: Tz,
) -> Result<RawFacts, StorageError> {
    let mut facts = RawFacts::default();
    add_own_rows!(
        facts,
        connection,
        zone,
        interaction,
        EndedAtUs,
        scope,
        start_us,
        end_us
    );
    add_linked_surveys(connection, &mut facts, scope, start_us, end_us, zone).await?;

    let unlinked = survey_response::Entity::find()
        .filter(survey_response::Column::Voided.eq(false))
        .filter(survey_response::Column::InteractionSource.is_null())
        .filter(survey_response::Column::RespondedAtUs.gte(start_us))
        .filter(survey_response::Column::RespondedAtUs.lt(end_us))
        .filter(agent_filter(
            survey_response::Column::AgentId,
            survey_response::Column::TeamId,
            scope,
        ))
        .all(connection)
        .await?;
    for row in unlinked {
        let (Some(agent_id), Some(contribution)) = (row.agent_id.clone(), row.contribution()?)
        else {
            continue;
        };
        let key = RollupKey {
            agent_id,
            team_id: row.team_id.clone().unwrap_or_default(),
            day: local_day_number(row.responded_at_us, zone)?,
        };
        facts.add(key, &contribution.sums, row.updated_at_us);
    }

    add_qa_evaluations(connection, &mut facts, scope, start_us, end_us, zone).await?;
    add_own_rows!(
        facts,
        connection,
        zone,
        compliance_check,
        CheckedAtUs,
        scope,
        start_us,
        end_us
    );
    add_own_rows!(
        facts,
        connection,
        zone,
        violation,
        OccurredAtUs,
        scope,
        start_us,
        end_us
    );
    add_own_rows!(
        facts,
        connection,
        zone,
        training_assignment,
        DueAtUs,
        scope,
        start_us,
        end_us
    );
    add_own_rows!(facts, connection, zone, agent_time, StartsAtUs, scope, start_us, end_us);
    Ok(facts)
}

/// The survey and interaction columns a linked response needs.
#[derive(Debug, FromQueryResult)]
struct LinkedSurveyRow {
    kind: String,
    score: i32,
    updated_at_us: i64,
    agent_id: String,
    team_id: Option<String>,
    ended_at_us: i64,
}

/// Survey responses linked to a counted interaction ending in the range:
/// they take the interaction's agent, team and day. A response whose
/// interaction has not arrived (or is void) is simply not joined.
async fn add_linked_surveys(
    connection: &impl ConnectionTrait,
    facts: &mut RawFacts,
    scope: FactScope<'_>,
    start_us: i64,
    end_us: i64,
    zone: Tz,
) -> Result<(), StorageError> {
    let survey = || Alias::new("s");
    let call = || Alias::new("i");
    let column = |table: Alias, name: &str| Expr::col((table, Alias::new(name)));
    let mut query = Query::select();
    for name in ["kind", "score", "updated_at_us"] {
        query.expr_as(column(survey(), name), Alias::new(name));
    }
    for name in ["agent_id", "team_id", "ended_at_us"] {
        query.expr_as(column(call(), name), Alias::new(name));
    }
    query
        .from_as(survey_response::Entity, survey())
        .join_as(
            JoinType::InnerJoin,
            interaction::Entity,
            call(),
            column(call(), "source")
                .equals((survey(), Alias::new("interaction_source")))
                .and(
                    column(call(), "external_id")
                        .equals((survey(), Alias::new("interaction_external_id"))),
                ),
        )
        .and_where(column(survey(), "voided").eq(false))
        .and_where(column(call(), "voided").eq(false))
        .and_where(column(call(), "ended_at_us").gte(start_us))
        .and_where(column(call(), "ended_at_us").lt(end_us));
    match scope {
        FactScope::Agents(agents) => {
            query.and_where(column(call(), "agent_id").is_in(agents.iter().cloned()));
        }
        FactScope::AgentRange { first, last } => {
            query.and_where(column(call(), "agent_id").between(first, last));
        }
        FactScope::Team(team_id) => {
            query.and_where(column(call(), "team_id").eq(team_id));
        }
        FactScope::Organisation => {}
    }
    let statement = connection.get_database_backend().build(&query);
    for row in LinkedSurveyRow::find_by_statement(statement)
        .all(connection)
        .await?
    {
        let sums = survey_sums(&row.kind, row.score)?;
        let key = RollupKey {
            agent_id: row.agent_id,
            team_id: row.team_id.unwrap_or_default(),
            day: local_day_number(row.ended_at_us, zone)?,
        };
        facts.add(key, &sums, row.updated_at_us);
    }
    Ok(())
}

/// QA evaluations on their own agent, team and day; one linked to an
/// interaction counts only while that interaction is stored and not void.
async fn add_qa_evaluations(
    connection: &impl ConnectionTrait,
    facts: &mut RawFacts,
    scope: FactScope<'_>,
    start_us: i64,
    end_us: i64,
    zone: Tz,
) -> Result<(), StorageError> {
    let counted_interaction = Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(interaction::Entity)
            .and_where(
                Expr::col((interaction::Entity, interaction::Column::Source)).equals((
                    qa_evaluation::Entity,
                    qa_evaluation::Column::InteractionSource,
                )),
            )
            .and_where(
                Expr::col((interaction::Entity, interaction::Column::ExternalId)).equals((
                    qa_evaluation::Entity,
                    qa_evaluation::Column::InteractionExternalId,
                )),
            )
            .and_where(Expr::col((interaction::Entity, interaction::Column::Voided)).eq(false))
            .to_owned(),
    );
    let rows = qa_evaluation::Entity::find()
        .filter(qa_evaluation::Column::Voided.eq(false))
        .filter(qa_evaluation::Column::EvaluatedAtUs.gte(start_us))
        .filter(qa_evaluation::Column::EvaluatedAtUs.lt(end_us))
        .filter(agent_filter(
            qa_evaluation::Column::AgentId,
            qa_evaluation::Column::TeamId,
            scope,
        ))
        .filter(
            Condition::any()
                .add(qa_evaluation::Column::InteractionSource.is_null())
                .add(counted_interaction),
        )
        .all(connection)
        .await?;
    for row in rows {
        let Some(contribution) = row.contribution()? else {
            continue;
        };
        let key = RollupKey {
            agent_id: row.agent_id.clone(),
            team_id: row.team_id.clone().unwrap_or_default(),
            day: local_day_number(row.evaluated_at_us, zone)?,
        };
        facts.add(key, &contribution.sums, row.updated_at_us);
    }
    Ok(())
}
