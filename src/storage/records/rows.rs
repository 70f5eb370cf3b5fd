//! How each record kind is written as its row: the columns of every
//! kind, beside what the batch decided (revision, content digest, clock,
//! recorded team). The reverse, a row read back, is `stored.rs`.

use sea_orm::{ActiveValue::NotSet, Set};

use super::{RecordTable, RowContext as Context};
use crate::{
    domain::records::{
        NewAgentTime, NewComplianceCheck, NewInteraction, NewQaEvaluation, NewSurveyResponse,
        NewTrainingAssignment, NewViolation, SurveySubject,
    },
    storage::entities::{
        agent_time, compliance_check, interaction, qa_evaluation, survey_response,
        training_assignment, violation,
    },
};

/// Values decided by the batch that a row needs beside its record.
pub struct RowContext {
    pub revision: Option<i64>,
    pub content_hash: String,
    /// The batch's clock (see `storage::locks`).
    pub now_us: i64,
    /// The team the record is recorded for.
    pub team_id: Option<String>,
}

fn micros(instant: chrono::DateTime<chrono::Utc>) -> i64 {
    instant.timestamp_micros()
}

fn optional_micros(instant: Option<chrono::DateTime<chrono::Utc>>) -> Option<i64> {
    instant.map(micros)
}

impl RecordTable for NewInteraction {
    type Entity = interaction::Entity;

    fn to_active_model(&self, row: &Context) -> interaction::ActiveModel {
        interaction::ActiveModel {
            id: NotSet,
            source: Set(self.meta.key.source.clone()),
            external_id: Set(self.meta.key.external_id.clone()),
            revision: Set(row.revision),
            voided: Set(self.meta.voided),
            content_hash: Set(row.content_hash.clone()),
            ingested_at_us: Set(row.now_us),
            updated_at_us: Set(row.now_us),
            agent_id: Set(self.agent_id.clone()),
            team_id: Set(row.team_id.clone()),
            channel: Set(self.channel.as_str().to_owned()),
            queued_at_us: Set(micros(self.queued_at)),
            first_response_at_us: Set(optional_micros(self.first_response_at)),
            ended_at_us: Set(micros(self.ended_at)),
            resolved_at_us: Set(optional_micros(self.resolved_at)),
            sla_due_at_us: Set(optional_micros(self.sla_due_at)),
            talk_seconds: Set(self.talk_seconds),
            hold_seconds: Set(self.hold_seconds),
            after_contact_work_seconds: Set(self.after_contact_work_seconds),
            resolved: Set(self.resolved),
            first_contact_resolved: Set(self.first_contact_resolved),
            escalated: Set(self.escalated),
            transferred: Set(self.transferred),
            agent_error: Set(self.agent_error),
            complaint: Set(self.complaint),
            team_named: Set(self.team_id.is_some()),
        }
    }
}

impl RecordTable for NewSurveyResponse {
    type Entity = survey_response::Entity;

    fn to_active_model(&self, row: &Context) -> survey_response::ActiveModel {
        let (interaction, agent_id) = self.subject_columns();
        survey_response::ActiveModel {
            id: NotSet,
            source: Set(self.meta.key.source.clone()),
            external_id: Set(self.meta.key.external_id.clone()),
            revision: Set(row.revision),
            voided: Set(self.meta.voided),
            content_hash: Set(row.content_hash.clone()),
            ingested_at_us: Set(row.now_us),
            updated_at_us: Set(row.now_us),
            team_id: Set(row.team_id.clone()),
            interaction_source: Set(interaction.map(|k| k.0.to_owned())),
            interaction_external_id: Set(interaction.map(|k| k.1.to_owned())),
            agent_id: Set(agent_id.map(str::to_owned)),
            kind: Set(self.kind.as_str().to_owned()),
            score: Set(self.score),
            responded_at_us: Set(micros(self.responded_at)),
        }
    }
}

impl NewSurveyResponse {
    /// (interaction source, interaction external id) and the agent, as stored.
    fn subject_columns(&self) -> (Option<(&str, &str)>, Option<&str>) {
        match &self.subject {
            SurveySubject::Interaction {
                interaction,
                agent_id,
            } => (
                Some((&interaction.source, &interaction.external_id)),
                agent_id.as_deref(),
            ),
            SurveySubject::Agent(agent_id) => (None, Some(agent_id)),
        }
    }
}

impl RecordTable for NewQaEvaluation {
    type Entity = qa_evaluation::Entity;

