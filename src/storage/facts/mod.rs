//! The raw path: reading the records of a period and folding them into
//! additive sums per rollup key (agent, team, reporting-zone day), each row
//! attributed by the domain's rules (`domain::attribution`), like the
//! rollups. It is the oracle the rollups are proven against (`kpi-service
//! rollups verify`, the property tests), the source of a rebuild, and the
//! reader of the partial days at the edges of a custom period.

use std::collections::BTreeMap;

use chrono_tz::Tz;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};

pub use super::rollups::groups::FactScope;

mod interactions;
mod linked;

use interactions::add_interactions;
use linked::{add_linked_surveys, add_qa_evaluations};

use super::{
    entities::{agent_time, compliance_check, survey_response, training_assignment, violation},
    records::StoredRow,
    rollups::{
        columns::SumColumns,
        groups::{GroupKey, GroupSums, Grouping},
        RollupKey,
    },
    StorageError,
};
use crate::domain::{
    attribution::{Attribution, Placed},
    calendar::LocalDay,
    kpi::{KpiSums, RecordSources},
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

/// What one raw read counts: the records of `scope` placed in
/// `[start_us, end_us)`, their local days in `zone`.
#[derive(Debug, Clone, Copy)]
struct RawRange<'a> {
    scope: FactScope<'a>,
    start_us: i64,
    end_us: i64,
    zone: Tz,
}

impl RawRange<'_> {
    /// A table's rows that count on their own: not void, placed by `at`
    /// within the range, of the scope's agents or team.
    fn own_rows<C: ColumnTrait>(&self, voided: C, at: C, agent: C, team: C) -> Condition {
        agent_filter(agent, team, self.scope)
            .add(voided.eq(false))
            .add(at.gte(self.start_us))
            .add(at.lt(self.end_us))
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

/// Reads the rows of one entity that count on their own in `$range`
/// (placed by its `$at` column; plus `$extra` filters), and adds each where
/// it counts.
macro_rules! add_own_rows {
    ($facts:expr, $connection:expr, $range:expr, $module:ident, $at:ident $(, $extra:expr)*) => {{
        let rows = $module::Entity::find()
            .filter($range.own_rows(
                $module::Column::Voided,
                $module::Column::$at,
                $module::Column::AgentId,
                $module::Column::TeamId,
            ))
            $(.filter($extra))*
            .all($connection)
            .await?;
        for row in rows {
            if let Some(contribution) = row.contribution()? {
                let placed = contribution.placed_by(|_| None, $range.zone);
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
    let range = RawRange {
        scope,
        start_us,
        end_us,
        zone,
    };
    if sources.interactions {
        add_interactions(connection, facts, range).await?;
    }
    if sources.surveys {
        add_linked_surveys(connection, facts, range).await?;
        add_own_rows!(
            facts,
            connection,
            range,
            survey_response,
            RespondedAtUs,
            survey_response::Column::InteractionSource.is_null()
        );
    }
    if sources.qa_evaluations {
        add_qa_evaluations(connection, facts, range).await?;
    }
    if sources.compliance_checks {
        add_own_rows!(facts, connection, range, compliance_check, CheckedAtUs);
    }
    if sources.violations {
        add_own_rows!(facts, connection, range, violation, OccurredAtUs);
    }
    if sources.training {
        add_own_rows!(facts, connection, range, training_assignment, DueAtUs);
    }
    if sources.agent_time {
        add_own_rows!(facts, connection, range, agent_time, StartsAtUs);
    }
    Ok(())
}
