//! Teams and agents.

use chrono::{DateTime, NaiveDate, Utc};

/// A team of agents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub team_id: String,
    pub display_name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An agent, the team they belong to now, and their team history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub agent_id: String,
    pub display_name: String,
    pub team_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Every membership, oldest first (filled by reads that ask for it).
    pub memberships: Vec<TeamMembership>,
}

/// One stretch of an agent's team history, in the reporting zone's days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMembership {
    pub team_id: String,
    /// First day, inclusive; `None` for "since before any record" (agents
    /// whose team predates the history, and first teams).
    pub effective_from: Option<NaiveDate>,
    /// Day it ended, exclusive; `None` while it lasts.
    pub effective_to: Option<NaiveDate>,
}

/// A team to create or rename.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamUpsert {
    pub team_id: String,
    pub display_name: String,
}

/// An agent to create or change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentUpsert {
    pub agent_id: String,
    pub display_name: String,
    pub team_id: Option<String>,
    /// The local day a team change takes effect; `None` = the default (see
    /// `storage::memberships`).
    pub team_effective_from: Option<NaiveDate>,
}