    fn to_active_model(&self, row: &Context) -> qa_evaluation::ActiveModel {
        let facts = self.qa_facts();
        let ratings_json = serde_json::Value::Array(
            self.criterion_ratings
                .iter()
                .map(|r| serde_json::json!({ "criterion": r.criterion, "rating": r.rating }))
                .collect(),
        );
        qa_evaluation::ActiveModel {
            id: NotSet,
            source: Set(self.meta.key.source.clone()),
            external_id: Set(self.meta.key.external_id.clone()),
            revision: Set(row.revision),
            voided: Set(self.meta.voided),
            content_hash: Set(row.content_hash.clone()),
            ingested_at_us: Set(row.now_us),
            updated_at_us: Set(row.now_us),
            team_id: Set(row.team_id.clone()),
            agent_id: Set(self.agent_id.clone()),
            interaction_source: Set(self.interaction.as_ref().map(|k| k.source.clone())),
            interaction_external_id: Set(self.interaction.as_ref().map(|k| k.external_id.clone())),
            evaluated_at_us: Set(micros(self.evaluated_at)),
            score: Set(self.score),
            max_score: Set(self.max_score),
            criterion_ratings: Set(ratings_json.to_string()),
            rating_total: Set(facts.criterion_rating_total),
            rating_count: Set(facts.criterion_rating_count),
        }
    }
}

impl RecordTable for NewComplianceCheck {
    type Entity = compliance_check::Entity;

    fn to_active_model(&self, row: &Context) -> compliance_check::ActiveModel {
        compliance_check::ActiveModel {
            id: NotSet,
            source: Set(self.meta.key.source.clone()),
            external_id: Set(self.meta.key.external_id.clone()),
            revision: Set(row.revision),
            voided: Set(self.meta.voided),
            content_hash: Set(row.content_hash.clone()),
            ingested_at_us: Set(row.now_us),
            updated_at_us: Set(row.now_us),
            team_id: Set(row.team_id.clone()),
            agent_id: Set(self.agent_id.clone()),
            kind: Set(self.kind.as_str().to_owned()),
            passed: Set(self.passed),
            checked_at_us: Set(micros(self.checked_at)),
        }
    }
}

impl RecordTable for NewViolation {
    type Entity = violation::Entity;

    fn to_active_model(&self, row: &Context) -> violation::ActiveModel {
        violation::ActiveModel {
            id: NotSet,
            source: Set(self.meta.key.source.clone()),
            external_id: Set(self.meta.key.external_id.clone()),
            revision: Set(row.revision),
            voided: Set(self.meta.voided),
            content_hash: Set(row.content_hash.clone()),
            ingested_at_us: Set(row.now_us),
            updated_at_us: Set(row.now_us),
            team_id: Set(row.team_id.clone()),
            agent_id: Set(self.agent_id.clone()),
            kind: Set(self.kind.as_str().to_owned()),
            occurred_at_us: Set(micros(self.occurred_at)),
        }
    }
}

impl RecordTable for NewTrainingAssignment {
    type Entity = training_assignment::Entity;

    fn to_active_model(&self, row: &Context) -> training_assignment::ActiveModel {
        training_assignment::ActiveModel {
            id: NotSet,
            source: Set(self.meta.key.source.clone()),
            external_id: Set(self.meta.key.external_id.clone()),
            revision: Set(row.revision),
            voided: Set(self.meta.voided),
            content_hash: Set(row.content_hash.clone()),
            ingested_at_us: Set(row.now_us),
            updated_at_us: Set(row.now_us),
            team_id: Set(row.team_id.clone()),
            agent_id: Set(self.agent_id.clone()),
            course_id: Set(self.course_id.clone()),
            due_at_us: Set(micros(self.due_at)),
            completed_at_us: Set(optional_micros(self.completed_at)),
        }
    }
}

impl RecordTable for NewAgentTime {
    type Entity = agent_time::Entity;

    fn to_active_model(&self, row: &Context) -> agent_time::ActiveModel {
        agent_time::ActiveModel {
            id: NotSet,
            source: Set(self.meta.key.source.clone()),
            external_id: Set(self.meta.key.external_id.clone()),
            revision: Set(row.revision),
            voided: Set(self.meta.voided),
            content_hash: Set(row.content_hash.clone()),
            ingested_at_us: Set(row.now_us),
            updated_at_us: Set(row.now_us),
            team_id: Set(row.team_id.clone()),
            agent_id: Set(self.agent_id.clone()),
            starts_at_us: Set(micros(self.starts_at)),
            ends_at_us: Set(micros(self.ends_at)),
            scheduled_seconds: Set(self.scheduled_seconds),
            logged_in_seconds: Set(self.logged_in_seconds),
            handling_seconds: Set(self.handling_seconds),
        }
    }
}
