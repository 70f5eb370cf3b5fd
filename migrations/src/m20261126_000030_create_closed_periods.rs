//! Closed months: the months payroll has closed, every snapshot version
//! taken of them (the close, then each restatement), the scorecards each
//! snapshot holds, and the responses of idempotent creates (AIP-155).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ClosedPeriods {
    Table,
    /// `YYYY-MM`.
    Month,
    /// Days since 1970-01-01 of the month's first and the next month's
    /// first local day.
    FirstDay,
    EndDay,
    ClosedAtUs,
    ClosedBy,
    /// The snapshot version reads answer from by default.
    CurrentVersion,
}

#[derive(DeriveIden)]
enum PeriodSnapshots {
    Table,
    Month,
    Version,
    TakenAtUs,
    TakenBy,
    /// Empty for the close; the restatement's reason otherwise.
    Reason,
}

#[derive(DeriveIden)]
enum SnapshotScorecards {
    Table,
    Month,
    Version,
    /// `agent` or `team`.
    SubjectKind,
    SubjectId,
    /// The agent's team the scorecard was judged for (empty for none).
    TeamId,
    /// The scorecard as the service answered it (protobuf bytes).
    Payload,
}

#[derive(DeriveIden)]
enum IdempotentRequests {
    Table,
    RequestId,
    Method,
    /// Digest of the request body, so that a reused id with another body is
    /// told apart from a retry.
    BodyDigest,
    /// The first response (protobuf bytes).
    Response,
    CreatedAtUs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ClosedPeriods::Table)
                    .if_not_exists()
                    .col(string_len(ClosedPeriods::Month, 7).primary_key())
                    .col(integer(ClosedPeriods::FirstDay))
                    .col(integer(ClosedPeriods::EndDay))
                    .col(big_integer(ClosedPeriods::ClosedAtUs))
                    .col(string_len(ClosedPeriods::ClosedBy, 256))
                    .col(integer(ClosedPeriods::CurrentVersion))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PeriodSnapshots::Table)
                    .if_not_exists()
                    .col(string_len(PeriodSnapshots::Month, 7))
                    .col(integer(PeriodSnapshots::Version))
                    .col(big_integer(PeriodSnapshots::TakenAtUs))
                    .col(string_len(PeriodSnapshots::TakenBy, 256))
                    .col(text(PeriodSnapshots::Reason))
                    .primary_key(
                        Index::create()
                            .col(PeriodSnapshots::Month)
                            .col(PeriodSnapshots::Version),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SnapshotScorecards::Table)
                    .if_not_exists()
                    .col(string_len(SnapshotScorecards::Month, 7))
                    .col(integer(SnapshotScorecards::Version))
                    .col(string_len(SnapshotScorecards::SubjectKind, 8))
                    .col(string_len(SnapshotScorecards::SubjectId, 128))
                    .col(string_len(SnapshotScorecards::TeamId, 128))
                    .col(binary(SnapshotScorecards::Payload))
                    .primary_key(
                        Index::create()
                            .col(SnapshotScorecards::Month)
                            .col(SnapshotScorecards::Version)
                            .col(SnapshotScorecards::SubjectKind)
                            .col(SnapshotScorecards::SubjectId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IdempotentRequests::Table)
                    .if_not_exists()
                    .col(string_len(IdempotentRequests::RequestId, 128).primary_key())
                    .col(string_len(IdempotentRequests::Method, 128))
                    .col(string_len(IdempotentRequests::BodyDigest, 64))
                    .col(binary(IdempotentRequests::Response))
                    .col(big_integer(IdempotentRequests::CreatedAtUs))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            IdempotentRequests::Table.into_iden(),
            SnapshotScorecards::Table.into_iden(),
            PeriodSnapshots::Table.into_iden(),
            ClosedPeriods::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
