//! How each record kind maps to its table, and what counts as its content
//! (the fingerprint that tells a replay from a correction). The two lists
//! stand side by side so that a new column is not forgotten in either.

use sea_orm::{ActiveValue::NotSet, Set};

use super::{
    entities::{
        agent_time, compliance_check, interaction, qa_evaluation, survey_response,
        training_assignment, violation,
    },
    ingest::{IngestRecord, RowContext},
};
use super::{instant, optional_instant, StorageError};
use crate::domain::records::{
    Channel, Fingerprint, NewAgentTime, NewComplianceCheck, NewInteraction, NewQaEvaluation,
    NewSurveyResponse, NewTrainingAssignment, NewViolation, RecordKey, RecordMeta, SurveySubject,
};

/// An interaction read back from its row. The row's recorded team is not
/// part of the record (`team_id` is what the sender named); callers that
/// need it read `row.team_id`.
pub(super) fn interaction_from_row(
    row: &interaction::Model,
) -> Result<NewInteraction, StorageError> {
    Ok(NewInteraction {
        meta: RecordMeta {
            key: RecordKey {
                source: row.source.clone(),
                external_id: row.external_id.clone(),
            },
            revision: row.revision,
            voided: row.voided,
        },
        agent_id: row.agent_id.clone(),
        team_id: None,
        channel: Channel::parse(&row.channel)
            .ok_or_else(|| StorageError::Corrupt(format!("channel {:?}", row.channel)))?,
        queued_at: instant(row.queued_at_us)?,
        first_response_at: optional_instant(row.first_response_at_us)?,
        ended_at: instant(row.ended_at_us)?,
        resolved_at: optional_instant(row.resolved_at_us)?,
        sla_due_at: optional_instant(row.sla_due_at_us)?,
        talk_seconds: row.talk_seconds,
        hold_seconds: row.hold_seconds,
        after_contact_work_seconds: row.after_contact_work_seconds,
        resolved: row.resolved,
        first_contact_resolved: row.first_contact_resolved,
        escalated: row.escalated,
        transferred: row.transferred,
        agent_error: row.agent_error,
        complaint: row.complaint,
    })
}

fn micros(instant: chrono::DateTime<chrono::Utc>) -> i64 {
    instant.timestamp_micros()
}

fn optional_micros(instant: Option<chrono::DateTime<chrono::Utc>>) -> Option<i64> {
    instant.map(micros)
}

impl IngestRecord for NewInteraction {
    type Entity = interaction::Entity;
    const FIELD: &'static str = "interactions";
    const IS_INTERACTION: bool = true;

    fn meta(&self) -> &RecordMeta {
        &self.meta
    }

    fn fingerprint(&self) -> String {
        Fingerprint::new("interaction")
            .text("agent_id", &self.agent_id)
            .optional_text("team_id", self.team_id.as_deref())
            .text("channel", self.channel.as_str())
            .instant("queued_at", self.queued_at)
            .optional_instant("first_response_at", self.first_response_at)
            .instant("ended_at", self.ended_at)
            .optional_instant("resolved_at", self.resolved_at)
            .optional_instant("sla_due_at", self.sla_due_at)
            .integer("talk_seconds", self.talk_seconds)
            .integer("hold_seconds", self.hold_seconds)
            .integer(
                "after_contact_work_seconds",
                self.after_contact_work_seconds,
            )
            .flag("resolved", self.resolved)
            .flag("first_contact_resolved", self.first_contact_resolved)
            .flag("escalated", self.escalated)
            .flag("transferred", self.transferred)
            .flag("agent_error", self.agent_error)
            .flag("complaint", self.complaint)
            .finish()
    }

    fn named_agent(&self) -> Option<&str> {
        Some(&self.agent_id)
    }

    fn explicit_team(&self) -> Option<&str> {
        self.team_id.as_deref()
    }

    fn to_active_model(&self, row: &RowContext) -> interaction::ActiveModel {
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
        }
    }
}

impl IngestRecord for NewSurveyResponse {
    type Entity = survey_response::Entity;
    const FIELD: &'static str = "survey_responses";

    fn meta(&self) -> &RecordMeta {
        &self.meta
    }

    fn fingerprint(&self) -> String {
        let (interaction, agent_id) = self.subject_columns();
        Fingerprint::new("survey_response")
            .optional_text("interaction_source", interaction.map(|k| k.0))
            .optional_text("interaction_external_id", interaction.map(|k| k.1))
            .optional_text("agent_id", agent_id)
            .text("kind", self.kind.as_str())
            .integer("score", i64::from(self.score))
            .instant("responded_at", self.responded_at)
            .finish()
    }

    fn linked_interaction(&self) -> Option<&RecordKey> {
        match &self.subject {
            SurveySubject::Interaction { interaction, .. } => Some(interaction),
            SurveySubject::Agent(_) => None,
        }
    }

