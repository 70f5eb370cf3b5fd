//! Who created each policy version (the principal's name); versions stored
//! before authentication existed read as "".

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PolicyVersions {
    Table,
    CreatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(PolicyVersions::Table)
                    .add_column(string_len(PolicyVersions::CreatedBy, 256).default(""))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Plain SQL: SQLite (3.35+) and PostgreSQL both drop a column this way.
        manager
            .get_connection()
            .execute_unprepared("ALTER TABLE policy_versions DROP COLUMN created_by")
            .await?;
        Ok(())
    }
}
