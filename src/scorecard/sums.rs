//! Reading a scope's sums over a period: whole local days from the daily
//! rollups, the partial days at the edges of a custom period from raw rows.

use std::collections::BTreeMap;

use chrono_tz::Tz;

use super::ScorecardEngine;
use crate::{
    domain::{
        calendar::LocalDay,
        period::{local_date, start_of_day, Period, PeriodError},
    },
    storage::{
        facts::FactScope,
        rollups::read::{grouped_sums, GroupKey, GroupSums, Grouping},
        StorageError,
    },
};

impl ScorecardEngine {
    /// The sums of `scope` over `period`, grouped: whole local days from
    /// the rollups, the partial days at the edges of a custom period from
    /// raw rows.
    pub(super) async fn sums(
        &self,
        scope: FactScope<'_>,
        period: &Period,
        grouping: Grouping,
    ) -> Result<BTreeMap<GroupKey, GroupSums>, StorageError> {
        let split = split_into_days(period, self.zone)
            .map_err(|error| StorageError::Corrupt(error.to_string()))?;
        let mut groups = match split.whole_days {
            Some((first_day, end_day)) => {
                grouped_sums(
                    self.database.connection(),
                    scope,
                    first_day,
                    end_day,
                    grouping,
                )
                .await?
            }
            None => BTreeMap::new(),
        };
        for edge in split.edges {
            let raw = crate::storage::facts::load_raw_facts(
                self.database.connection(),
                scope,
                edge.start.timestamp_micros(),
                edge.end.timestamp_micros(),
                self.zone,
            )
            .await?;
            for (key, sums) in raw.grouped(grouping) {
                groups.entry(key).or_default().absorb(sums);
            }
        }
        Ok(groups)
    }
}

/// The sum of every group.
pub(super) fn total(groups: impl Iterator<Item = GroupSums>) -> GroupSums {
    let mut total = GroupSums::default();
    for group in groups {
        total.absorb(group);
    }
    total
}

/// A period cut into whole local days (read from rollups) and the partial
/// days at its edges (read from raw rows).
#[derive(Debug, Clone, PartialEq)]
struct DaySplit {
    /// `[first, end)`, when there is at least one whole day.
    whole_days: Option<(LocalDay, LocalDay)>,
    edges: Vec<Period>,
}

fn split_into_days(period: &Period, zone: Tz) -> Result<DaySplit, PeriodError> {
    let start_date = local_date(period.start, zone);
    let first_whole = if start_of_day(start_date, zone)? == period.start {
        start_date
    } else {
        start_date.succ_opt().ok_or(PeriodError::OutOfRange)?
    };
    let end_whole = local_date(period.end, zone);
    if first_whole >= end_whole {
        return Ok(DaySplit {
            whole_days: None,
            edges: vec![*period],
        });
    }
    let whole_start = start_of_day(first_whole, zone)?;
    let whole_end = start_of_day(end_whole, zone)?;
    let mut edges = Vec::new();
    if period.start < whole_start {
        edges.push(Period {
            start: period.start,
            end: whole_start,
        });
    }
    if whole_end < period.end {
        edges.push(Period {
            start: whole_end,
            end: period.end,
        });
    }
    Ok(DaySplit {
        whole_days: Some((LocalDay::of_date(first_whole), LocalDay::of_date(end_whole))),
        edges,
    })
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn a_calendar_month_is_whole_days_only() {
        let zone: Tz = "Europe/Berlin".parse().unwrap();
        let period = Period {
            start: Utc.with_ymd_and_hms(2026, 10, 31, 23, 0, 0).unwrap(),
            end: Utc.with_ymd_and_hms(2026, 11, 30, 23, 0, 0).unwrap(),
        };
        let split = split_into_days(&period, zone).unwrap();
        assert!(split.edges.is_empty());
        let (first, end) = split.whole_days.unwrap();
        assert_eq!(end.number() - first.number(), 30);
    }

    #[test]
    fn a_custom_range_reads_its_partial_days_raw() {
        let zone: Tz = "UTC".parse().unwrap();
        let period = Period {
            start: Utc.with_ymd_and_hms(2026, 11, 2, 12, 0, 0).unwrap(),
            end: Utc.with_ymd_and_hms(2026, 11, 5, 6, 0, 0).unwrap(),
        };
        let split = split_into_days(&period, zone).unwrap();
        assert_eq!(
            split.whole_days.map(|(a, b)| b.number() - a.number()),
            Some(2)
        );
        assert_eq!(
            split.edges,
            vec![
                Period {
                    start: period.start,
                    end: Utc.with_ymd_and_hms(2026, 11, 3, 0, 0, 0).unwrap(),
                },
                Period {
                    start: Utc.with_ymd_and_hms(2026, 11, 5, 0, 0, 0).unwrap(),
                    end: period.end,
                },
            ]
        );
    }

    #[test]
    fn a_range_inside_one_day_is_read_raw() {
        let zone: Tz = "UTC".parse().unwrap();
        let period = Period {
            start: Utc.with_ymd_and_hms(2026, 11, 2, 8, 0, 0).unwrap(),
            end: Utc.with_ymd_and_hms(2026, 11, 2, 17, 0, 0).unwrap(),
        };
        let split = split_into_days(&period, zone).unwrap();
        assert_eq!(split.whole_days, None);
        assert_eq!(split.edges, vec![period]);
    }
}
