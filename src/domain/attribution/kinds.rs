//! Each record kind's contribution: what it adds to the sums and how it
//! finds its place. A record arriving and the same record read back from
//! its row (storage, the raw path) go through the same constructors here,
//! so the rollups and their oracle cannot attribute differently.

use chrono::{DateTime, Utc};

use super::{Contribution, Placement};
use crate::domain::{
    kpi::{AgentTimeFacts, ComplianceFacts, KpiSums, QaFacts, SurveyFacts, TrainingFacts},
    records::{
        NewAgentTime, NewComplianceCheck, NewInteraction, NewQaEvaluation, NewSurveyResponse,
        NewTrainingAssignment, NewViolation, RecordKey, RecordMeta, SurveySubject,
    },
};

/// A record kind, as ingest and attribution see it.
pub trait Record: Send + Sync {
    /// The kind's plural name, as the API's request field and the audit
    /// trail spell it (`interactions`, `survey_responses`, ...).
    const KIND: &'static str;
    /// Whether records of other kinds follow this kind (interactions:
    /// their linked survey responses and QA evaluations move with them).
    const IS_INTERACTION: bool = false;

    fn meta(&self) -> &RecordMeta;
    /// The digest of the record's content (see `records::Fingerprint`).
    fn fingerprint(&self) -> String;
    /// The agent the record names, registered on first sight; a linked
    /// survey response names none (its interaction's agent counts).
    fn named_agent(&self) -> Option<&str>;
    /// The team the sender named explicitly, which must exist.
    fn explicit_team(&self) -> Option<&str> {
        None
    }
    /// The interaction the record is linked to, if any.
    fn linked_interaction(&self) -> Option<&RecordKey> {
        None
    }
    /// The instant whose local day places the record and decides its team.
    fn counted_at(&self) -> DateTime<Utc>;
    /// What the record adds when it is recorded for `team_id`, void or not.
    fn share(&self, team_id: Option<String>) -> Contribution;

    /// What the record adds, recorded for `team_id`; `None` when void.
    fn contribution(&self, team_id: Option<String>) -> Option<Contribution> {
        (!self.meta().voided).then(|| self.share(team_id))
    }
}

impl Contribution {
    /// A survey response: with its interaction when linked, else on the
    /// agent it names.
    pub fn survey(
        subject: &SurveySubject,
        team_id: Option<String>,
        responded_at: DateTime<Utc>,
        facts: &SurveyFacts,
    ) -> Self {
        let mut sums = KpiSums::default();
        sums.add_survey(facts);
        match subject {
            SurveySubject::Interaction { interaction, .. } => Contribution {
                placement: Placement::WithInteraction(interaction.clone()),
                requires: None,
                sums,
            },
            SurveySubject::Agent(agent_id) => {
                Contribution::own(agent_id, team_id, responded_at, sums)
            }
        }
    }

    /// A QA evaluation: its own agent and day, only while its interaction
    /// (if linked) counts.
    pub fn qa(
        agent_id: &str,
        team_id: Option<String>,
        evaluated_at: DateTime<Utc>,
        interaction: Option<RecordKey>,
        facts: &QaFacts,
    ) -> Self {
        let mut sums = KpiSums::default();
        sums.add_qa(facts);
        Contribution {
            requires: interaction,
            ..Contribution::own(agent_id, team_id, evaluated_at, sums)
        }
    }

    /// A compliance check on its own agent and `checked_at`.
    pub fn compliance(
        agent_id: &str,
        team_id: Option<String>,
        checked_at: DateTime<Utc>,
        facts: &ComplianceFacts,
    ) -> Self {
        let mut sums = KpiSums::default();
        sums.add_compliance(facts);
        Contribution::own(agent_id, team_id, checked_at, sums)
    }

    /// A violation on its own agent and `occurred_at`.
    pub fn violation(agent_id: &str, team_id: Option<String>, occurred_at: DateTime<Utc>) -> Self {
        let mut sums = KpiSums::default();
        sums.add_violation();
        Contribution::own(agent_id, team_id, occurred_at, sums)
    }

    /// A training assignment on its own agent and `due_at`.
    pub fn training(agent_id: &str, team_id: Option<String>, facts: &TrainingFacts) -> Self {
        let mut sums = KpiSums::default();
        sums.add_training(facts);
        Contribution::own(agent_id, team_id, facts.due_at, sums)
    }

    /// An interval of agent time on its own agent and `starts_at`.
    pub fn agent_time(
        agent_id: &str,
        team_id: Option<String>,
        starts_at: DateTime<Utc>,
        facts: &AgentTimeFacts,
    ) -> Self {
        let mut sums = KpiSums::default();
        sums.add_agent_time(facts);
        Contribution::own(agent_id, team_id, starts_at, sums)
    }
}

impl Record for NewInteraction {
    const KIND: &'static str = "interactions";
    const IS_INTERACTION: bool = true;

    fn meta(&self) -> &RecordMeta {
        &self.meta
    }
    fn fingerprint(&self) -> String {
        NewInteraction::fingerprint(self)
    }
    fn named_agent(&self) -> Option<&str> {
        Some(&self.agent_id)
    }
    fn explicit_team(&self) -> Option<&str> {
        self.team_id.as_deref()
    }
    fn counted_at(&self) -> DateTime<Utc> {
        self.ended_at
    }
    fn share(&self, team_id: Option<String>) -> Contribution {
        let mut sums = KpiSums::default();
        sums.add_interaction(self);
        Contribution::own(&self.agent_id, team_id, self.ended_at, sums)
    }
}

