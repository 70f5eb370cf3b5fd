//! What one stored row adds to the rollups, by the catalogue's attribution:
//! an interaction on its agent, recorded team and `ended_at` day; a linked
//! survey response wherever its interaction counts (nowhere while the
//! interaction is missing or void); a linked QA evaluation on its own agent
//! and day, but only while its interaction counts; everything else on its
//! own agent, recorded team and timestamp's day. Void rows add nothing.

use std::collections::HashMap;

use chrono_tz::Tz;

use super::super::{
    entities::{
        agent_time, compliance_check, interaction, qa_evaluation, survey_response,
        training_assignment, violation,
    },
    instant, optional_instant,
    records::interaction_from_row,
    StorageError,
};
use crate::domain::{
    kpi::{
        AgentTimeFacts, ComplianceFacts, ComplianceKind, KpiSums, QaFacts, SurveyFacts, SurveyKind,
        TrainingFacts,
    },
    period::local_date,
    records::RecordKey,
};

/// A rollup row's key: agent, team (empty for none) and local day as days
/// since 1970-01-01 in the reporting zone.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RollupKey {
    pub agent_id: String,
    pub team_id: String,
    pub day: i32,
}

/// Days since 1970-01-01 of `instant_us`'s local date in `zone`.
pub fn local_day_number(instant_us: i64, zone: Tz) -> Result<i32, StorageError> {
    let date = local_date(instant(instant_us)?, zone);
    Ok(day_number(date))
}

/// Days since 1970-01-01 of a date.
pub fn day_number(date: chrono::NaiveDate) -> i32 {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    (date - epoch).num_days() as i32
}

/// Where a row counts.
#[derive(Debug, Clone, PartialEq)]
pub enum Placement {
    /// On its own agent, team and instant.
    Own {
        agent_id: String,
        team_id: Option<String>,
        at_us: i64,
    },
    /// Wherever the interaction counts (linked survey responses).
    WithInteraction(RecordKey),
}

/// One row's share of the rollups, before the interaction it may depend on
/// is consulted.
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    pub placement: Placement,
    /// An interaction that must exist and not be void for the row to count.
    pub requires: Option<RecordKey>,
    pub sums: KpiSums,
}

/// Where an interaction counts, as far as rows linked to it care.
#[derive(Debug, Clone, PartialEq)]
pub struct InteractionPlace {
    pub agent_id: String,
    pub team_id: Option<String>,
    pub ended_at_us: i64,
    pub voided: bool,
}

impl InteractionPlace {
    pub fn of(row: &interaction::Model) -> Self {
        Self {
            agent_id: row.agent_id.clone(),
            team_id: row.team_id.clone(),
            ended_at_us: row.ended_at_us,
            voided: row.voided,
        }
    }
}

impl Contribution {
    /// The rollup key this contribution lands on, given the interactions
    /// rows may be linked to; `None` when it counts nowhere.
    pub fn key(
        &self,
        interactions: &HashMap<RecordKey, InteractionPlace>,
        zone: Tz,
    ) -> Result<Option<RollupKey>, StorageError> {
        let counting = |key: &RecordKey| interactions.get(key).filter(|place| !place.voided);
        if let Some(required) = &self.requires {
            if counting(required).is_none() {
                return Ok(None);
            }
        }
        let (agent_id, team_id, at_us) = match &self.placement {
            Placement::Own {
                agent_id,
                team_id,
                at_us,
            } => (agent_id, team_id, *at_us),
            Placement::WithInteraction(key) => match counting(key) {
                Some(place) => (&place.agent_id, &place.team_id, place.ended_at_us),
                None => return Ok(None),
            },
        };
        Ok(Some(RollupKey {
            agent_id: agent_id.clone(),
            team_id: team_id.clone().unwrap_or_default(),
            day: local_day_number(at_us, zone)?,
        }))
    }

    /// Where an interaction counts, for the rows linked to it (`None` for
    /// rows that follow another record).
    pub fn own_place(&self) -> Option<InteractionPlace> {
        match &self.placement {
            Placement::Own {
                agent_id,
                team_id,
                at_us,
            } => Some(InteractionPlace {
                agent_id: agent_id.clone(),
                team_id: team_id.clone(),
                ended_at_us: *at_us,
                voided: false,
            }),
            Placement::WithInteraction(_) => None,
        }
    }

    /// The interaction this row's counting depends on, if any.
    pub fn linked_interaction(&self) -> Option<&RecordKey> {
        match &self.placement {
            Placement::WithInteraction(key) => Some(key),
            Placement::Own { .. } => self.requires.as_ref(),
        }
    }
}

/// A stored row of a record table, as the ingest and rollup code need it.
pub trait StoredRecord {
    fn key(&self) -> RecordKey;
    fn version(&self) -> crate::domain::ingest::StoredVersion;
    /// The agent and the team recorded for the row.
    fn agent_and_team(&self) -> (Option<&str>, Option<&str>);
    /// What the row adds to the rollups (`None` when void).
    fn contribution(&self) -> Result<Option<Contribution>, StorageError>;
}

