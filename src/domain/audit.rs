//! The audit trail's vocabulary: who changed what, when, through which
//! call. Events are appended by the use cases that make the change, in the
//! change's own transaction, and only ever read back by
//! `AuditService.ListAuditEvents`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The kinds of change, as stored in `audit_events.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditKind {
    PolicyVersionCreated,
    TeamUpserted,
    AgentUpserted,
    RecordsIngested,
    PeriodClosed,
    PeriodRestated,
    ChangeRefused,
    AgentGoalCreated,
}

impl AuditKind {
    pub const ALL: [AuditKind; 8] = [
        AuditKind::PolicyVersionCreated,
        AuditKind::TeamUpserted,
        AuditKind::AgentUpserted,
        AuditKind::RecordsIngested,
        AuditKind::PeriodClosed,
        AuditKind::PeriodRestated,
        AuditKind::ChangeRefused,
        AuditKind::AgentGoalCreated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::PolicyVersionCreated => "POLICY_VERSION_CREATED",
            AuditKind::TeamUpserted => "TEAM_UPSERTED",
            AuditKind::AgentUpserted => "AGENT_UPSERTED",
            AuditKind::RecordsIngested => "RECORDS_INGESTED",
            AuditKind::PeriodClosed => "PERIOD_CLOSED",
            AuditKind::PeriodRestated => "PERIOD_RESTATED",
            AuditKind::ChangeRefused => "CHANGE_REFUSED",
            AuditKind::AgentGoalCreated => "AGENT_GOAL_CREATED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// A record's natural key, as audited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditedKey {
    pub source: String,
    pub external_id: String,
}

/// What changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum AuditChange {
    /// A policy version was stored.
    PolicyVersionCreated {
        policy_version_id: i64,
        team_id: Option<String>,
        effective_from: String,
        bonus_threshold: f64,
    },
    /// A team was created or renamed.
    TeamUpserted {
        team_id: String,
        created: bool,
        previous_display_name: Option<String>,
        display_name: String,
    },
    /// An agent was created, renamed or moved.
    AgentUpserted {
        agent_id: String,
        created: bool,
        previous_team_id: Option<String>,
        team_id: Option<String>,
        previous_display_name: Option<String>,
        display_name: String,
        /// The day the agent's team history changed from (`YYYY-MM-DD`);
        /// `None` when it did not change, or for a first team that holds
        /// since before any record.
        #[serde(default)]
        team_effective_from: Option<String>,
    },
    /// An ingest batch committed.
    RecordsIngested {
        /// `interactions`, `survey_responses`, ...
        record_kind: String,
        created: u32,
        updated: u32,
        unchanged: u32,
        stale: u32,
        voided: u32,
        /// Keys whose stored record was replaced (corrections).
        updated_keys: Vec<AuditedKey>,
        /// Keys that are void after this batch.
        voided_keys: Vec<AuditedKey>,
        registered_agent_ids: Vec<String>,
    },
    /// A month was closed.
    PeriodClosed {
        month: String,
        version: i32,
        agent_scorecards: u32,
        team_scorecards: u32,
    },
    /// A closed month was restated.
    PeriodRestated {
        month: String,
        version: i32,
        reason: String,
    },
    /// A change effective inside a closed month was refused.
    ChangeRefused {
        /// `policy_version`, `team_move` or `agent_goal`.
        what: String,
        /// The team or agent concerned (empty: the organisation).
        subject: String,
        effective_from: String,
        closed_month: String,
    },
    /// An agent goal was stored.
    AgentGoalCreated {
        agent_goal_id: i64,
        agent_id: String,
        kpi_id: String,
        effective_from: String,
        /// `target`, `warning_band`, `floor`; empty for a goal that ends
        /// earlier ones.
        overridden: Vec<String>,
    },
}

impl AuditChange {
    /// The event of an ingest batch: counts by outcome, and the keys that
    /// were corrected or voided.
    pub fn records_ingested<'a>(
        record_kind: &str,
        keys: impl Iterator<Item = &'a crate::domain::records::RecordKey>,
        outcomes: &[crate::domain::ingest::IngestOutcome],
        registered_agent_ids: &[String],
    ) -> AuditChange {
        use crate::domain::ingest::IngestOutcome;
        let mut counts = [0u32; 5];
        let mut updated_keys = Vec::new();
        let mut voided_keys = Vec::new();
        for (key, outcome) in keys.zip(outcomes) {
            let audited = || AuditedKey {
                source: key.source.clone(),
                external_id: key.external_id.clone(),
            };
            let slot = match outcome {
                IngestOutcome::Created => 0,
                IngestOutcome::Updated => {
                    updated_keys.push(audited());
                    1
                }
                IngestOutcome::Unchanged => 2,
                IngestOutcome::Stale => 3,
                IngestOutcome::Voided => {
                    voided_keys.push(audited());
                    4
                }
            };
            counts[slot] += 1;
        }
        AuditChange::RecordsIngested {
            record_kind: record_kind.to_owned(),
            created: counts[0],
            updated: counts[1],
            unchanged: counts[2],
            stale: counts[3],
            voided: counts[4],
            updated_keys,
            voided_keys,
            registered_agent_ids: registered_agent_ids.to_vec(),
        }
    }

    pub fn kind(&self) -> AuditKind {
        match self {
            AuditChange::PolicyVersionCreated { .. } => AuditKind::PolicyVersionCreated,
            AuditChange::TeamUpserted { .. } => AuditKind::TeamUpserted,
            AuditChange::AgentUpserted { .. } => AuditKind::AgentUpserted,
            AuditChange::RecordsIngested { .. } => AuditKind::RecordsIngested,
            AuditChange::PeriodClosed { .. } => AuditKind::PeriodClosed,
            AuditChange::PeriodRestated { .. } => AuditKind::PeriodRestated,
            AuditChange::ChangeRefused { .. } => AuditKind::ChangeRefused,
            AuditChange::AgentGoalCreated { .. } => AuditKind::AgentGoalCreated,
        }
    }
}

/// Who made a change and through which call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditActor {
    pub principal: String,
    /// The gRPC method path.
    pub method: String,
    pub request_id: String,
}

/// A stored audit event.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor: AuditActor,
    pub change: AuditChange,
}

/// Which events to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Inclusive, microseconds since the epoch.
    pub from_us: Option<i64>,
    /// Exclusive, microseconds since the epoch.
    pub to_us: Option<i64>,
    pub principal: Option<String>,
    pub kind: Option<AuditKind>,
    /// Only ids below this (the keyset cursor; newest first).
    pub before_id: Option<i64>,
}