    /// Only an unlinked response names the agent it counts for; a linked one
    /// counts for its interaction's agent, who is registered by that.
    fn named_agent(&self) -> Option<&str> {
        match &self.subject {
            SurveySubject::Agent(agent_id) => Some(agent_id),
            SurveySubject::Interaction { .. } => None,
        }
    }

    fn to_active_model(&self, row: &RowContext) -> survey_response::ActiveModel {
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

impl IngestRecord for NewQaEvaluation {
    type Entity = qa_evaluation::Entity;
    const FIELD: &'static str = "qa_evaluations";

    fn linked_interaction(&self) -> Option<&RecordKey> {
        self.interaction.as_ref()
    }

    fn meta(&self) -> &RecordMeta {
        &self.meta
    }

    fn fingerprint(&self) -> String {
        let mut fingerprint = Fingerprint::new("qa_evaluation");
        fingerprint
            .text("agent_id", &self.agent_id)
            .optional_text(
                "interaction_source",
                self.interaction.as_ref().map(|k| k.source.as_str()),
            )
            .optional_text(
                "interaction_external_id",
                self.interaction.as_ref().map(|k| k.external_id.as_str()),
            )
            .instant("evaluated_at", self.evaluated_at)
            .float("score", self.score)
            .float("max_score", self.max_score)
            .integer("criterion_count", self.criterion_ratings.len() as i64);
        for rating in &self.criterion_ratings {
            fingerprint
                .text("criterion", &rating.criterion)
                .integer("rating", i64::from(rating.rating));
        }
        fingerprint.finish()
    }

    fn named_agent(&self) -> Option<&str> {
        Some(&self.agent_id)
    }

    fn to_active_model(&self, row: &RowContext) -> qa_evaluation::ActiveModel {
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
            rating_total: Set(self
                .criterion_ratings
                .iter()
                .map(|r| i64::from(r.rating))
                .sum()),
            rating_count: Set(self.criterion_ratings.len() as i64),
        }
    }
}

impl IngestRecord for NewComplianceCheck {
    type Entity = compliance_check::Entity;
    const FIELD: &'static str = "compliance_checks";

    fn meta(&self) -> &RecordMeta {
        &self.meta
    }

    fn fingerprint(&self) -> String {
        Fingerprint::new("compliance_check")
            .text("agent_id", &self.agent_id)
            .text("kind", self.kind.as_str())
            .flag("passed", self.passed)
            .instant("checked_at", self.checked_at)
            .finish()
    }

    fn named_agent(&self) -> Option<&str> {
        Some(&self.agent_id)
    }

    fn to_active_model(&self, row: &RowContext) -> compliance_check::ActiveModel {
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

impl IngestRecord for NewViolation {
    type Entity = violation::Entity;
    const FIELD: &'static str = "violations";

    fn meta(&self) -> &RecordMeta {
        &self.meta
    }

    fn fingerprint(&self) -> String {
        Fingerprint::new("violation")
            .text("agent_id", &self.agent_id)
            .text("kind", self.kind.as_str())
            .instant("occurred_at", self.occurred_at)
            .finish()
    }

    fn named_agent(&self) -> Option<&str> {
        Some(&self.agent_id)
    }

    fn to_active_model(&self, row: &RowContext) -> violation::ActiveModel {
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

impl IngestRecord for NewTrainingAssignment {
    type Entity = training_assignment::Entity;
    const FIELD: &'static str = "training_assignments";

    fn meta(&self) -> &RecordMeta {
        &self.meta
    }

    fn fingerprint(&self) -> String {
        Fingerprint::new("training_assignment")
            .text("agent_id", &self.agent_id)
            .text("course_id", &self.course_id)
            .instant("due_at", self.due_at)
            .optional_instant("completed_at", self.completed_at)
            .finish()
    }

    fn named_agent(&self) -> Option<&str> {
        Some(&self.agent_id)
    }

    fn to_active_model(&self, row: &RowContext) -> training_assignment::ActiveModel {
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

impl IngestRecord for NewAgentTime {
    type Entity = agent_time::Entity;
    const FIELD: &'static str = "agent_time";

    fn meta(&self) -> &RecordMeta {
        &self.meta
    }

    fn fingerprint(&self) -> String {
        Fingerprint::new("agent_time")
            .text("agent_id", &self.agent_id)
            .instant("starts_at", self.starts_at)
            .instant("ends_at", self.ends_at)
            .integer("scheduled_seconds", self.scheduled_seconds)
            .integer("logged_in_seconds", self.logged_in_seconds)
            .integer("handling_seconds", self.handling_seconds)
            .finish()
    }

    fn named_agent(&self) -> Option<&str> {
        Some(&self.agent_id)
    }

    fn to_active_model(&self, row: &RowContext) -> agent_time::ActiveModel {
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
