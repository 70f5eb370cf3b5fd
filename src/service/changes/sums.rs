//! The sums a change recording reads for its scope, before they are
//! judged: shared by the recorder and by the derivation of a write's
//! "before" from its "after" and its own deltas.

use std::collections::{BTreeMap, HashMap};

use super::scope::ScopedPeriod;
use crate::domain::{
    calendar::LocalDay,
    changes::{PeriodKind, SubjectKind},
    kpi::KpiSums,
};

pub(super) type ResultKey = (SubjectKind, String, PeriodKind, i64);

/// One subject's sums in one period, before they are judged.
#[derive(Debug, Clone)]
pub(super) struct SubjectSums {
    /// The team that judges it (an agent's team at the period's start).
    pub judging_team: Option<String>,
    pub sums: KpiSums,
    pub updated_at_us: Option<i64>,
}

/// What one read of a scope's rollups returned.
pub(super) struct ScopeSums {
    pub periods: Vec<ScopedPeriod>,
    pub subjects: BTreeMap<ResultKey, SubjectSums>,
    /// Day periods: the contacts of each (agent, day), over all its teams.
    pub agent_day_contacts: HashMap<(String, LocalDay), u64>,
    /// Day periods: the contacts of each rollup row, by (team, agent, day).
    pub row_contacts: HashMap<(String, String, LocalDay), u64>,
}
