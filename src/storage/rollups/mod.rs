//! Per-agent daily rollups: one row per (agent, team, reporting-zone day)
//! with every additive sum of the KPI catalogue. Ingestion keeps them in
//! the same transaction as the records they sum (`maintain`); scorecards,
//! lists, breaches and trends read them with GROUP BY in the database
//! (`read`, over the vocabulary of `groups`). The raw path that is their
//! oracle (`storage::facts`) and their rebuild and verification
//! (`storage::rebuild`) sit on top of this module.

pub mod columns;
pub mod groups;
pub mod maintain;
pub mod read;

use crate::domain::{attribution::Attribution, calendar::LocalDay};

/// The rollup table.
pub const ROLLUP_TABLE: &str = "kpi_rollups";
/// The one-row table naming the zone the rollups' days were cut in.
pub const ROLLUP_STATE_TABLE: &str = "kpi_rollup_state";

/// A rollup row's key: agent, team (empty for none) and local day of the
/// reporting zone.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RollupKey {
    pub agent_id: String,
    pub team_id: String,
    pub day: LocalDay,
}

impl From<Attribution> for RollupKey {
    fn from(attribution: Attribution) -> Self {
        RollupKey {
            agent_id: attribution.agent_id,
            team_id: attribution.team_id.unwrap_or_default(),
            day: attribution.day,
        }
    }
}
