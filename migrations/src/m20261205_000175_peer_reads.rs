//! What reading every agent's numbers for a period in progress needs (an
//! agent's peers, issue 17):
//!
//! - an index on each record table's placing instant alone (the column by
//!   which attribution places a record in a period: an interaction's
//!   `ended_at_us`, a survey response's `responded_at_us`, ...). The
//!   existing indexes lead with the agent (or the team), so the raw rows of
//!   a partial day for the whole organisation were read by full scans;
//! - `kpi_data_changes`: a counter that every committed write transaction
//!   increases (`storage::data_changes`), so that a process can tell
//!   cheaply and exactly whether anything changed since it computed the
//!   organisation's peer values. A few rows ("shards"), one picked per
//!   transaction, so that concurrent PostgreSQL writers seldom wait on the
//!   same row; the version is their sum.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (index, table, placing column) of every record table.
const PLACING_INDEXES: &[(&str, &str, &str)] = &[
    ("ix_interactions_ended", "interactions", "ended_at_us"),
    (
        "ix_survey_responses_responded",
        "survey_responses",
        "responded_at_us",
    ),
    (
        "ix_qa_evaluations_evaluated",
        "qa_evaluations",
        "evaluated_at_us",
    ),
    (
        "ix_compliance_checks_checked",
        "compliance_checks",
        "checked_at_us",
    ),
    ("ix_violations_occurred", "violations", "occurred_at_us"),
    (
        "ix_training_assignments_due",
        "training_assignments",
        "due_at_us",
    ),
    ("ix_agent_time_starts", "agent_time", "starts_at_us"),
];

/// How many rows the change counter has (see the module's note).
const DATA_CHANGE_SHARDS: i32 = 16;

#[derive(DeriveIden)]
enum KpiDataChanges {
    Table,
    Shard,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table, column) in PLACING_INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(*name)
                        .table(Alias::new(*table))
                        .col(Alias::new(*column))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(KpiDataChanges::Table)
                    .if_not_exists()
                    .col(integer(KpiDataChanges::Shard).primary_key())
                    .col(big_integer(KpiDataChanges::Version).default(0))
                    .to_owned(),
            )
            .await?;
        let mut rows = Query::insert();
        rows.into_table(KpiDataChanges::Table)
            .columns([KpiDataChanges::Shard, KpiDataChanges::Version]);
        for shard in 0..DATA_CHANGE_SHARDS {
            rows.values_panic([shard.into(), 0i64.into()]);
        }
        manager.exec_stmt(rows.to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(KpiDataChanges::Table).to_owned())
            .await?;
        for (name, table, _) in PLACING_INDEXES {
            manager
                .drop_index(
                    Index::drop()
                        .name(*name)
                        .table(Alias::new(*table))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
