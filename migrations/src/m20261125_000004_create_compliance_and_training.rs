//! Compliance: checks, internal-regulation violations and training
//! assignments.

use sea_orm_migration::{prelude::*, schema::*};

use crate::record_columns::{lookup_index, natural_key_index, record_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ComplianceChecks {
    Table,
    AgentId,
    Kind,
    Passed,
    CheckedAtUs,
}

#[derive(DeriveIden)]
enum Violations {
    Table,
    AgentId,
    Kind,
    OccurredAtUs,
}

#[derive(DeriveIden)]
enum TrainingAssignments {
    Table,
    AgentId,
    CourseId,
    DueAtUs,
    CompletedAtUs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                record_table(ComplianceChecks::Table)
                    .col(string_len(ComplianceChecks::AgentId, 128))
                    .col(string_len(ComplianceChecks::Kind, 16))
                    .col(boolean(ComplianceChecks::Passed))
                    .col(big_integer(ComplianceChecks::CheckedAtUs))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(natural_key_index(
                "ux_compliance_checks_natural_key",
                ComplianceChecks::Table,
            ))
            .await?;
        manager
            .create_index(lookup_index(
                "ix_compliance_checks_agent_checked",
                ComplianceChecks::Table,
                [ComplianceChecks::AgentId, ComplianceChecks::CheckedAtUs],
            ))
            .await?;

        manager
            .create_table(
                record_table(Violations::Table)
                    .col(string_len(Violations::AgentId, 128))
                    .col(string_len(Violations::Kind, 32))
                    .col(big_integer(Violations::OccurredAtUs))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(natural_key_index(
                "ux_violations_natural_key",
                Violations::Table,
            ))
            .await?;
        manager
            .create_index(lookup_index(
                "ix_violations_agent_occurred",
                Violations::Table,
                [Violations::AgentId, Violations::OccurredAtUs],
            ))
            .await?;

        manager
            .create_table(
                record_table(TrainingAssignments::Table)
                    .col(string_len(TrainingAssignments::AgentId, 128))
                    .col(string_len(TrainingAssignments::CourseId, 128))
                    .col(big_integer(TrainingAssignments::DueAtUs))
                    .col(big_integer_null(TrainingAssignments::CompletedAtUs))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(natural_key_index(
                "ux_training_assignments_natural_key",
                TrainingAssignments::Table,
            ))
            .await?;
        manager
            .create_index(lookup_index(
                "ix_training_assignments_agent_due",
                TrainingAssignments::Table,
                [TrainingAssignments::AgentId, TrainingAssignments::DueAtUs],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            TrainingAssignments::Table.into_iden(),
            Violations::Table.into_iden(),
            ComplianceChecks::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
