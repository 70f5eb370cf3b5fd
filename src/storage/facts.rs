//! Reading the records behind KPIs and folding them into additive sums per
//! (agent, reporting-zone day). Attribution follows the catalogue: an
//! interaction counts on the day of its `ended_at`; a linked survey response
//! with its interaction (agent and day), however late it arrived; an
//! unlinked one on the day of `responded_at`; QA, compliance checks and
//! violations on their own timestamp's day; training on `due_at`'s day;
//! agent time on its interval's start day. Void records count nowhere.
//!
//! The per-day sums are what a future daily rollup table will hold, so the
//! callers above this module do not change when it arrives.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use chrono_tz::Tz;
use sea_orm::{
    sea_query::{Alias, Expr, JoinType, Query},
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
};

use super::{
    entities::{
        agent_time, compliance_check, interaction, qa_evaluation, survey_response,
        training_assignment, violation,
    },
    instant, optional_instant,
    records::interaction_from_row,
    Database, StorageError,
};
use crate::domain::{
    kpi::{
        AgentTimeFacts, ComplianceFacts, ComplianceKind, KpiSums, QaFacts, SurveyFacts, SurveyKind,
        TrainingFacts,
    },
    period::local_date,
};

/// Whose records to read.
#[derive(Debug, Clone, Copy)]
pub enum FactScope<'a> {
    /// Every record of these agents (agent scorecards).
    Agents(&'a [String]),
    /// A team's pooled numbers: interactions (and their survey responses)
    /// that recorded the team at ingest, and the other records of its
    /// current members.
    Team {
        team_id: &'a str,
        members: &'a [String],
    },
    /// Every agent.
    Organisation,
}

/// Sums per (agent, day), each day closed (see `KpiSums::close_day`).
#[derive(Debug, Default)]
pub struct DailyFacts {
    pub by_agent_day: BTreeMap<(String, NaiveDate), KpiSums>,
    /// When the newest counted record was stored or corrected (µs).
    pub latest_update_us: Option<i64>,
    /// The same, per agent.
    pub latest_update_by_agent: HashMap<String, i64>,
}

impl DailyFacts {
    fn day(
        &mut self,
        agent_id: &str,
        instant_us: i64,
        zone: Tz,
    ) -> Result<&mut KpiSums, StorageError> {
        let day = local_date(instant(instant_us)?, zone);
        Ok(self
            .by_agent_day
            .entry((agent_id.to_owned(), day))
            .or_default())
    }

    fn saw_update(&mut self, agent_id: &str, updated_at_us: i64) {
        self.latest_update_us = Some(
            self.latest_update_us
                .map_or(updated_at_us, |latest| latest.max(updated_at_us)),
        );
        let latest = self
            .latest_update_by_agent
            .entry(agent_id.to_owned())
            .or_insert(updated_at_us);
        *latest = (*latest).max(updated_at_us);
    }

    /// The sum over every agent and day.
    pub fn total(&self) -> KpiSums {
        self.by_agent_day.values().cloned().sum()
    }

    /// The sum per agent over every day.
    pub fn per_agent(&self) -> BTreeMap<String, KpiSums> {
        let mut per_agent: BTreeMap<String, KpiSums> = BTreeMap::new();
        for ((agent_id, _), sums) in &self.by_agent_day {
            *per_agent.entry(agent_id.clone()).or_default() += sums.clone();
        }
        per_agent
    }
}

/// Filters `agent_column` by the scope's agents (the team's members for a
/// team scope).
fn agent_filter<C: ColumnTrait>(agent_column: C, scope: FactScope<'_>) -> Condition {
    match scope {
        FactScope::Agents(agents) => {
            Condition::all().add(agent_column.is_in(agents.iter().cloned()))
        }
        FactScope::Team { members, .. } => {
            Condition::all().add(agent_column.is_in(members.iter().cloned()))
        }
        FactScope::Organisation => Condition::all(),
    }
}

/// Filters interactions by the scope (the recorded team for a team scope).
fn interaction_filter(scope: FactScope<'_>) -> Condition {
    match scope {
        FactScope::Team { team_id, .. } => {
            Condition::all().add(interaction::Column::TeamId.eq(team_id))
        }
        other => agent_filter(interaction::Column::AgentId, other),
    }
}

