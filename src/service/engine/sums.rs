//! Reading a scope's sums over a period: whole local days from the daily
//! rollups, the partial days at the edges of a custom period from raw rows.

use std::collections::BTreeMap;

use chrono_tz::Tz;
use sea_orm::ConnectionTrait;

use crate::{
    domain::{calendar::DaySplit, period::Period},
    storage::{
        facts::{load_raw_facts, FactScope},
        rollups::read::{grouped_sums, GroupKey, GroupSums, Grouping},
        StorageError,
    },
};

/// The sums of `scope` over `period`, grouped: whole local days from the
/// rollups, the partial days at the edges of a custom period from raw rows.
pub(super) async fn read_sums(
    connection: &impl ConnectionTrait,
    zone: Tz,
    scope: FactScope<'_>,
    period: &Period,
    grouping: Grouping,
) -> Result<BTreeMap<GroupKey, GroupSums>, StorageError> {
    if period.end <= period.start {
        // Read as of the period's first instant: nothing is placed before it.
        return Ok(BTreeMap::new());
    }
    let split =
        DaySplit::of(period, zone).map_err(|error| StorageError::Corrupt(error.to_string()))?;
    let mut groups = match split.whole_days {
        Some(days) => grouped_sums(connection, scope, days.first, days.end, grouping).await?,
        None => BTreeMap::new(),
    };
    for edge in split.edges {
        let raw = load_raw_facts(
            connection,
            scope,
            edge.start.timestamp_micros(),
            edge.end.timestamp_micros(),
            zone,
        )
        .await?;
        for (key, sums) in raw.grouped(grouping) {
            groups.entry(key).or_default().absorb(sums);
        }
    }
    Ok(groups)
}

/// The sum of every group.
pub(super) fn total(groups: impl Iterator<Item = GroupSums>) -> GroupSums {
    let mut total = GroupSums::default();
    for group in groups {
        total.absorb(group);
    }
    total
}
