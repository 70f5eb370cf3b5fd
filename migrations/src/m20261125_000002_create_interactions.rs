//! Interactions: the contacts agents handle.

use sea_orm_migration::{prelude::*, schema::*};

use crate::record_columns::{lookup_index, natural_key_index, record_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Interactions {
    Table,
    AgentId,
    TeamId,
    Channel,
    QueuedAtUs,
    FirstResponseAtUs,
    EndedAtUs,
    ResolvedAtUs,
    SlaDueAtUs,
    TalkSeconds,
    HoldSeconds,
    AfterContactWorkSeconds,
    Resolved,
    FirstContactResolved,
    Escalated,
    Transferred,
    AgentError,
    Complaint,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                record_table(Interactions::Table)
                    .col(string_len(Interactions::AgentId, 128))
                    .col(string_len_null(Interactions::TeamId, 128))
                    .col(string_len(Interactions::Channel, 16))
                    .col(big_integer(Interactions::QueuedAtUs))
                    .col(big_integer_null(Interactions::FirstResponseAtUs))
                    .col(big_integer(Interactions::EndedAtUs))
                    .col(big_integer_null(Interactions::ResolvedAtUs))
                    .col(big_integer_null(Interactions::SlaDueAtUs))
                    .col(big_integer(Interactions::TalkSeconds))
                    .col(big_integer(Interactions::HoldSeconds))
                    .col(big_integer(Interactions::AfterContactWorkSeconds))
                    .col(boolean(Interactions::Resolved))
                    .col(boolean(Interactions::FirstContactResolved))
                    .col(boolean(Interactions::Escalated))
                    .col(boolean(Interactions::Transferred))
                    .col(boolean(Interactions::AgentError))
                    .col(boolean(Interactions::Complaint))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(natural_key_index(
                "ux_interactions_natural_key",
                Interactions::Table,
            ))
            .await?;
        manager
            .create_index(lookup_index(
                "ix_interactions_agent_ended",
                Interactions::Table,
                [Interactions::AgentId, Interactions::EndedAtUs],
            ))
            .await?;
        manager
            .create_index(lookup_index(
                "ix_interactions_team_ended",
                Interactions::Table,
                [Interactions::TeamId, Interactions::EndedAtUs],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Interactions::Table).to_owned())
            .await
    }
}
