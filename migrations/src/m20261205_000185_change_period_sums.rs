//! The sums the change feed compares, kept per (subject, period): for
//! every agent and team, each local day and each month (keyed by its first
//! day), the same additive sums as the daily rollups plus worked days.
//! Ingest upserts a batch's deltas here and gets the sums after its write
//! back from the same statement, so recording a batch's changes never
//! re-sums a month of rollup rows (issue 18).
//!
//! Built from the rollups by the service, not here: the state row says
//! whether the table is current (`fresh`), and a service that records
//! ingest changes rebuilds it at start when it is not (a new table, or
//! one left behind while recording was switched off).

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

use crate::m20261126_000007_create_rollups::{FLOAT_SUMS, INTEGER_SUMS};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut columns = vec![
            "kind TEXT NOT NULL".to_owned(),
            "subject_id TEXT NOT NULL".to_owned(),
            "first_day INTEGER NOT NULL".to_owned(),
        ];
        columns.extend(
            INTEGER_SUMS
                .iter()
                .map(|column| format!("{column} BIGINT NOT NULL DEFAULT 0")),
        );
        columns.push("worked_days BIGINT NOT NULL DEFAULT 0".to_owned());
        columns.extend(
            FLOAT_SUMS
                .iter()
                .map(|column| format!("{column} DOUBLE PRECISION NOT NULL DEFAULT 0")),
        );
        columns.push("PRIMARY KEY (kind, subject_id, first_day)".to_owned());
        let connection = manager.get_connection();
        connection
            .execute_unprepared(&format!(
                "CREATE TABLE change_period_sums ({})",
                columns.join(", ")
            ))
            .await?;
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            // Rewritten in place by every batch, like the rollups.
            connection
                .execute_unprepared("ALTER TABLE change_period_sums SET (fillfactor = 50)")
                .await?;
        }
        connection
            .execute_unprepared(
                "CREATE TABLE change_period_sums_state (
                    id INTEGER NOT NULL PRIMARY KEY,
                    fresh INTEGER NOT NULL
                )",
            )
            .await?;
        connection
            .execute_unprepared("INSERT INTO change_period_sums_state (id, fresh) VALUES (1, 0)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["change_period_sums_state", "change_period_sums"] {
            manager
                .get_connection()
                .execute_unprepared(&format!("DROP TABLE {table}"))
                .await?;
        }
        Ok(())
    }
}
