//! Calendar periods are taken in the reporting time zone (here
//! Europe/Berlin): months, days (including the 25-hour day summer time
//! ends on), ISO weeks, and the worked days of `contacts_per_day`.

use kpi_service::grpc::pb;

use crate::{
    on_both_backends,
    support::{
        app::{at, spawn_app_with, Backend, TestApp},
        ingest::ingest_interactions,
        periods::{day, iso_week, month},
        records::call,
        scorecards::{agent_scorecard, assert_close_option, kpi},
    },
};

on_both_backends!(
    a_month_follows_the_reporting_time_zone,
    worked_days_are_days_of_the_reporting_zone,
    the_day_summer_time_ends_lasts_25_hours,
    a_day_without_contacts_counts_0,
    an_iso_week_runs_from_monday_to_monday_local_time,
);

/// An app reporting in Europe/Berlin with three calls of ana's:
/// - n-1 at 00:30 CET on Sunday 1 November (still October in UTC);
/// - n-2 at 23:30 CET on 1 November, the same local day;
/// - d-1 at 00:30 CEST on 25 October (24 October in UTC), the day
///   summer time ends.
async fn three_calls_around_berlins_month_end(backend: Backend) -> TestApp {
    let app = spawn_app_with(backend, |settings| {
        settings.reporting.time_zone = "Europe/Berlin".into();
    })
    .await;
    ingest_interactions(
        &app,
        vec![
            call("n-1", "ana", "2026-10-31T23:30:00Z"),
            call("n-2", "ana", "2026-11-01T22:30:00Z"),
            call("d-1", "ana", "2026-10-24T22:30:00Z"),
        ],
    )
    .await;
    app
}

fn contacts(scorecard: &pb::Scorecard) -> f64 {
    kpi(scorecard, "contacts_handled").value.unwrap_or(-1.0)
}

/// The period's bounds, checked to be Berlin's.
fn bounds(scorecard: &pb::Scorecard) -> (prost_types::Timestamp, prost_types::Timestamp) {
    let period = scorecard.period.clone().unwrap();
    assert_eq!(period.time_zone, "Europe/Berlin");
    (period.start_time.unwrap(), period.end_time.unwrap())
}

async fn a_month_follows_the_reporting_time_zone(backend: Backend) {
    let app = three_calls_around_berlins_month_end(backend).await;

    let november = agent_scorecard(&app, "ana", month("2026-11")).await;
    let october = agent_scorecard(&app, "ana", month("2026-10")).await;

    assert_eq!(contacts(&november), 2.0, "n-1 and n-2 are November's");
    assert_eq!(
        bounds(&november),
        (at("2026-10-31T23:00:00Z"), at("2026-11-30T23:00:00Z"))
    );
    assert_eq!(contacts(&october), 1.0, "only d-1 is October's");
    assert_eq!(
        bounds(&october),
        (at("2026-09-30T22:00:00Z"), at("2026-10-31T23:00:00Z"))
    );
}

async fn worked_days_are_days_of_the_reporting_zone(backend: Backend) {
    let app = three_calls_around_berlins_month_end(backend).await;

    let november = agent_scorecard(&app, "ana", month("2026-11")).await;

    // n-1 and n-2 fall on the local day 1 November (two UTC days):
    // 2 contacts / 1 day.
    let per_day = kpi(&november, "contacts_per_day");
    assert_eq!((per_day.numerator, per_day.denominator), (2.0, 1.0));
    assert_close_option(per_day.value, Some(2.0), "contacts_per_day");
}

async fn the_day_summer_time_ends_lasts_25_hours(backend: Backend) {
    let app = three_calls_around_berlins_month_end(backend).await;

    let dst_day = agent_scorecard(&app, "ana", day("2026-10-25")).await;
    let first_of_november = agent_scorecard(&app, "ana", day("2026-11-01")).await;

    assert_eq!(contacts(&dst_day), 1.0);
    assert_eq!(
        bounds(&dst_day),
        (at("2026-10-24T22:00:00Z"), at("2026-10-25T23:00:00Z"))
    );
    assert_eq!(contacts(&first_of_november), 2.0);
}

async fn a_day_without_contacts_counts_0(backend: Backend) {
    let app = three_calls_around_berlins_month_end(backend).await;

    let day_before = agent_scorecard(&app, "ana", day("2026-10-24")).await;

    assert_eq!(contacts(&day_before), 0.0, "a count of 0 is a real value");
}

async fn an_iso_week_runs_from_monday_to_monday_local_time(backend: Backend) {
    let app = three_calls_around_berlins_month_end(backend).await;

    let week = agent_scorecard(&app, "ana", iso_week("2026-10-25")).await;

    // The week of Sunday 25 October: Monday 19 (CEST) to Monday 26 (CET).
    assert_eq!(contacts(&week), 1.0);
    assert_eq!(
        bounds(&week),
        (at("2026-10-18T22:00:00Z"), at("2026-10-25T23:00:00Z"))
    );
}
