//! Graded plans: bonus tiers on policy versions, and agent goals.
//!
//! - `policy_versions.bonus_tiers`: a JSON array of tiers (minimum
//!   composite, name, payout percentage), NULL for a version without tiers
//!   (every version stored before this migration). Each rule's scoring
//!   (`LINEAR` floors, `TIERS` credits) lives in the existing `rules` JSON,
//!   which needs no schema change; rules without it read as `BINARY`.
//! - `agent_goals`: insert-only overrides of one rule's target, warning
//!   band or floor for one agent from a day (the overrides as JSON, so that
//!   a later override field needs no schema change).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PolicyVersions {
    Table,
    BonusTiers,
}

#[derive(DeriveIden)]
enum AgentGoals {
    Table,
    Id,
    AgentId,
    KpiId,
    /// A `date` on PostgreSQL, ISO text on SQLite (as policy dates).
    EffectiveFrom,
    /// JSON object: `target`, `warning_band`, `floors`.
    Overrides,
    CreatedAtUs,
    CreatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(PolicyVersions::Table)
                    .add_column(text_null(PolicyVersions::BonusTiers))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AgentGoals::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(AgentGoals::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(string_len(AgentGoals::AgentId, 128))
                    .col(string_len(AgentGoals::KpiId, 64))
                    .col(date(AgentGoals::EffectiveFrom))
                    .col(text(AgentGoals::Overrides))
                    .col(big_integer(AgentGoals::CreatedAtUs))
                    .col(string_len(AgentGoals::CreatedBy, 256).default(""))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_agent_goals_agent")
                            .from(AgentGoals::Table, AgentGoals::AgentId)
                            .to(Alias::new("agents"), Alias::new("agent_id")),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_agent_goals_agent")
                    .table(AgentGoals::Table)
                    .col(AgentGoals::AgentId)
                    .col(AgentGoals::EffectiveFrom)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AgentGoals::Table).to_owned())
            .await?;
        // Plain SQL: SQLite (3.35+) and PostgreSQL both drop a column this way.
        manager
            .get_connection()
            .execute_unprepared("ALTER TABLE policy_versions DROP COLUMN bonus_tiers")
            .await?;
        Ok(())
    }
}
