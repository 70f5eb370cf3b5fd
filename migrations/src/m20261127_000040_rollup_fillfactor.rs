//! PostgreSQL only: leave half of every rollup page free. Each ingest
//! batch rewrites hundreds of rollup rows in place; with room on the page
//! PostgreSQL keeps the new version beside the old (a heap-only update)
//! and touches none of the table's three indexes. SQLite has no such
//! setting and is left as it is.

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("ALTER TABLE kpi_rollups SET (fillfactor = 50)")
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("ALTER TABLE kpi_rollups RESET (fillfactor)")
                .await?;
        }
        Ok(())
    }
}
