//! The audit trail: one row per change (a policy version, a directory
//! change, an ingest batch), who made it, through which RPC and request.
//! Append-only: no RPC updates or deletes a row, and triggers on both
//! backends refuse UPDATE and DELETE even to a direct SQL session.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    OccurredAtUs,
    /// The authenticated principal's name.
    Principal,
    /// The gRPC method path, e.g. `/kpi.v1.PolicyService/CreatePolicyVersion`.
    Method,
    /// The call's `x-request-id`; empty when it carried none.
    RequestId,
    /// `POLICY_VERSION_CREATED`, `TEAM_UPSERTED`, `AGENT_UPSERTED`, `RECORDS_INGESTED`.
    Kind,
    /// JSON object: what changed (see `audit::AuditChange`).
    Details,
}

const SQLITE_GUARDS: &[&str] = &[
    "CREATE TRIGGER IF NOT EXISTS audit_events_no_update BEFORE UPDATE ON audit_events \
     BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_events_no_delete BEFORE DELETE ON audit_events \
     BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
];

const POSTGRES_GUARDS: &[&str] = &[
    "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$ \
     BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events \
     FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(AuditEvents::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(big_integer(AuditEvents::OccurredAtUs))
                    .col(string_len(AuditEvents::Principal, 256))
                    .col(string_len(AuditEvents::Method, 128))
                    .col(string_len(AuditEvents::RequestId, 128))
                    .col(string_len(AuditEvents::Kind, 32))
                    .col(text(AuditEvents::Details))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("ix_audit_events_time", vec![AuditEvents::OccurredAtUs]),
            (
                "ix_audit_events_principal",
                vec![AuditEvents::Principal, AuditEvents::Id],
            ),
            (
                "ix_audit_events_kind",
                vec![AuditEvents::Kind, AuditEvents::Id],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(AuditEvents::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        let guards = match manager.get_database_backend() {
            sea_orm_migration::sea_orm::DatabaseBackend::Postgres => POSTGRES_GUARDS,
            _ => SQLITE_GUARDS,
        };
        let connection = manager.get_connection();
        for statement in guards {
            connection.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditEvents::Table).to_owned())
            .await?;
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP FUNCTION IF EXISTS audit_events_append_only()")
                .await?;
        }
        Ok(())
    }
}
