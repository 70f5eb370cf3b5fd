//! The directory: teams and agents.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
pub enum Teams {
    Table,
    TeamId,
    DisplayName,
    CreatedAtUs,
    UpdatedAtUs,
}

#[derive(DeriveIden)]
pub enum Agents {
    Table,
    AgentId,
    DisplayName,
    TeamId,
    CreatedAtUs,
    UpdatedAtUs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Teams::Table)
                    .if_not_exists()
                    .col(string_len(Teams::TeamId, 128).primary_key())
                    .col(string_len(Teams::DisplayName, 200))
                    .col(big_integer(Teams::CreatedAtUs))
                    .col(big_integer(Teams::UpdatedAtUs))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Agents::Table)
                    .if_not_exists()
                    .col(string_len(Agents::AgentId, 128).primary_key())
                    .col(string_len(Agents::DisplayName, 200))
                    .col(string_len_null(Agents::TeamId, 128))
                    .col(big_integer(Agents::CreatedAtUs))
                    .col(big_integer(Agents::UpdatedAtUs))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_agents_team")
                            .from(Agents::Table, Agents::TeamId)
                            .to(Teams::Table, Teams::TeamId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_agents_team")
                    .table(Agents::Table)
                    .col(Agents::TeamId)
                    .col(Agents::AgentId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Agents::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Teams::Table).to_owned())
            .await
    }
}