macro_rules! stored_record_common {
    (agent) => {
        stored_record_common!();

        fn agent_and_team(&self) -> (Option<&str>, Option<&str>) {
            (Some(&self.agent_id), self.team_id.as_deref())
        }
    };
    () => {
        fn key(&self) -> RecordKey {
            RecordKey {
                source: self.source.clone(),
                external_id: self.external_id.clone(),
            }
        }

        fn version(&self) -> crate::domain::ingest::StoredVersion {
            crate::domain::ingest::StoredVersion {
                revision: self.revision,
                content_hash: self.content_hash.clone(),
                voided: self.voided,
            }
        }
    };
}

/// What one survey response adds, wherever it counts.
pub fn survey_sums(kind: &str, score: i32) -> Result<KpiSums, StorageError> {
    let kind = SurveyKind::parse(kind)
        .ok_or_else(|| StorageError::Corrupt(format!("survey kind {kind:?}")))?;
    let mut sums = KpiSums::default();
    sums.add_survey(&SurveyFacts { kind, score });
    Ok(sums)
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

fn own(agent_id: &str, team_id: &Option<String>, at_us: i64) -> Placement {
    Placement::Own {
        agent_id: agent_id.to_owned(),
        team_id: team_id.clone(),
        at_us,
    }
}

impl StoredRecord for interaction::Model {
    stored_record_common!(agent);

    fn contribution(&self) -> Result<Option<Contribution>, StorageError> {
        if self.voided {
            return Ok(None);
        }
        let mut sums = KpiSums::default();
        sums.add_interaction(&interaction_from_row(self)?);
        Ok(Some(Contribution {
            placement: own(&self.agent_id, &self.team_id, self.ended_at_us),
            requires: None,
            sums,
        }))
    }
}

impl StoredRecord for survey_response::Model {
    stored_record_common!();

    fn agent_and_team(&self) -> (Option<&str>, Option<&str>) {
        (self.agent_id.as_deref(), self.team_id.as_deref())
    }

    fn contribution(&self) -> Result<Option<Contribution>, StorageError> {
        if self.voided {
            return Ok(None);
        }
        let sums = survey_sums(&self.kind, self.score)?;
        let placement = match (
            link(&self.interaction_source, &self.interaction_external_id),
            &self.agent_id,
        ) {
            (Some(interaction), _) => Placement::WithInteraction(interaction),
            (None, Some(agent_id)) => own(agent_id, &self.team_id, self.responded_at_us),
            (None, None) => return Ok(None),
        };
        Ok(Some(Contribution {
            placement,
            requires: None,
            sums,
        }))
    }
}

impl StoredRecord for qa_evaluation::Model {
    stored_record_common!(agent);

    fn contribution(&self) -> Result<Option<Contribution>, StorageError> {
        if self.voided {
            return Ok(None);
        }
        let mut sums = KpiSums::default();
        sums.add_qa(&QaFacts {
            score: self.score,
            max_score: self.max_score,
            criterion_rating_total: self.rating_total,
            criterion_rating_count: self.rating_count,
        });
        Ok(Some(Contribution {
            placement: own(&self.agent_id, &self.team_id, self.evaluated_at_us),
            requires: link(&self.interaction_source, &self.interaction_external_id),
            sums,
        }))
    }
}

impl StoredRecord for compliance_check::Model {
    stored_record_common!(agent);

    fn contribution(&self) -> Result<Option<Contribution>, StorageError> {
        if self.voided {
            return Ok(None);
        }
        let kind = ComplianceKind::parse(&self.kind)
            .ok_or_else(|| StorageError::Corrupt(format!("compliance kind {:?}", self.kind)))?;
        let mut sums = KpiSums::default();
        sums.add_compliance(&ComplianceFacts {
            kind,
            passed: self.passed,
        });
        Ok(Some(Contribution {
            placement: own(&self.agent_id, &self.team_id, self.checked_at_us),
            requires: None,
            sums,
        }))
    }
}

impl StoredRecord for violation::Model {
    stored_record_common!(agent);

    fn contribution(&self) -> Result<Option<Contribution>, StorageError> {
        if self.voided {
            return Ok(None);
        }
        let mut sums = KpiSums::default();
        sums.add_violation();
        Ok(Some(Contribution {
            placement: own(&self.agent_id, &self.team_id, self.occurred_at_us),
            requires: None,
            sums,
        }))
    }
}

impl StoredRecord for training_assignment::Model {
    stored_record_common!(agent);

    fn contribution(&self) -> Result<Option<Contribution>, StorageError> {
        if self.voided {
            return Ok(None);
        }
        let mut sums = KpiSums::default();
        sums.add_training(&TrainingFacts {
            due_at: instant(self.due_at_us)?,
            completed_at: optional_instant(self.completed_at_us)?,
        });
        Ok(Some(Contribution {
            placement: own(&self.agent_id, &self.team_id, self.due_at_us),
            requires: None,
            sums,
        }))
    }
}

impl StoredRecord for agent_time::Model {
    stored_record_common!(agent);

    fn contribution(&self) -> Result<Option<Contribution>, StorageError> {
        if self.voided {
            return Ok(None);
        }
        let mut sums = KpiSums::default();
        sums.add_agent_time(&AgentTimeFacts {
            scheduled_seconds: self.scheduled_seconds,
            logged_in_seconds: self.logged_in_seconds,
            handling_seconds: self.handling_seconds,
        });
        Ok(Some(Contribution {
            placement: own(&self.agent_id, &self.team_id, self.starts_at_us),
            requires: None,
            sums,
        }))
    }
}
