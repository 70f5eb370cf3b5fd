//! The raw path: reading the records of a period and folding them into
//! additive sums per rollup key (agent, team, reporting-zone day), each row
//! attributed by the domain's rules (`domain::attribution`), like the
//! rollups. It is the oracle the rollups are proven against (`kpi-service
//! rollups verify`, the property tests), the source of a rebuild, and the
//! reader of the partial days at the edges of a custom period.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono_tz::Tz;
use sea_orm::{
    sea_query::{Alias, Expr, JoinType, Query},
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
};

pub use super::rollups::groups::FactScope;

use super::{
    entities::{
        agent_time, compliance_check, interaction, qa_evaluation, survey_response,
        training_assignment, violation,
    },
    instant,
    records::{interaction_place, load_rows, StoredRow},
    rollups::{
        columns::SumColumns,
        groups::{GroupKey, GroupSums, Grouping},
        RollupKey,
    },
    StorageError,
};
use crate::domain::{
    attribution::{Attribution, Contribution, InteractionPlace, Placed},
    calendar::LocalDay,
    kpi::{KpiSums, RecordSources, SurveyFacts},
    records::{RecordKey, SurveyKind, SurveySubject},
};

/// Sums per rollup key, not yet closed into worked days, with the newest
/// `updated_at_us` of the records behind each key.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RawFacts {
    pub by_key: BTreeMap<RollupKey, (KpiSums, i64)>,
}

/// What the raw path hands every record it reads: where the record counts
/// (`None`: nowhere) with the instant that places it, what it adds, and
/// when it was last stored. [`RawFacts`] keeps per rollup key; an intraday
/// read keeps per bucket (`storage::intraday`).
pub trait FactSink {
    fn add(&mut self, placed: Option<Placed>, sums: &KpiSums, updated_at_us: i64);
}

impl FactSink for RawFacts {
    fn add(&mut self, placed: Option<Placed>, sums: &KpiSums, updated_at_us: i64) {
        self.add_attributed(placed.map(|placed| placed.attribution), sums, updated_at_us);
    }
}

impl RawFacts {
    /// Adds a row's contribution where it counts, if anywhere.
    fn add_attributed(
        &mut self,
        attribution: Option<Attribution>,
        sums: &KpiSums,
        updated_at_us: i64,
    ) {
        let Some(attribution) = attribution else {
            return;
        };
        let entry = self.by_key.entry(attribution.into()).or_default();
        entry.0 += sums.clone();
        entry.1 = entry.1.max(updated_at_us);
    }

