//! The settings closed periods were closed under: a pay period's id and
//! days mean something only with the pay-period kind and the reporting zone
//! of its close. A service configured with another kind or zone while
//! closed periods exist refuses to start (like the rollups' zone check)
//! rather than misread them.

use chrono_tz::Tz;
use sea_orm::{ConnectionTrait, Statement};

use super::super::{Database, StorageError};
use crate::domain::pay_period::PayCalendar;

/// Why the closed periods cannot be served with the configured settings.
#[derive(Debug, thiserror::Error)]
pub enum ClosedUnderError {
    #[error(
        "{closed} closed pay period(s) were closed under pay-period kind {kind} in reporting \
         time zone {zone}, but the settings say payroll.pay_period {configured_kind} in \
         reporting.time_zone {configured_zone}; a closed period cannot be re-cut, so set \
         payroll.pay_period (and payroll.two_weeks_first_monday) and reporting.time_zone back \
         to what they were closed under"
    )]
    Mismatch {
        closed: i64,
        kind: String,
        zone: String,
        configured_kind: String,
        configured_zone: String,
    },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl Database {
    /// Refuses settings other than those the closed periods were closed
    /// under; fine when nothing is closed.
    pub async fn check_closed_periods(
        &self,
        zone: Tz,
        calendar: PayCalendar,
    ) -> Result<(), ClosedUnderError> {
        let connection = self.connection();
        let rows = connection
            .query_all(Statement::from_string(
                connection.get_database_backend(),
                "SELECT pay_period_kind, time_zone, COUNT(*) AS closed FROM closed_periods \
                 GROUP BY pay_period_kind, time_zone ORDER BY pay_period_kind, time_zone",
            ))
            .await
            .map_err(StorageError::from)?;
        let configured_kind = calendar.recorded_name();
        for row in rows {
            let kind: String = row
                .try_get("", "pay_period_kind")
                .map_err(StorageError::from)?;
            // Not recorded: closed before the rollups recorded a zone.
            let recorded_zone: Option<String> =
                row.try_get("", "time_zone").map_err(StorageError::from)?;
            let closed: i64 = row.try_get("", "closed").map_err(StorageError::from)?;
            let zone_differs = recorded_zone
                .as_deref()
                .is_some_and(|recorded| recorded != zone.name());
            if kind != configured_kind || zone_differs {
                return Err(ClosedUnderError::Mismatch {
                    closed,
                    kind,
                    zone: recorded_zone.unwrap_or_else(|| "(not recorded)".into()),
                    configured_kind,
                    configured_zone: zone.name().to_owned(),
                });
            }
        }
        Ok(())
    }
}
