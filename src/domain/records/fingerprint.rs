//! A record's content digest: what tells a replay from a correction.
//! Everything but the record's identity, revision and void flag is part of
//! its content; each kind lists its fields here, next to nothing else, so
//! that a new field is not forgotten.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::{
    NewAgentTime, NewComplianceCheck, NewInteraction, NewQaEvaluation, NewSurveyResponse,
    NewTrainingAssignment, NewViolation, SurveySubject,
};

/// A stable digest of a record's content (everything but its identity,
/// revision and void flag), so a replay is recognised without comparing
/// every column. Each field is written with its name and length, so that no
/// two different contents can produce the same byte stream.
#[derive(Default)]
pub struct Fingerprint {
    hasher: Sha256,
}

impl Fingerprint {
    pub fn new(kind: &str) -> Self {
        let mut fingerprint = Self::default();
        fingerprint.text("kind", kind);
        fingerprint
    }

    pub fn text(&mut self, name: &str, value: &str) -> &mut Self {
        self.hasher.update(name.as_bytes());
        self.hasher.update((value.len() as u64).to_be_bytes());
        self.hasher.update(value.as_bytes());
        self
    }

    pub fn optional_text(&mut self, name: &str, value: Option<&str>) -> &mut Self {
        match value {
            Some(value) => self.text(name, value),
            None => self.absent(name),
        }
    }

    pub fn integer(&mut self, name: &str, value: i64) -> &mut Self {
        self.hasher.update(name.as_bytes());
        self.hasher.update(value.to_be_bytes());
        self
    }

    pub fn optional_integer(&mut self, name: &str, value: Option<i64>) -> &mut Self {
        match value {
            Some(value) => self.integer(name, value),
            None => self.absent(name),
        }
    }

    pub fn float(&mut self, name: &str, value: f64) -> &mut Self {
        self.hasher.update(name.as_bytes());
        self.hasher.update(value.to_bits().to_be_bytes());
        self
    }

    pub fn flag(&mut self, name: &str, value: bool) -> &mut Self {
        self.integer(name, i64::from(value))
    }

    pub fn instant(&mut self, name: &str, value: DateTime<Utc>) -> &mut Self {
        self.integer(name, value.timestamp_micros())
    }

    pub fn optional_instant(&mut self, name: &str, value: Option<DateTime<Utc>>) -> &mut Self {
        self.optional_integer(name, value.map(|instant| instant.timestamp_micros()))
    }

    fn absent(&mut self, name: &str) -> &mut Self {
        self.hasher.update(name.as_bytes());
        self.hasher.update(b"\0absent");
        self
    }

    /// The digest as 64 lowercase hex characters.
    pub fn finish(&mut self) -> String {
        let digest = std::mem::take(&mut self.hasher).finalize();
        digest.iter().map(|byte| format!("{byte:02x}")).collect()
    }
}

impl NewInteraction {
    /// The digest of the interaction's content.
    pub fn fingerprint(&self) -> String {
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
}

impl NewSurveyResponse {
    /// The digest of the response's content.
    pub fn fingerprint(&self) -> String {
        let (interaction, agent_id) = match &self.subject {
            SurveySubject::Interaction {
                interaction,
                agent_id,
            } => (Some(interaction), agent_id.as_deref()),
            SurveySubject::Agent(agent_id) => (None, Some(agent_id.as_str())),
        };
        Fingerprint::new("survey_response")
            .optional_text("interaction_source", interaction.map(|k| k.source.as_str()))
            .optional_text(
                "interaction_external_id",
                interaction.map(|k| k.external_id.as_str()),
            )
            .optional_text("agent_id", agent_id)
            .text("kind", self.kind.as_str())
            .integer("score", i64::from(self.score))
            .instant("responded_at", self.responded_at)
            .finish()
    }
}

impl NewQaEvaluation {
    /// The digest of the evaluation's content, its ratings in order.
    pub fn fingerprint(&self) -> String {
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
}

impl NewComplianceCheck {
    /// The digest of the check's content.
    pub fn fingerprint(&self) -> String {
        Fingerprint::new("compliance_check")
            .text("agent_id", &self.agent_id)
            .text("kind", self.kind.as_str())
            .flag("passed", self.passed)
            .instant("checked_at", self.checked_at)
            .finish()
    }
}

impl NewViolation {
    /// The digest of the violation's content.
    pub fn fingerprint(&self) -> String {
        Fingerprint::new("violation")
            .text("agent_id", &self.agent_id)
            .text("kind", self.kind.as_str())
            .instant("occurred_at", self.occurred_at)
            .finish()
    }
}

impl NewTrainingAssignment {
    /// The digest of the assignment's content.
    pub fn fingerprint(&self) -> String {
        Fingerprint::new("training_assignment")
            .text("agent_id", &self.agent_id)
            .text("course_id", &self.course_id)
            .instant("due_at", self.due_at)
            .optional_instant("completed_at", self.completed_at)
            .finish()
    }
}

impl NewAgentTime {
    /// The digest of the interval's content.
    pub fn fingerprint(&self) -> String {
        Fingerprint::new("agent_time")
            .text("agent_id", &self.agent_id)
            .instant("starts_at", self.starts_at)
            .instant("ends_at", self.ends_at)
            .integer("scheduled_seconds", self.scheduled_seconds)
            .integer("logged_in_seconds", self.logged_in_seconds)
            .integer("handling_seconds", self.handling_seconds)
            .finish()
    }
}
