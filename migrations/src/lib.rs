//! Schema migrations of kpi-service. Append-only: a released migration is
//! never edited; a change of schema is a new migration with a real `down`.
//!
//! Conventions shared by every table:
//! - instants are BIGINT microseconds since the Unix epoch (UTC), in columns
//!   ending in `_at_us`: exact, portable between SQLite and PostgreSQL, and
//!   cheap to range-scan and sum;
//! - every ingested record has a surrogate `id`, its natural key
//!   (`source`, `external_id`) under a unique index (which is what makes
//!   replays idempotent), a `revision`, a `content_hash` and a `voided` flag.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_create_directory;
mod m20261125_000002_create_interactions;
mod m20261125_000003_create_feedback;
mod m20261125_000004_create_compliance_and_training;
mod m20261125_000005_create_agent_time;
mod m20261125_000006_create_policy_versions;
mod m20261126_000007_create_rollups;
mod m20261126_000008_policy_effective_dates;
mod m20261126_000020_create_audit_events;
mod m20261126_000021_add_policy_created_by;
mod m20261126_000030_create_closed_periods;
mod m20261126_000031_create_team_memberships;
mod m20261127_000040_rollup_fillfactor;
mod m20261205_000175_peer_reads;
mod m20261205_000180_create_scorecard_changes;
mod m20261205_000185_change_period_sums;
mod m20261205_000190_graded_plans;
mod m20261205_000195_pay_periods;
mod record_columns;

/// Every migration of the service, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_directory::Migration),
            Box::new(m20261125_000002_create_interactions::Migration),
            Box::new(m20261125_000003_create_feedback::Migration),
            Box::new(m20261125_000004_create_compliance_and_training::Migration),
            Box::new(m20261125_000005_create_agent_time::Migration),
            Box::new(m20261125_000006_create_policy_versions::Migration),
            Box::new(m20261126_000007_create_rollups::Migration),
            Box::new(m20261126_000008_policy_effective_dates::Migration),
            Box::new(m20261126_000020_create_audit_events::Migration),
            Box::new(m20261126_000021_add_policy_created_by::Migration),
            Box::new(m20261126_000030_create_closed_periods::Migration),
            Box::new(m20261126_000031_create_team_memberships::Migration),
            Box::new(m20261127_000040_rollup_fillfactor::Migration),
            Box::new(m20261205_000175_peer_reads::Migration),
            Box::new(m20261205_000180_create_scorecard_changes::Migration),
            Box::new(m20261205_000185_change_period_sums::Migration),
            Box::new(m20261205_000190_graded_plans::Migration),
            Box::new(m20261205_000195_pay_periods::Migration),
        ]
    }
}
