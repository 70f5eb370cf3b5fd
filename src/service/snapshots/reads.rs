//! Reads of a closed pay period answer from its snapshot, unless the caller
//! asks for live numbers: this decides which snapshot version, and reads
//! its stored scorecards.

use sea_orm::ConnectionTrait;

use super::{resolve_version, FromSnapshot, SnapshotRead};
use crate::{
    domain::{
        closing::{SnapshotEntry, SubjectKind},
        pay_period::PayCalendar,
        period::{calendar_dates, PeriodSpec},
    },
    error::ServiceError,
    storage::{periods, StorageError},
};

/// What a read asks of a closed month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClosedReading {
    /// Today's numbers instead of the snapshot's.
    pub live: bool,
    /// The snapshot version to read; 0 = the current one.
    pub snapshot_version: i32,
}

/// The snapshot a read of `spec` answers from: when `spec` covers exactly
/// a pay period of `calendar` (a `pay_period`, or a calendar month or ISO
/// week that is one) that is closed, and the caller did not ask for live
/// numbers. A `pay_period` of another kind is INVALID_ARGUMENT; a version
/// asked for must exist (NOT_FOUND otherwise), also when `live`.
pub async fn snapshot_for(
    connection: &impl ConnectionTrait,
    calendar: PayCalendar,
    spec: &PeriodSpec,
    reading: ClosedReading,
) -> Result<Option<SnapshotRead>, ServiceError> {
    let version = reading.snapshot_version;
    if version < 0 {
        return Err(ServiceError::invalid_field(
            "snapshot_version",
            "snapshot_version must be >= 0 (0 = the current version)",
        ));
    }
    let Some(key) = pay_period_of(calendar, spec)? else {
        return Ok(None);
    };
    let Some(period) = periods::closed_period(connection, &key).await? else {
        if version != 0 {
            return Err(ServiceError::NotFound {
                reason: "SNAPSHOT_VERSION_NOT_FOUND",
                resource_type: "snapshot version",
                name: format!("{key} v{version}"),
            });
        }
        return Ok(None);
    };
    if reading.live {
        return Ok(None);
    }
    let version = resolve_version(&period, version)?;
    Ok(Some(SnapshotRead { period, version }))
}

/// The id of the pay period `spec` covers exactly, if any; a `pay_period`
/// selector that is not one of `calendar`'s is INVALID_ARGUMENT.
pub fn pay_period_of(
    calendar: PayCalendar,
    spec: &PeriodSpec,
) -> Result<Option<String>, ServiceError> {
    let Ok(Some((first, after_last))) = calendar_dates(*spec) else {
        return Ok(None);
    };
    let key = calendar.id_of_exact_dates(first, after_last);
    match (spec, key) {
        (PeriodSpec::PayPeriod { .. }, None) => Err(ServiceError::invalid_field(
            "period.pay_period",
            format!(
                "period.pay_period does not name a pay period: {}",
                calendar.expectation()
            ),
        )),
        (_, key) => Ok(key),
    }
}

impl SnapshotRead {
    fn holding(&self, entry: SnapshotEntry) -> FromSnapshot {
        FromSnapshot {
            entry,
            snapshot: self.version.clone(),
            month: self.period.month.clone(),
        }
    }

    /// One subject's stored scorecard, or `None` for a subject the snapshot
    /// does not hold (added to the directory after it was taken).
    pub async fn subject(
        &self,
        connection: &impl ConnectionTrait,
        kind: SubjectKind,
        subject_id: &str,
    ) -> Result<Option<FromSnapshot>, StorageError> {
        let entries = periods::snapshot_entries(
            connection,
            &self.period.month,
            self.version.version,
            kind,
            Some(subject_id),
            None,
            1,
        )
        .await?;
        Ok(entries.into_iter().next().map(|entry| self.holding(entry)))
    }

    /// Every agent scorecard the snapshot holds, by agent id.
    pub async fn agents(
        &self,
        connection: &impl ConnectionTrait,
    ) -> Result<Vec<FromSnapshot>, StorageError> {
        let entries = periods::snapshot_entries(
            connection,
            &self.period.month,
            self.version.version,
            SubjectKind::Agent,
            None,
            None,
            u64::MAX >> 1,
        )
        .await?;
        Ok(entries
            .into_iter()
            .map(|entry| self.holding(entry))
            .collect())
    }
}