impl Database {
    /// Reads every counted record of `scope` in `[start_us, end_us)`.
    pub async fn load_daily_facts(
        &self,
        scope: FactScope<'_>,
        start_us: i64,
        end_us: i64,
        zone: Tz,
    ) -> Result<DailyFacts, StorageError> {
        let connection = self.connection();
        let mut facts = DailyFacts::default();

        let interactions = interaction::Entity::find()
            .filter(interaction::Column::Voided.eq(false))
            .filter(interaction::Column::EndedAtUs.gte(start_us))
            .filter(interaction::Column::EndedAtUs.lt(end_us))
            .filter(interaction_filter(scope))
            .all(connection)
            .await?;
        for row in interactions {
            facts.saw_update(&row.agent_id, row.updated_at_us);
            let record = interaction_from_row(&row)?;
            facts
                .day(&row.agent_id, row.ended_at_us, zone)?
                .add_interaction(&record);
        }

        self.add_linked_surveys(&mut facts, scope, start_us, end_us, zone)
            .await?;

        let unlinked_surveys = survey_response::Entity::find()
            .filter(survey_response::Column::Voided.eq(false))
            .filter(survey_response::Column::InteractionSource.is_null())
            .filter(survey_response::Column::RespondedAtUs.gte(start_us))
            .filter(survey_response::Column::RespondedAtUs.lt(end_us))
            .filter(agent_filter(survey_response::Column::AgentId, scope))
            .all(connection)
            .await?;
        for row in unlinked_surveys {
            let Some(agent_id) = row.agent_id.as_deref() else {
                continue;
            };
            facts.saw_update(agent_id, row.updated_at_us);
            let record = SurveyFacts {
                kind: survey_kind(&row.kind)?,
                score: row.score,
            };
            facts
                .day(agent_id, row.responded_at_us, zone)?
                .add_survey(&record);
        }

        let evaluations = qa_evaluation::Entity::find()
            .filter(qa_evaluation::Column::Voided.eq(false))
            .filter(qa_evaluation::Column::EvaluatedAtUs.gte(start_us))
            .filter(qa_evaluation::Column::EvaluatedAtUs.lt(end_us))
            .filter(agent_filter(qa_evaluation::Column::AgentId, scope))
            .all(connection)
            .await?;
        for row in evaluations {
            facts.saw_update(&row.agent_id, row.updated_at_us);
            let record = QaFacts {
                score: row.score,
                max_score: row.max_score,
                criterion_rating_total: row.rating_total,
                criterion_rating_count: row.rating_count,
            };
            facts
                .day(&row.agent_id, row.evaluated_at_us, zone)?
                .add_qa(&record);
        }

        let checks = compliance_check::Entity::find()
            .filter(compliance_check::Column::Voided.eq(false))
            .filter(compliance_check::Column::CheckedAtUs.gte(start_us))
            .filter(compliance_check::Column::CheckedAtUs.lt(end_us))
            .filter(agent_filter(compliance_check::Column::AgentId, scope))
            .all(connection)
            .await?;
        for row in checks {
            facts.saw_update(&row.agent_id, row.updated_at_us);
            let kind = ComplianceKind::parse(&row.kind)
                .ok_or_else(|| StorageError::Corrupt(format!("compliance kind {:?}", row.kind)))?;
            let record = ComplianceFacts {
                kind,
                passed: row.passed,
            };
            facts
                .day(&row.agent_id, row.checked_at_us, zone)?
                .add_compliance(&record);
        }

        let violations = violation::Entity::find()
            .filter(violation::Column::Voided.eq(false))
            .filter(violation::Column::OccurredAtUs.gte(start_us))
            .filter(violation::Column::OccurredAtUs.lt(end_us))
            .filter(agent_filter(violation::Column::AgentId, scope))
            .all(connection)
            .await?;
        for row in violations {
            facts.saw_update(&row.agent_id, row.updated_at_us);
            facts
                .day(&row.agent_id, row.occurred_at_us, zone)?
                .add_violation();
        }

        let assignments = training_assignment::Entity::find()
            .filter(training_assignment::Column::Voided.eq(false))
            .filter(training_assignment::Column::DueAtUs.gte(start_us))
            .filter(training_assignment::Column::DueAtUs.lt(end_us))
            .filter(agent_filter(training_assignment::Column::AgentId, scope))
            .all(connection)
            .await?;
        for row in assignments {
            facts.saw_update(&row.agent_id, row.updated_at_us);
            let record = TrainingFacts {
                due_at: instant(row.due_at_us)?,
                completed_at: optional_instant(row.completed_at_us)?,
            };
            facts
                .day(&row.agent_id, row.due_at_us, zone)?
                .add_training(&record);
        }

        let time = agent_time::Entity::find()
            .filter(agent_time::Column::Voided.eq(false))
            .filter(agent_time::Column::StartsAtUs.gte(start_us))
            .filter(agent_time::Column::StartsAtUs.lt(end_us))
            .filter(agent_filter(agent_time::Column::AgentId, scope))
            .all(connection)
            .await?;
        for row in time {
            facts.saw_update(&row.agent_id, row.updated_at_us);
            let record = AgentTimeFacts {
                scheduled_seconds: row.scheduled_seconds,
                logged_in_seconds: row.logged_in_seconds,
                handling_seconds: row.handling_seconds,
            };
            facts
                .day(&row.agent_id, row.starts_at_us, zone)?
                .add_agent_time(&record);
        }

        for sums in facts.by_agent_day.values_mut() {
            sums.close_day();
        }
        Ok(facts)
    }

