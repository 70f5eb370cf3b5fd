//! Target policies. Versions are only ever inserted, never updated, so a
//! past period can always be judged by the version that was in force.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PolicyVersions {
    Table,
    Id,
    /// NULL for the organisation's policy.
    TeamId,
    /// "YYYY-MM-DD": sorts as text in date order on every backend.
    EffectiveFrom,
    BonusThreshold,
    /// JSON array of KPI rules.
    Rules,
    CreatedAtUs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PolicyVersions::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(PolicyVersions::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(string_len_null(PolicyVersions::TeamId, 128))
                    .col(string_len(PolicyVersions::EffectiveFrom, 10))
                    .col(double(PolicyVersions::BonusThreshold))
                    .col(text(PolicyVersions::Rules))
                    .col(big_integer(PolicyVersions::CreatedAtUs))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_policy_versions_scope")
                    .table(PolicyVersions::Table)
                    .col(PolicyVersions::TeamId)
                    .col(PolicyVersions::EffectiveFrom)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PolicyVersions::Table).to_owned())
            .await
    }
}
