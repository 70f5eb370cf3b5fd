//! A stored row read back: its key, its version (for the replay rules) and
//! what it contributes, each row converted once, through the same domain
//! constructors a record arriving goes through
//! (`domain::attribution`). Void rows contribute nothing.

use chrono::{DateTime, Utc};

use crate::{
    domain::{
        attribution::{Contribution, InteractionPlace, Record},
        ingest::StoredVersion,
        kpi::{AgentTimeFacts, ComplianceFacts, QaFacts, SurveyFacts, TrainingFacts},
        records::{
            Channel, ComplianceKind, NewInteraction, RecordKey, RecordMeta, SurveyKind,
            SurveySubject,
        },
    },
    storage::{
        entities::{
            agent_time, compliance_check, interaction, qa_evaluation, survey_response,
            training_assignment, violation,
        },
        StorageError,
    },
};

/// A stored row of a record table.
pub trait StoredRow {
    fn key(&self) -> RecordKey;
    fn version(&self) -> StoredVersion;
    /// What the row adds where it counts (`None` when void).
    fn contribution(&self) -> Result<Option<Contribution>, StorageError>;
}

fn instant(micros: i64) -> Result<DateTime<Utc>, StorageError> {
    crate::storage::instant(micros)
}

fn optional_instant(micros: Option<i64>) -> Result<Option<DateTime<Utc>>, StorageError> {
    crate::storage::optional_instant(micros)
}

/// An interaction read back from its row. The row's recorded team is not
/// part of the record (`team_id` is what the sender named); callers that
/// need it read `row.team_id`.
pub fn interaction_from_row(row: &interaction::Model) -> Result<NewInteraction, StorageError> {
    Ok(NewInteraction {
        meta: RecordMeta {
            key: row.key(),
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

/// Where a stored interaction counts, for the records linked to it.
pub fn interaction_place(row: &interaction::Model) -> Result<InteractionPlace, StorageError> {
    Ok(InteractionPlace {
        agent_id: row.agent_id.clone(),
        team_id: row.team_id.clone(),
        ended_at: instant(row.ended_at_us)?,
        voided: row.voided,
    })
}

/// The key and version every record row carries.
macro_rules! key_and_version {
    () => {
        fn key(&self) -> RecordKey {
            RecordKey {
                source: self.source.clone(),
                external_id: self.external_id.clone(),
            }
        }

        fn version(&self) -> StoredVersion {
            StoredVersion {
                revision: self.revision,
                content_hash: self.content_hash.clone(),
                voided: self.voided,
            }
        }
    };
}

fn link(source: &Option<String>, external_id: &Option<String>) -> Option<RecordKey> {
    match (source, external_id) {
        (Some(source), Some(external_id)) => Some(RecordKey {
            source: source.clone(),
            external_id: external_id.clone(),
        }),
        _ => None,
    }
}

impl StoredRow for interaction::Model {
    key_and_version!();

    fn contribution(&self) -> Result<Option<Contribution>, StorageError> {
        if self.voided {
            return Ok(None);
        }
        Ok(interaction_from_row(self)?.contribution(self.team_id.clone()))
    }
}

impl StoredRow for survey_response::Model {
    key_and_version!();

    fn contribution(&self) -> Result<Option<Contribution>, StorageError> {
        if self.voided {
            return Ok(None);
        }
        let kind = SurveyKind::parse(&self.kind)
            .ok_or_else(|| StorageError::Corrupt(format!("survey kind {:?}", self.kind)))?;
        let subject = match (
            link(&self.interaction_source, &self.interaction_external_id),
            &self.agent_id,
        ) {
            (Some(interaction), agent_id) => SurveySubject::Interaction {
                interaction,
                agent_id: agent_id.clone(),
            },
            (None, Some(agent_id)) => SurveySubject::Agent(agent_id.clone()),
            (None, None) => return Ok(None),
        };
        let facts = SurveyFacts {
            kind,
            score: self.score,
        };
        Ok(Some(Contribution::survey(
            &subject,
            self.team_id.clone(),
            instant(self.responded_at_us)?,
            &facts,
        )))
    }
}

impl StoredRow for qa_evaluation::Model {
    key_and_version!();

    fn contribution(&self) -> Result<Option<Contribution>, StorageError> {
        if self.voided {
            return Ok(None);
        }
        let facts = QaFacts {
            score: self.score,
            max_score: self.max_score,
            criterion_rating_total: self.rating_total,
            criterion_rating_count: self.rating_count,
        };
        Ok(Some(Contribution::qa(
            &self.agent_id,
            self.team_id.clone(),
            instant(self.evaluated_at_us)?,
            link(&self.interaction_source, &self.interaction_external_id),
            &facts,
        )))
    }
}

impl StoredRow for compliance_check::Model {
    key_and_version!();

    fn contribution(&self) -> Result<Option<Contribution>, StorageError> {
        if self.voided {
            return Ok(None);
        }
        let kind = ComplianceKind::parse(&self.kind)
            .ok_or_else(|| StorageError::Corrupt(format!("compliance kind {:?}", self.kind)))?;
        let facts = ComplianceFacts {
            kind,
            passed: self.passed,
        };
        Ok(Some(Contribution::compliance(
            &self.agent_id,
            self.team_id.clone(),
            instant(self.checked_at_us)?,
            &facts,
        )))
    }
}

impl StoredRow for violation::Model {
    key_and_version!();

    fn contribution(&self) -> Result<Option<Contribution>, StorageError> {
        if self.voided {
            return Ok(None);
        }
        Ok(Some(Contribution::violation(
            &self.agent_id,
            self.team_id.clone(),
            instant(self.occurred_at_us)?,
        )))
    }
}

impl StoredRow for training_assignment::Model {
    key_and_version!();

    fn contribution(&self) -> Result<Option<Contribution>, StorageError> {
        if self.voided {
            return Ok(None);
        }
        let facts = TrainingFacts {
            due_at: instant(self.due_at_us)?,
            completed_at: optional_instant(self.completed_at_us)?,
        };
        Ok(Some(Contribution::training(
            &self.agent_id,
            self.team_id.clone(),
            &facts,
        )))
    }
}

impl StoredRow for agent_time::Model {
    key_and_version!();

    fn contribution(&self) -> Result<Option<Contribution>, StorageError> {
        if self.voided {
            return Ok(None);
        }
        let facts = AgentTimeFacts {
            scheduled_seconds: self.scheduled_seconds,
            logged_in_seconds: self.logged_in_seconds,
            handling_seconds: self.handling_seconds,
        };
        Ok(Some(Contribution::agent_time(
            &self.agent_id,
            self.team_id.clone(),
            instant(self.starts_at_us)?,
            &facts,
        )))
    }
}