    /// The sums grouped like [`crate::storage::rollups::read::grouped_sums`]
    /// groups rollups, with worked days counted per agent-day.
    pub fn grouped(&self, grouping: Grouping) -> BTreeMap<GroupKey, GroupSums> {
        let mut agent_days: BTreeMap<(&str, LocalDay), GroupSums> = BTreeMap::new();
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

/// Reads the non-void rows of one entity whose `at` column lies in
/// `[start_us, end_us)` within `scope` (plus `$extra` filters), and adds
/// each where it counts on its own.
macro_rules! add_own_rows {
    ($facts:expr, $connection:expr, $zone:expr, $module:ident, $at:ident, $scope:expr, $start:expr, $end:expr $(, $extra:expr)*) => {{
        let rows = $module::Entity::find()
            .filter($module::Column::Voided.eq(false))
            .filter($module::Column::$at.gte($start))
            .filter($module::Column::$at.lt($end))
            .filter(agent_filter(
                $module::Column::AgentId,
                $module::Column::TeamId,
                $scope,
            ))
            $(.filter($extra))*
            .all($connection)
            .await?;
        for row in rows {
            if let Some(contribution) = row.contribution()? {
                let placed = contribution.placed_by(|_| None, $zone);
                $facts.add(placed, &contribution.sums, row.updated_at_us);
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
    let sources = RecordSources::ALL;
    load_raw_into(
        connection, scope, start_us, end_us, zone, sources, &mut facts,
    )
    .await?;
    Ok(facts)
}

/// Reads every counted record of `scope` placed in `[start_us, end_us)`
/// from the tables of `sources` and hands each to `facts`: one statement
/// per record table (two for QA evaluations, whose linked interactions are
/// looked up; two for survey responses, linked and unlinked), whatever the
/// range and however the caller groups.
pub async fn load_raw_into(
    connection: &impl ConnectionTrait,
    scope: FactScope<'_>,
    start_us: i64,
    end_us: i64,
    zone: Tz,
    sources: RecordSources,
    facts: &mut impl FactSink,
) -> Result<(), StorageError> {
    if sources.interactions {
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
    }
    if sources.surveys {
        add_linked_surveys(connection, facts, scope, start_us, end_us, zone).await?;
        add_own_rows!(
            facts,
            connection,
            zone,
            survey_response,
            RespondedAtUs,
            scope,
            start_us,
            end_us,
            survey_response::Column::InteractionSource.is_null()
        );
    }
    if sources.qa_evaluations {
        add_qa_evaluations(connection, facts, scope, start_us, end_us, zone).await?;
    }
    if sources.compliance_checks {
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
    }
    if sources.violations {
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
    }
    if sources.training {
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
    }
    if sources.agent_time {
        add_own_rows!(facts, connection, zone, agent_time, StartsAtUs, scope, start_us, end_us);
    }
    Ok(())
}

/// The survey and interaction columns a linked response needs.
#[derive(Debug, FromQueryResult)]
struct LinkedSurveyRow {
    kind: String,
    score: i32,
    responded_at_us: i64,
    updated_at_us: i64,
    interaction_source: String,
    interaction_external_id: String,
    agent_id: String,
    team_id: Option<String>,
    ended_at_us: i64,
    voided: bool,
}

/// Survey responses linked to an interaction ending in the range: they
/// count where it counts (the domain decides: the same agent, team and
/// day, nowhere while it is void). A response whose interaction has not
/// arrived is simply not joined.
async fn add_linked_surveys(
    connection: &impl ConnectionTrait,
    facts: &mut impl FactSink,
    scope: FactScope<'_>,
    start_us: i64,
    end_us: i64,
    zone: Tz,
) -> Result<(), StorageError> {
    let survey = || Alias::new("s");
    let call = || Alias::new("i");
    let column = |table: Alias, name: &str| Expr::col((table, Alias::new(name)));
    let mut query = Query::select();
    for name in [
        "kind",
        "score",
        "responded_at_us",
        "updated_at_us",
        "interaction_source",
        "interaction_external_id",
    ] {
        query.expr_as(column(survey(), name), Alias::new(name));
    }
    for name in ["agent_id", "team_id", "ended_at_us", "voided"] {
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
        let kind = SurveyKind::parse(&row.kind)
            .ok_or_else(|| StorageError::Corrupt(format!("survey kind {:?}", row.kind)))?;
        let subject = SurveySubject::Interaction {
            interaction: RecordKey {
                source: row.interaction_source,
                external_id: row.interaction_external_id,
            },
            agent_id: None,
        };
        let contribution = Contribution::survey(
            &subject,
            None,
            instant(row.responded_at_us)?,
            &SurveyFacts {
                kind,
                score: row.score,
            },
        );
        // The join matched this response's own interaction.
        let place = InteractionPlace {
            agent_id: row.agent_id,
            team_id: row.team_id,
            ended_at: instant(row.ended_at_us)?,
            voided: row.voided,
        };
        let placed = contribution.placed_by(|_| Some(&place), zone);
        facts.add(placed, &contribution.sums, row.updated_at_us);
    }
    Ok(())
}

/// QA evaluations of the range: each counts on its own agent and day, one
/// linked to an interaction only while that interaction counts (the
/// domain decides, from the linked interactions read here).
async fn add_qa_evaluations(
    connection: &impl ConnectionTrait,
    facts: &mut impl FactSink,
    scope: FactScope<'_>,
    start_us: i64,
    end_us: i64,
    zone: Tz,
) -> Result<(), StorageError> {
    let rows = qa_evaluation::Entity::find()
        .filter(qa_evaluation::Column::Voided.eq(false))
        .filter(qa_evaluation::Column::EvaluatedAtUs.gte(start_us))
        .filter(qa_evaluation::Column::EvaluatedAtUs.lt(end_us))
        .filter(agent_filter(
            qa_evaluation::Column::AgentId,
            qa_evaluation::Column::TeamId,
            scope,
        ))
        .all(connection)
        .await?;
    let mut counted = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(contribution) = row.contribution()? {
            counted.push((contribution, row.updated_at_us));
        }
    }
    let links: BTreeSet<&RecordKey> = counted
        .iter()
        .filter_map(|(contribution, _)| contribution.linked_interaction())
        .collect();
    let links: Vec<&RecordKey> = links.into_iter().collect();
    let mut places = HashMap::with_capacity(links.len());
    for (key, row) in load_rows::<interaction::Entity>(connection, &links).await? {
        places.insert(key, interaction_place(&row)?);
    }
    for (contribution, updated_at_us) in &counted {
        let placed = contribution.placed_by(|key| places.get(key), zone);
        facts.add(placed, &contribution.sums, *updated_at_us);
    }
    Ok(())
}
