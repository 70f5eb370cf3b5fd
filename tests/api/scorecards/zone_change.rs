//! The daily rollups are built for one reporting time zone: a database
//! built for another is refused until rebuilt, and the rebuild puts every
//! record on its day in the new zone.

use chrono_tz::Tz;

use crate::{
    on_both_backends,
    support::{
        app::{spawn_app_with, Backend, TestApp},
        ingest::ingest_interactions,
        periods::month,
        records::call,
        rollups::assert_rollups_verify,
        scorecards::{agent_scorecard, kpi},
    },
};

on_both_backends!(
    a_database_built_for_another_zone_is_refused_naming_the_rebuild_command,
    a_rebuild_for_a_new_zone_puts_each_record_on_its_local_day,
    a_rebuilt_database_holds_the_rollups_of_a_fresh_ingest_in_that_zone,
);

const ZONE: &str = "Europe/Berlin";

fn zone() -> Tz {
    ZONE.parse().unwrap()
}

/// Amy's calls at 22:30 and 23:30 UTC on Oct 31 and at 10:00 UTC on Nov 1.
/// In UTC, October has the first two; in Berlin (UTC+1), only the first
/// (the second ends at 00:30 local time on 1 November).
fn calls() -> Vec<kpi_service::grpc::pb::Interaction> {
    vec![
        call("z1", "amy", "2026-10-31T22:30:00Z"),
        call("z2", "amy", "2026-10-31T23:30:00Z"),
        call("z3", "amy", "2026-11-01T10:00:00Z"),
    ]
}

/// The calls ingested by an app reporting in UTC.
async fn built_for_utc(backend: Backend) -> TestApp {
    let app = spawn_app_with(backend, |_| {}).await;
    ingest_interactions(&app, calls()).await;
    app
}

/// The calls ingested by an app reporting in Berlin.
async fn ingested_in_berlin(backend: Backend) -> TestApp {
    let fresh = spawn_app_with(backend, |settings| {
        settings.reporting.time_zone = ZONE.into();
    })
    .await;
    ingest_interactions(&fresh, calls()).await;
    fresh
}

/// Days since 1970-01-01 of 2026-10-31 and 2026-11-01.
const OCTOBER_31: i32 = 20_757;
const NOVEMBER_1: i32 = 20_758;

async fn a_database_built_for_another_zone_is_refused_naming_the_rebuild_command(backend: Backend) {
    let app = built_for_utc(backend).await;
    let october = agent_scorecard(&app, "amy", month("2026-10")).await;
    assert_eq!(kpi(&october, "contacts_handled").value, Some(2.0));
    // Two calls on Oct 31, one on Nov 1, 300 s each.
    assert_eq!(
        rollup_rows(&app).await,
        vec![
            ("amy".to_owned(), String::new(), OCTOBER_31, 2, 600),
            ("amy".to_owned(), String::new(), NOVEMBER_1, 1, 300),
        ]
    );

    let refused = app.database.prepare_rollups(zone()).await.unwrap_err();

    assert!(
        refused.to_string().contains("kpi-service rollups rebuild"),
        "the refusal must name the command: {refused}"
    );
}

async fn a_rebuild_for_a_new_zone_puts_each_record_on_its_local_day(backend: Backend) {
    let app = built_for_utc(backend).await;

    app.database.rebuild_rollups(zone()).await.unwrap();

    app.database.prepare_rollups(zone()).await.unwrap();
    assert_eq!(
        app.database.rollup_zone().await.unwrap().as_deref(),
        Some(ZONE)
    );
    // In Berlin: z1 on Oct 31; z2 and z3 on Nov 1.
    assert_eq!(
        rollup_rows(&app).await,
        vec![
            ("amy".to_owned(), String::new(), OCTOBER_31, 1, 300),
            ("amy".to_owned(), String::new(), NOVEMBER_1, 2, 600),
        ]
    );
    assert_rollups_verify(&app, ZONE, 2).await;
}

async fn a_rebuilt_database_holds_the_rollups_of_a_fresh_ingest_in_that_zone(backend: Backend) {
    let app = built_for_utc(backend).await;
    app.database.rebuild_rollups(zone()).await.unwrap();

    let fresh = ingested_in_berlin(backend).await;

    assert_eq!(rollup_rows(&app).await, rollup_rows(&fresh).await);
    assert_rollups_verify(&fresh, ZONE, 2).await;
    assert_eq!(
        fresh.database.rollup_zone().await.unwrap().as_deref(),
        Some(ZONE)
    );
    let october = agent_scorecard(&fresh, "amy", month("2026-10")).await;
    assert_eq!(kpi(&october, "contacts_handled").value, Some(1.0));
}

/// The rollup rows of a database, without their timestamps.
async fn rollup_rows(app: &TestApp) -> Vec<(String, String, i32, i64, i64)> {
    use sea_orm::{ConnectionTrait, Statement};
    let connection = app.database.connection();
    let rows = connection
        .query_all(Statement::from_string(
            connection.get_database_backend(),
            "SELECT agent_id, team_id, day, contacts, handle_seconds FROM kpi_rollups \
             WHERE contacts <> 0 ORDER BY agent_id, day, team_id",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| {
            (
                row.try_get("", "agent_id").unwrap(),
                row.try_get("", "team_id").unwrap(),
                row.try_get("", "day").unwrap(),
                row.try_get("", "contacts").unwrap(),
                row.try_get("", "handle_seconds").unwrap(),
            )
        })
        .collect()
}
