//! What the reads of the rollups and of the raw rows share: whose numbers
//! (`FactScope`), how they are grouped (`Grouping`, `GroupKey`) and a
//! group's sums (`GroupSums`). Both paths answer in these terms, so a
//! scorecard can add whole days from the rollups to edge days from raw rows.

use crate::domain::{calendar::LocalDay, kpi::KpiSums};

/// Whose records to read.
#[derive(Debug, Clone, Copy)]
pub enum FactScope<'a> {
    /// Every record of these agents (agent scorecards).
    Agents(&'a [String]),
    /// A team's pooled numbers: the records that count for the team (the
    /// team recorded on each record; a linked survey response, its
    /// interaction's).
    Team(&'a str),
    /// Every agent whose id lies in `[first, last]` (a page of the whole
    /// directory: one range of the rollups' key instead of a list).
    AgentRange { first: &'a str, last: &'a str },
    /// Every agent.
    Organisation,
}

/// Sums of a group of rollup rows, with worked days counted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupSums {
    pub sums: KpiSums,
    /// When the newest record behind them was stored or corrected (µs).
    pub updated_at_us: Option<i64>,
}

impl GroupSums {
    /// Adds another group (e.g. the agents of a team, or an edge day).
    pub fn absorb(&mut self, other: GroupSums) {
        self.sums += other.sums;
        self.updated_at_us = match (self.updated_at_us, other.updated_at_us) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
}

/// What the groups are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// One group per agent; worked days are the agent's distinct days with
    /// contacts.
    Agent,
    /// One group per day; worked days are the agents with contacts that day.
    Day,
}

/// A group's identity.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum GroupKey {
    Agent(String),
    Day(LocalDay),
}
