//! Daily rollups: one row per (agent, team, reporting-zone day) holding every
//! additive sum behind the KPI catalogue, kept in the same transaction as
//! the records it sums. Also records, on every agent-attributed record
//! table, the team the record counts for (fixed when it is ingested, like
//! interactions already do), so that the rollups and a recomputation from
//! raw rows agree on the team without consulting today's directory.

use sea_orm_migration::{prelude::*, schema::*};

use crate::record_columns::lookup_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Tables that gain a recorded `team_id`.
const TEAM_RECORDING_TABLES: &[&str] = &[
    "survey_responses",
    "qa_evaluations",
    "compliance_checks",
    "violations",
    "training_assignments",
    "agent_time",
];

/// The integer sums of a rollup row, in the order the code reads them.
pub(crate) const INTEGER_SUMS: &[&str] = &[
    "contacts",
    "handle_seconds",
    "responses_timed",
    "response_micros",
    "resolutions_timed",
    "resolution_micros",
    "first_contact_resolved",
    "resolved",
    "escalated",
    "transferred",
    "solo_resolved",
    "with_sla",
    "overdue",
    "agent_errors",
    "complaints",
    "qa_evaluations",
    "criterion_ratings",
    "criterion_rating_total",
    "csat_responses",
    "csat_satisfied",
    "nps_responses",
    "nps_promoters",
    "nps_detractors",
    "ces_responses",
    "ces_easy",
    "process_checks",
    "process_passed",
    "privacy_checks",
    "privacy_passed",
    "violations",
    "training_due",
    "training_on_time",
    "agent_time_records",
    "handling_seconds",
    "logged_in_seconds",
    "scheduled_seconds",
];

/// The floating-point sums of a rollup row.
pub(crate) const FLOAT_SUMS: &[&str] = &["qa_score", "qa_max_score"];

#[derive(DeriveIden)]
enum KpiRollups {
    Table,
    AgentId,
    TeamId,
    Day,
    UpdatedAtUs,
}

#[derive(DeriveIden)]
enum KpiRollupState {
    Table,
    Id,
    TimeZone,
    BuiltAtUs,
}

#[derive(DeriveIden)]
enum QaEvaluations {
    Table,
    InteractionSource,
    InteractionExternalId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TEAM_RECORDING_TABLES {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(*table))
                        .add_column(string_len_null(Alias::new("team_id"), 128))
                        .to_owned(),
                )
                .await?;
            // Records stored before this migration count for the agent's
            // team of today, which is what the service answered until now.
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "UPDATE {table} SET team_id = (SELECT agents.team_id FROM agents \
                     WHERE agents.agent_id = {table}.agent_id)"
                ))
                .await?;
        }

        let mut rollups = Table::create();
        rollups
            .table(KpiRollups::Table)
            .if_not_exists()
            .col(string_len(KpiRollups::AgentId, 128))
            // Empty when the records counted for no team.
            .col(string_len(KpiRollups::TeamId, 128))
            // Days since 1970-01-01 of the local date in the reporting zone.
            .col(integer(KpiRollups::Day));
        for column in INTEGER_SUMS {
            rollups.col(big_integer(Alias::new(*column)).default(0));
        }
        for column in FLOAT_SUMS {
            rollups.col(double(Alias::new(*column)).default(0.0));
        }
        rollups
            .col(big_integer(KpiRollups::UpdatedAtUs))
            .primary_key(
                Index::create()
                    .col(KpiRollups::AgentId)
                    .col(KpiRollups::Day)
                    .col(KpiRollups::TeamId),
            );
        manager.create_table(rollups.to_owned()).await?;
        manager
            .create_index(lookup_index(
                "ix_kpi_rollups_team_day",
                KpiRollups::Table,
                [KpiRollups::TeamId, KpiRollups::Day],
            ))
            .await?;
        manager
            .create_index(lookup_index(
                "ix_kpi_rollups_day",
                KpiRollups::Table,
                [KpiRollups::Day],
            ))
            .await?;

        // One row: the reporting zone the rollups' days were cut in.
        manager
            .create_table(
                Table::create()
                    .table(KpiRollupState::Table)
                    .if_not_exists()
                    .col(integer(KpiRollupState::Id).primary_key())
                    .col(string_len(KpiRollupState::TimeZone, 64))
                    .col(big_integer(KpiRollupState::BuiltAtUs))
                    .to_owned(),
            )
            .await?;

        // A QA evaluation counts only while its linked interaction does.
        manager
            .create_index(lookup_index(
                "ix_qa_evaluations_interaction",
                QaEvaluations::Table,
                [
                    QaEvaluations::InteractionSource,
                    QaEvaluations::InteractionExternalId,
                ],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_qa_evaluations_interaction")
                    .table(QaEvaluations::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(KpiRollupState::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(KpiRollups::Table).to_owned())
            .await?;
        for table in TEAM_RECORDING_TABLES {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(*table))
                        .drop_column(Alias::new("team_id"))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