    /// Survey responses linked to a counted interaction: they take the
    /// interaction's agent and day. A response whose interaction has not
    /// arrived (or is void) is simply not joined yet.
    async fn add_linked_surveys(
        &self,
        facts: &mut DailyFacts,
        scope: FactScope<'_>,
        start_us: i64,
        end_us: i64,
        zone: Tz,
    ) -> Result<(), StorageError> {
        let survey = Alias::new("s");
        let call = Alias::new("i");
        let mut query = Query::select();
        query
            .expr_as(
                Expr::col((survey.clone(), Alias::new("kind"))),
                Alias::new("kind"),
            )
            .expr_as(
                Expr::col((survey.clone(), Alias::new("score"))),
                Alias::new("score"),
            )
            .expr_as(
                Expr::col((survey.clone(), Alias::new("updated_at_us"))),
                Alias::new("updated_at_us"),
            )
            .expr_as(
                Expr::col((call.clone(), Alias::new("agent_id"))),
                Alias::new("agent_id"),
            )
            .expr_as(
                Expr::col((call.clone(), Alias::new("ended_at_us"))),
                Alias::new("ended_at_us"),
            )
            .from_as(survey_response::Entity, survey.clone())
            .join_as(
                JoinType::InnerJoin,
                interaction::Entity,
                call.clone(),
                Expr::col((call.clone(), Alias::new("source")))
                    .equals((survey.clone(), Alias::new("interaction_source")))
                    .and(
                        Expr::col((call.clone(), Alias::new("external_id")))
                            .equals((survey.clone(), Alias::new("interaction_external_id"))),
                    ),
            )
            .and_where(Expr::col((survey.clone(), Alias::new("voided"))).eq(false))
            .and_where(Expr::col((call.clone(), Alias::new("voided"))).eq(false))
            .and_where(Expr::col((call.clone(), Alias::new("ended_at_us"))).gte(start_us))
            .and_where(Expr::col((call.clone(), Alias::new("ended_at_us"))).lt(end_us));
        match scope {
            FactScope::Agents(agents) => {
                query.and_where(
                    Expr::col((call.clone(), Alias::new("agent_id"))).is_in(agents.iter().cloned()),
                );
            }
            FactScope::Team { team_id, .. } => {
                query.and_where(Expr::col((call.clone(), Alias::new("team_id"))).eq(team_id));
            }
            FactScope::Organisation => {}
        }
        let connection = self.connection();
        let statement = connection.get_database_backend().build(&query);
        for row in connection.query_all(statement).await? {
            let agent_id: String = row.try_get("", "agent_id")?;
            let kind: String = row.try_get("", "kind")?;
            let record = SurveyFacts {
                kind: survey_kind(&kind)?,
                score: row.try_get("", "score")?,
            };
            facts.saw_update(&agent_id, row.try_get("", "updated_at_us")?);
            let ended_at_us: i64 = row.try_get("", "ended_at_us")?;
            facts.day(&agent_id, ended_at_us, zone)?.add_survey(&record);
        }
        Ok(())
    }
}

fn survey_kind(kind: &str) -> Result<SurveyKind, StorageError> {
    SurveyKind::parse(kind).ok_or_else(|| StorageError::Corrupt(format!("survey kind {kind:?}")))
}
