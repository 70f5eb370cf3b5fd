//! Team membership history: effective-dated (agent, team, from, to) rows in
//! the reporting zone's days, so that a record counts for the team the
//! agent belonged to at its own time and a later move never rewrites the
//! past. Also `interactions.team_named`: whether the sender named the team
//! explicitly, which a re-attribution after a back-dated move never
//! overrides.
//!
//! Backfill: every agent that has a team gets one open membership starting
//! at [`OPEN_START_DAY`] ("since before any record"), not at the agent's
//! creation. Records arriving later for days before the agent was created
//! (late files, first-sight registration followed by a team assignment)
//! then keep counting for the agent's team, as they did when the team was
//! read at ingest; starting at `created_at` would send them to no team.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The `effective_from` of a membership that holds since before any record:
/// 0001-01-01 as days since 1970-01-01. Kept in step with
/// `storage::memberships::OPEN_START_DAY`.
pub const OPEN_START_DAY: i32 = -719_162;

#[derive(DeriveIden)]
enum TeamMemberships {
    Table,
    AgentId,
    /// Local day (days since 1970-01-01 in the reporting zone) the
    /// membership starts, inclusive.
    EffectiveFrom,
    /// Local day the membership ends, exclusive; NULL while it lasts.
    EffectiveTo,
    TeamId,
}

#[derive(DeriveIden)]
enum Interactions {
    Table,
    TeamNamed,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TeamMemberships::Table)
                    .if_not_exists()
                    .col(string_len(TeamMemberships::AgentId, 128))
                    .col(integer(TeamMemberships::EffectiveFrom))
                    .col(integer_null(TeamMemberships::EffectiveTo))
                    .col(string_len(TeamMemberships::TeamId, 128))
                    // One membership per agent and start day; that they never
                    // overlap is kept by the one writer (storage::memberships).
                    .primary_key(
                        Index::create()
                            .col(TeamMemberships::AgentId)
                            .col(TeamMemberships::EffectiveFrom),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_team_memberships_agent")
                            .from(TeamMemberships::Table, TeamMemberships::AgentId)
                            .to(Alias::new("agents"), Alias::new("agent_id")),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_team_memberships_team")
                            .from(TeamMemberships::Table, TeamMemberships::TeamId)
                            .to(Alias::new("teams"), Alias::new("team_id")),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_team_memberships_team")
                    .table(TeamMemberships::Table)
                    .col(TeamMemberships::TeamId)
                    .col(TeamMemberships::EffectiveFrom)
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO team_memberships (agent_id, effective_from, effective_to, team_id) \
                 SELECT agent_id, {OPEN_START_DAY}, NULL, team_id FROM agents \
                 WHERE team_id IS NOT NULL"
            ))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Interactions::Table)
                    .add_column(boolean(Interactions::TeamNamed).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Plain SQL: SQLite (3.35+) and PostgreSQL both drop a column this way.
        manager
            .get_connection()
            .execute_unprepared("ALTER TABLE interactions DROP COLUMN team_named")
            .await?;
        manager
            .drop_table(Table::drop().table(TeamMemberships::Table).to_owned())
            .await
    }
}
