//! Whose numbers on which days a write may change, and the periods that
//! makes the recorder compare.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Datelike;
use chrono_tz::Tz;

use crate::{
    domain::{
        calendar::LocalDay,
        changes::PeriodKind,
        period::{resolve, Period, PeriodSpec},
    },
    storage::{rollups::RollupKey, StorageError},
};

/// Longest period the recorder resolves (a month).
const MAX_PERIOD_DAYS: u32 = 31;

/// Whose numbers on which days a write may change.
#[derive(Debug, Clone, Default)]
pub struct ChangeScope {
    pub agents: BTreeSet<String>,
    pub teams: BTreeSet<String>,
    pub days: BTreeSet<LocalDay>,
}

impl ChangeScope {
    /// The agents, teams and days of rollup keys a write changes.
    pub fn of_rollup_keys<'a>(keys: impl IntoIterator<Item = &'a RollupKey>) -> Self {
        let mut scope = Self::default();
        for key in keys {
            scope.agents.insert(key.agent_id.clone());
            if !key.team_id.is_empty() {
                scope.teams.insert(key.team_id.clone());
            }
            scope.days.insert(key.day);
        }
        scope
    }

    pub fn is_empty(&self) -> bool {
        self.days.is_empty() || (self.agents.is_empty() && self.teams.is_empty())
    }

    /// Every day and month period of the touched days, with its month.
    pub(super) fn periods(&self, zone: Tz) -> Result<Vec<ScopedPeriod>, StorageError> {
        let mut periods = BTreeMap::new();
        for day in &self.days {
            let date = day.date();
            for (kind, spec) in [
                (PeriodKind::Day, PeriodSpec::Day(date)),
                (PeriodKind::Month, PeriodSpec::Month(date)),
            ] {
                let period = resolve(spec, zone, MAX_PERIOD_DAYS)
                    .map_err(|error| StorageError::Corrupt(error.to_string()))?;
                periods.entry((kind, period.start)).or_insert(ScopedPeriod {
                    kind,
                    period,
                    month: format!("{:04}-{:02}", date.year(), date.month()),
                });
            }
        }
        Ok(periods.into_values().collect())
    }
}

#[derive(Debug, Clone)]
pub(super) struct ScopedPeriod {
    pub kind: PeriodKind,
    pub period: Period,
    pub month: String,
}
