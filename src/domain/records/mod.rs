//! The records other systems send, once parsed and validated. Instances are
//! built by the gRPC adapters' parsers, which check every rule listed in
//! `proto/kpi/v1/records.proto` (the score scales with [`scales`]), and by
//! storage reading its own rows back; code holding one may rely on it.
//! [`Fingerprint`] digests a record's content, so a replay is told from a
//! correction.

use chrono::{DateTime, Utc};

mod fingerprint;
pub mod scales;

pub use fingerprint::Fingerprint;

/// A record's identity in the system that sent it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordKey {
    pub source: String,
    pub external_id: String,
}

/// Identity and versioning fields every record carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordMeta {
    pub key: RecordKey,
    /// The source's revision number, when it sends one (>= 0).
    pub revision: Option<i64>,
    /// A void record is stored but counts in no KPI.
    pub voided: bool,
}

/// The channel an interaction came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Phone,
    Chat,
    Email,
    Social,
    Messaging,
    Other,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Phone => "phone",
            Channel::Chat => "chat",
            Channel::Email => "email",
            Channel::Social => "social",
            Channel::Messaging => "messaging",
            Channel::Other => "other",
        }
    }

    /// The channel named by [`Channel::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        [
            Channel::Phone,
            Channel::Chat,
            Channel::Email,
            Channel::Social,
            Channel::Messaging,
            Channel::Other,
        ]
        .into_iter()
        .find(|channel| channel.as_str() == text)
    }
}

/// One handled customer contact.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInteraction {
    pub meta: RecordMeta,
    pub agent_id: String,
    /// The team as sent; `None` means "the agent's team at ingest".
    pub team_id: Option<String>,
    pub channel: Channel,
    pub queued_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub ended_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub sla_due_at: Option<DateTime<Utc>>,
    pub talk_seconds: i64,
    pub hold_seconds: i64,
    pub after_contact_work_seconds: i64,
    pub resolved: bool,
    pub first_contact_resolved: bool,
    pub escalated: bool,
    pub transferred: bool,
    pub agent_error: bool,
    pub complaint: bool,
}

/// The scale of a survey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurveyKind {
    Csat,
    Nps,
    Ces,
}

impl SurveyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SurveyKind::Csat => "csat",
            SurveyKind::Nps => "nps",
            SurveyKind::Ces => "ces",
        }
    }

    /// The kind named by [`SurveyKind::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        [SurveyKind::Csat, SurveyKind::Nps, SurveyKind::Ces]
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }

    /// Inclusive score range of the kind's scale.
    pub fn scale(self) -> (i32, i32) {
        match self {
            SurveyKind::Csat => (1, 5),
            SurveyKind::Nps => (0, 10),
            SurveyKind::Ces => (1, 7),
        }
    }
}

/// Who a survey response is about: an interaction (whose agent counts) or,
/// when unlinked, an agent directly.
#[derive(Debug, Clone, PartialEq)]
pub enum SurveySubject {
    Interaction {
        interaction: RecordKey,
        /// The agent the sender named as well, kept but not used to attribute.
        agent_id: Option<String>,
    },
    Agent(String),
}

/// One customer's survey answer.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSurveyResponse {
    pub meta: RecordMeta,
    pub subject: SurveySubject,
    pub kind: SurveyKind,
    pub score: i32,
    pub responded_at: DateTime<Utc>,
}

/// One criterion rating (1-5) of a QA evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriterionRating {
    pub criterion: String,
    pub rating: i32,
}

/// One internal quality evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct NewQaEvaluation {
    pub meta: RecordMeta,
    pub agent_id: String,
    pub interaction: Option<RecordKey>,
    pub evaluated_at: DateTime<Utc>,
    pub score: f64,
    pub max_score: f64,
    pub criterion_ratings: Vec<CriterionRating>,
}

/// The kind of a compliance check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComplianceKind {
    Process,
    Privacy,
}

impl ComplianceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ComplianceKind::Process => "process",
            ComplianceKind::Privacy => "privacy",
        }
    }

    /// The kind named by [`ComplianceKind::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        [ComplianceKind::Process, ComplianceKind::Privacy]
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

/// One compliance check.
#[derive(Debug, Clone, PartialEq)]
pub struct NewComplianceCheck {
    pub meta: RecordMeta,
    pub agent_id: String,
    pub kind: ComplianceKind,
    pub passed: bool,
    pub checked_at: DateTime<Utc>,
}

/// The kind of an internal-regulation violation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationKind {
    LateArrival,
    UnscheduledLeave,
    ProcedureFailure,
    UnprofessionalCommunication,
    Other,
}

impl ViolationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ViolationKind::LateArrival => "late_arrival",
            ViolationKind::UnscheduledLeave => "unscheduled_leave",
            ViolationKind::ProcedureFailure => "procedure_failure",
            ViolationKind::UnprofessionalCommunication => "unprofessional_communication",
            ViolationKind::Other => "other",
        }
    }
}

/// One internal-regulation violation.
#[derive(Debug, Clone, PartialEq)]
pub struct NewViolation {
    pub meta: RecordMeta,
    pub agent_id: String,
    pub kind: ViolationKind,
    pub occurred_at: DateTime<Utc>,
}

/// One training course assigned to an agent.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTrainingAssignment {
    pub meta: RecordMeta,
    pub agent_id: String,
    pub course_id: String,
    pub due_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// An interval of an agent's working time.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAgentTime {
    pub meta: RecordMeta,
    pub agent_id: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub scheduled_seconds: i64,
    pub logged_in_seconds: i64,
    pub handling_seconds: i64,
}