impl Record for NewSurveyResponse {
    const KIND: &'static str = "survey_responses";

    fn meta(&self) -> &RecordMeta {
        &self.meta
    }
    fn fingerprint(&self) -> String {
        NewSurveyResponse::fingerprint(self)
    }
    fn named_agent(&self) -> Option<&str> {
        match &self.subject {
            SurveySubject::Agent(agent_id) => Some(agent_id),
            SurveySubject::Interaction { .. } => None,
        }
    }
    fn linked_interaction(&self) -> Option<&RecordKey> {
        match &self.subject {
            SurveySubject::Interaction { interaction, .. } => Some(interaction),
            SurveySubject::Agent(_) => None,
        }
    }
    fn counted_at(&self) -> DateTime<Utc> {
        self.responded_at
    }
    fn share(&self, team_id: Option<String>) -> Contribution {
        let facts = SurveyFacts {
            kind: self.kind,
            score: self.score,
        };
        Contribution::survey(&self.subject, team_id, self.responded_at, &facts)
    }
}

impl Record for NewQaEvaluation {
    const KIND: &'static str = "qa_evaluations";

    fn meta(&self) -> &RecordMeta {
        &self.meta
    }
    fn fingerprint(&self) -> String {
        NewQaEvaluation::fingerprint(self)
    }
    fn named_agent(&self) -> Option<&str> {
        Some(&self.agent_id)
    }
    fn linked_interaction(&self) -> Option<&RecordKey> {
        self.interaction.as_ref()
    }
    fn counted_at(&self) -> DateTime<Utc> {
        self.evaluated_at
    }
    fn share(&self, team_id: Option<String>) -> Contribution {
        Contribution::qa(
            &self.agent_id,
            team_id,
            self.evaluated_at,
            self.interaction.clone(),
            &self.qa_facts(),
        )
    }
}

impl NewQaEvaluation {
    /// The additive facts of the evaluation (its ratings summed).
    pub fn qa_facts(&self) -> QaFacts {
        QaFacts {
            score: self.score,
            max_score: self.max_score,
            criterion_rating_total: self
                .criterion_ratings
                .iter()
                .map(|rating| i64::from(rating.rating))
                .sum(),
            criterion_rating_count: self.criterion_ratings.len() as i64,
        }
    }
}

impl Record for NewComplianceCheck {
    const KIND: &'static str = "compliance_checks";

    fn meta(&self) -> &RecordMeta {
        &self.meta
    }
    fn fingerprint(&self) -> String {
        NewComplianceCheck::fingerprint(self)
    }
    fn named_agent(&self) -> Option<&str> {
        Some(&self.agent_id)
    }
    fn counted_at(&self) -> DateTime<Utc> {
        self.checked_at
    }
    fn share(&self, team_id: Option<String>) -> Contribution {
        let facts = ComplianceFacts {
            kind: self.kind,
            passed: self.passed,
        };
        Contribution::compliance(&self.agent_id, team_id, self.checked_at, &facts)
    }
}

impl Record for NewViolation {
    const KIND: &'static str = "violations";

    fn meta(&self) -> &RecordMeta {
        &self.meta
    }
    fn fingerprint(&self) -> String {
        NewViolation::fingerprint(self)
    }
    fn named_agent(&self) -> Option<&str> {
        Some(&self.agent_id)
    }
    fn counted_at(&self) -> DateTime<Utc> {
        self.occurred_at
    }
    fn share(&self, team_id: Option<String>) -> Contribution {
        Contribution::violation(&self.agent_id, team_id, self.occurred_at)
    }
}

impl Record for NewTrainingAssignment {
    const KIND: &'static str = "training_assignments";

    fn meta(&self) -> &RecordMeta {
        &self.meta
    }
    fn fingerprint(&self) -> String {
        NewTrainingAssignment::fingerprint(self)
    }
    fn named_agent(&self) -> Option<&str> {
        Some(&self.agent_id)
    }
    fn counted_at(&self) -> DateTime<Utc> {
        self.due_at
    }
    fn share(&self, team_id: Option<String>) -> Contribution {
        let facts = TrainingFacts {
            due_at: self.due_at,
            completed_at: self.completed_at,
        };
        Contribution::training(&self.agent_id, team_id, &facts)
    }
}

impl Record for NewAgentTime {
    const KIND: &'static str = "agent_time";

    fn meta(&self) -> &RecordMeta {
        &self.meta
    }
    fn fingerprint(&self) -> String {
        NewAgentTime::fingerprint(self)
    }
    fn named_agent(&self) -> Option<&str> {
        Some(&self.agent_id)
    }
    fn counted_at(&self) -> DateTime<Utc> {
        self.starts_at
    }
    fn share(&self, team_id: Option<String>) -> Contribution {
        let facts = AgentTimeFacts {
            scheduled_seconds: self.scheduled_seconds,
            logged_in_seconds: self.logged_in_seconds,
            handling_seconds: self.handling_seconds,
        };
        Contribution::agent_time(&self.agent_id, team_id, self.starts_at, &facts)
    }
}
