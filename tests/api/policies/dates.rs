//! Policy effective dates are real dates within 2000-01-01..=9999-12-31,
//! and the migration that made them so moves older, out-of-range text
//! dates to the nearest end of that range.

use kpi_migration::{Migrator, MigratorTrait};
use kpi_service::grpc::pb::{self, policy_service_client::PolicyServiceClient};
use sea_orm::ConnectionTrait;
use tonic::Code;

use crate::{
    on_both_backends,
    support::app::{field_violations, spawn_app, Backend, TestApp},
};

on_both_backends!(
    out_of_range_dates_stored_before_the_migration_are_moved_to_the_calendars_ends,
    after_the_migration_the_version_in_force_follows_the_moved_dates,
    a_policy_date_outside_the_calendar_is_refused,
    the_calendars_first_and_last_days_are_accepted,
    an_effective_policy_asked_beyond_the_calendar_is_invalid,
);

const MIGRATION: &str = "m20261126_000008_policy_effective_dates";

fn policy(effective_from: &str) -> pb::CreatePolicyVersionRequest {
    pb::CreatePolicyVersionRequest {
        policy: Some(pb::PolicyVersion {
            effective_from: effective_from.into(),
            bonus_threshold: 80.0,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// What the old schema could hold: PostgreSQL's varchar(10) takes at most
/// a four-digit year; SQLite took any text.
fn old_dates(backend: Backend) -> &'static [&'static str] {
    match backend {
        Backend::Postgres => &["0999-01-01", "2026-11-01"],
        Backend::Sqlite => &["+10000-01-01", "-0001-01-01", "1999-12-31", "2026-11-01"],
    }
}

/// An app whose policy versions 1, 2, .. were stored with [`old_dates`]
/// under the schema before the migration, then migrated.
async fn old_dates_migrated(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    let connection = app.database.connection();
    // Undo this migration (and any applied after it) to get the old column.
    let migrations = Migrator::migrations();
    let position = migrations
        .iter()
        .position(|migration| migration.name() == MIGRATION)
        .expect("the migration is registered");
    Migrator::down(connection, Some((migrations.len() - position) as u32))
        .await
        .expect("the migration has a working down");
    for (index, date) in old_dates(backend).iter().enumerate() {
        connection
            .execute_unprepared(&format!(
                "INSERT INTO policy_versions (id, team_id, effective_from, bonus_threshold, \
                 rules, created_at_us) VALUES ({}, NULL, '{date}', {}, '[]', 0)",
                index + 1,
                50 + index
            ))
            .await
            .unwrap();
    }
    Migrator::up(connection, None).await.unwrap();
    app
}

async fn out_of_range_dates_stored_before_the_migration_are_moved_to_the_calendars_ends(
    backend: Backend,
) {
    let app = old_dates_migrated(backend).await;
    let mut client = PolicyServiceClient::new(app.channel.clone());

    let mut stored = Vec::new();
    for id in 1..=old_dates(backend).len() as i64 {
        let version = client
            .get_policy_version(pb::GetPolicyVersionRequest {
                policy_version_id: id,
            })
            .await
            .unwrap()
            .into_inner()
            .policy
            .unwrap();
        stored.push(version.effective_from);
    }

    let expected: &[&str] = match backend {
        Backend::Postgres => &["2000-01-01", "2026-11-01"],
        Backend::Sqlite => &["9999-12-31", "2000-01-01", "2000-01-01", "2026-11-01"],
    };
    assert_eq!(stored, expected);
}

async fn after_the_migration_the_version_in_force_follows_the_moved_dates(backend: Backend) {
    let app = old_dates_migrated(backend).await;

    let in_force = PolicyServiceClient::new(app.channel.clone())
        .get_effective_policy(pb::GetEffectivePolicyRequest {
            date: "2026-11-25".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .policy
        .unwrap();

    // A year-10000 policy is no longer "in force" today: the 2026 one is.
    assert_eq!(in_force.effective_from, "2026-11-01");
    assert_eq!(in_force.policy_version_id, old_dates(backend).len() as i64);
}

async fn a_policy_date_outside_the_calendar_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut client = PolicyServiceClient::new(app.channel.clone());

    for date in ["+10000-01-01", "-0001-01-01", "1999-12-31", "0000-01-01"] {
        let status = client
            .create_policy_version(policy(date))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{date}: {status:?}");
        let fields: Vec<String> = field_violations(&status)
            .into_iter()
            .map(|(field, _)| field)
            .collect();
        assert_eq!(fields, ["policy.effective_from"], "{date}");
    }
}

async fn the_calendars_first_and_last_days_are_accepted(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut client = PolicyServiceClient::new(app.channel.clone());

    for date in ["2000-01-01", "9999-12-31"] {
        let created = client
            .create_policy_version(policy(date))
            .await
            .unwrap()
            .into_inner()
            .policy
            .unwrap();
        assert_eq!(created.effective_from, date);
    }
}

async fn an_effective_policy_asked_beyond_the_calendar_is_invalid(backend: Backend) {
    let app = spawn_app(backend).await;

    let status = PolicyServiceClient::new(app.channel.clone())
        .get_effective_policy(pb::GetEffectivePolicyRequest {
            date: "+10000-01-01".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();

    assert_eq!(status.code(), Code::InvalidArgument);
}
