//! The raw path's records that are placed through other records: survey
//! responses linked to an interaction (they count where it counts) and QA
//! evaluations (counted only while their linked interaction counts).

use std::collections::{BTreeSet, HashMap};

use sea_orm::{
    sea_query::{Alias, Expr, JoinType, Query},
    ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter,
};

use super::{FactScope, FactSink, RawRange};
use crate::{
    domain::{
        attribution::{Contribution, InteractionPlace},
        kpi::SurveyFacts,
        records::{RecordKey, SurveyKind, SurveySubject},
    },
    storage::{
        entities::{interaction, qa_evaluation, survey_response},
        instant,
        records::{interaction_place, load_rows, StoredRow},
        StorageError,
    },
};

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
pub(super) async fn add_linked_surveys(
    connection: &impl ConnectionTrait,
    facts: &mut impl FactSink,
    range: RawRange<'_>,
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
        .and_where(column(call(), "ended_at_us").gte(range.start_us))
        .and_where(column(call(), "ended_at_us").lt(range.end_us));
    match range.scope {
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
        let placed = contribution.placed_by(|_| Some(&place), range.zone);
        facts.add(placed, &contribution.sums, row.updated_at_us);
    }
    Ok(())
}

/// QA evaluations of the range: each counts on its own agent and day, one
/// linked to an interaction only while that interaction counts (the
/// domain decides, from the linked interactions read here).
pub(super) async fn add_qa_evaluations(
    connection: &impl ConnectionTrait,
    facts: &mut impl FactSink,
    range: RawRange<'_>,
) -> Result<(), StorageError> {
    let rows = qa_evaluation::Entity::find()
        .filter(range.own_rows(
            qa_evaluation::Column::Voided,
            qa_evaluation::Column::EvaluatedAtUs,
            qa_evaluation::Column::AgentId,
            qa_evaluation::Column::TeamId,
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
        let placed = contribution.placed_by(|key| places.get(key), range.zone);
        facts.add(placed, &contribution.sums, *updated_at_us);
    }
    Ok(())
}
