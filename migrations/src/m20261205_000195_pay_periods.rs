//! Pay periods: a closed period may be a half month, an ISO week or two
//! ISO weeks as well as a month, so its id (`2026-03-H1`, `2026-W10+2`)
//! needs more than the 7 characters of `YYYY-MM`; and every closed period
//! records the pay-period kind and the reporting zone it was closed under,
//! so that a service started with other settings refuses rather than
//! misreads it. Closed periods from before are months, closed in the zone
//! the rollups were built for (the rollups refuse any other zone).

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ClosedPeriods {
    Table,
    /// `month`, `half_month`, `iso_week`, `two_weeks from YYYY-MM-DD`.
    PayPeriodKind,
    /// The IANA name of the reporting zone.
    TimeZone,
}

/// The tables whose `month` column holds a pay-period id.
const ID_COLUMNS: [&str; 3] = ["closed_periods", "period_snapshots", "snapshot_scorecards"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ClosedPeriods::Table)
                    .add_column(string_len(ClosedPeriods::PayPeriodKind, 64).default("month"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ClosedPeriods::Table)
                    .add_column(string_len_null(ClosedPeriods::TimeZone, 64))
                    .to_owned(),
            )
            .await?;
        let connection = manager.get_connection();
        connection
            .execute_unprepared(
                "UPDATE closed_periods SET time_zone = \
                 (SELECT time_zone FROM kpi_rollup_state WHERE id = 1)",
            )
            .await?;
        // SQLite does not enforce a VARCHAR length; PostgreSQL does.
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            for table in ID_COLUMNS {
                connection
                    .execute_unprepared(&format!(
                        "ALTER TABLE {table} ALTER COLUMN month TYPE VARCHAR(16)"
                    ))
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let connection = manager.get_connection();
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            for table in ID_COLUMNS {
                connection
                    .execute_unprepared(&format!(
                        "ALTER TABLE {table} ALTER COLUMN month TYPE VARCHAR(7) \
                         USING LEFT(month, 7)"
                    ))
                    .await?;
            }
        }
        for column in [ClosedPeriods::TimeZone, ClosedPeriods::PayPeriodKind] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ClosedPeriods::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
