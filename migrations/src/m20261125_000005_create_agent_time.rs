//! Agent working time: scheduled, logged-in and handling seconds per interval.

use sea_orm_migration::{prelude::*, schema::*};

use crate::record_columns::{lookup_index, natural_key_index, record_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AgentTime {
    Table,
    AgentId,
    StartsAtUs,
    EndsAtUs,
    ScheduledSeconds,
    LoggedInSeconds,
    HandlingSeconds,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                record_table(AgentTime::Table)
                    .col(string_len(AgentTime::AgentId, 128))
                    .col(big_integer(AgentTime::StartsAtUs))
                    .col(big_integer(AgentTime::EndsAtUs))
                    .col(big_integer(AgentTime::ScheduledSeconds))
                    .col(big_integer(AgentTime::LoggedInSeconds))
                    .col(big_integer(AgentTime::HandlingSeconds))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(natural_key_index(
                "ux_agent_time_natural_key",
                AgentTime::Table,
            ))
            .await?;
        manager
            .create_index(lookup_index(
                "ix_agent_time_agent_starts",
                AgentTime::Table,
                [AgentTime::AgentId, AgentTime::StartsAtUs],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AgentTime::Table).to_owned())
            .await
    }
}
