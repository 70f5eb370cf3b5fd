//! The sums a change recording reads for its scope, before they are
//! judged: shared by the recorder and by the derivation of a write's
//! "before" from its "after" and its own deltas.

use std::collections::BTreeMap;

use super::scope::ScopedPeriod;
use crate::domain::{
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
}
