//! Teams and agents.

use chrono::{DateTime, Utc};

/// A team of agents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub team_id: String,
    pub display_name: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An agent and the team they belong to now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub agent_id: String,
    pub display_name: String,
    pub team_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
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
}
