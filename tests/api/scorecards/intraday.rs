//! Intraday trends: HOUR and QUARTER_HOUR buckets follow the reporting
//! zone's clock. Europe/Berlin on the day summer time starts (23 buckets)
//! and ends (25, 02:00 twice), Asia/Kathmandu (+05:45, buckets at a quarter
//! past UTC hours). Every expectation is worked out by hand in a comment.
//! Subjects, worked days and refusals are in `intraday_subjects`.

use kpi_service::grpc::pb;

use crate::{
    on_both_backends,
    support::{
        app::{at, spawn_app_with, Backend, TestApp},
        ingest::{ingest_interactions, ingest_surveys},
        periods::day,
        records::{call, survey_about},
        scorecards::{agent_scorecard, assert_close_option, kpi},
    },
};

on_both_backends!(
    berlins_spring_forward_day_has_23_hourly_buckets,
    berlins_fall_back_day_has_25_hourly_buckets_split_by_instant,
    berlins_fall_back_day_has_100_quarter_hours,
    kathmandus_buckets_start_at_its_local_whole_hours,
    the_buckets_of_a_day_add_up_to_its_scorecard,
);

/// An app reporting in `zone`.
async fn app_in(backend: Backend, zone: &str) -> TestApp {
    spawn_app_with(backend, |settings| {
        settings.reporting.time_zone = zone.into();
    })
    .await
}

/// A call of ana's with the given handle time (talk = handle - 60).
fn handled(external_id: &str, ended_at: &str, handle_seconds: i64) -> pb::Interaction {
    pb::Interaction {
        talk_seconds: handle_seconds - 60,
        ..call(external_id, "ana", ended_at)
    }
}

/// Ana's trend of `kpi_ids`.
pub async fn agent_trend(
    app: &TestApp,
    kpi_ids: &[&str],
    period: pb::PeriodSelector,
    granularity: pb::TrendGranularity,
) -> Vec<pb::TrendBucket> {
    app.scorecards()
        .get_kpi_trend(pb::GetKpiTrendRequest {
            subject: Some(pb::get_kpi_trend_request::Subject::AgentId("ana".into())),
            kpi_ids: kpi_ids.iter().map(|id| id.to_string()).collect(),
            period: Some(period),
            granularity: granularity as i32,
            ..Default::default()
        })
        .await
        .unwrap_or_else(|status| panic!("GetKpiTrend failed: {status:?}"))
        .into_inner()
        .buckets
}

/// A bucket's UTC instants, checked to be cut in `zone`.
pub fn instants(
    bucket: &pb::TrendBucket,
    zone: &str,
) -> (prost_types::Timestamp, prost_types::Timestamp) {
    let period = bucket.period.clone().expect("a bucket has a period");
    assert_eq!(period.time_zone, zone);
    (period.start_time.unwrap(), period.end_time.unwrap())
}

/// The value of the `n`th requested KPI in each bucket.
pub fn column(buckets: &[pb::TrendBucket], n: usize) -> Vec<Option<f64>> {
    buckets
        .iter()
        .map(|bucket| bucket.values[n].value)
        .collect()
}

/// `count` buckets of `Some(0.0)` with the given values at given indexes.
pub fn counts(count: usize, at_index: &[(usize, f64)]) -> Vec<Option<f64>> {
    let mut values = vec![Some(0.0); count];
    for (index, value) in at_index {
        values[*index] = Some(*value);
    }
    values
}

async fn berlins_spring_forward_day_has_23_hourly_buckets(backend: Backend) {
    let app = app_in(backend, "Europe/Berlin").await;
    // 29 March 2026: the day runs from 23:00Z (midnight CET, +1) to 22:00Z
    // (midnight CEST, +2); at 01:00Z the clock jumps from 02:00 to 03:00.
    ingest_interactions(
        &app,
        vec![
            // 23:59 CET on the 28th: the day before, in no bucket.
            handled("s-0", "2026-03-28T22:59:00Z", 100),
            // 01:30 CET: the bucket of 01:00, 00:00Z-01:00Z (index 1).
            handled("s-1", "2026-03-29T00:30:00Z", 200),
            // 03:10 CEST: the bucket of 03:00, 01:00Z-02:00Z (index 2).
            handled("s-2", "2026-03-29T01:10:00Z", 400),
            // 23:59:59 CEST: the last bucket, 21:00Z-22:00Z (index 22).
            handled("s-3", "2026-03-29T21:59:59Z", 600),
        ],
    )
    .await;

    let buckets = agent_trend(
        &app,
        &["contacts_handled", "aht"],
        day("2026-03-29"),
        pb::TrendGranularity::Hour,
    )
    .await;

    // 00, 01, 03, 04, ..., 23 on the local clock: 2 + 21 = 23 buckets.
    assert_eq!(buckets.len(), 23);
    let zone = "Europe/Berlin";
    assert_eq!(
        instants(&buckets[0], zone),
        (at("2026-03-28T23:00:00Z"), at("2026-03-29T00:00:00Z"))
    );
    assert_eq!(
        instants(&buckets[1], zone),
        (at("2026-03-29T00:00:00Z"), at("2026-03-29T01:00:00Z"))
    );
    assert_eq!(
        instants(&buckets[2], zone),
        (at("2026-03-29T01:00:00Z"), at("2026-03-29T02:00:00Z"))
    );
    assert_eq!(
        instants(&buckets[22], zone),
        (at("2026-03-29T21:00:00Z"), at("2026-03-29T22:00:00Z"))
    );
    assert_eq!(
        column(&buckets, 0),
        counts(23, &[(1, 1.0), (2, 1.0), (22, 1.0)])
    );
    // aht = the one call's handle time where there is one, else none.
    let aht = column(&buckets, 1);
    assert_close_option(aht[1], Some(200.0), "aht 01:00");
    assert_close_option(aht[2], Some(400.0), "aht 03:00");
    assert_close_option(aht[22], Some(600.0), "aht 23:00");
    assert_eq!(aht[0], None, "no contact, no handle time");
}

/// Ana's calls around 02:00, which Berlin's clock shows twice on 25
/// October 2026 (00:00Z CEST and 01:00Z CET), and a CSAT response about
/// the first one, answered during the second 02:00 hour.
async fn calls_in_the_repeated_hour(backend: Backend) -> TestApp {
    let app = app_in(backend, "Europe/Berlin").await;
    ingest_interactions(
        &app,
        vec![
            // 02:30 CEST.
            handled("f-1", "2026-10-25T00:30:00Z", 200),
            // 02:00 CET exactly: starts the second 02:00 bucket.
            handled("f-2", "2026-10-25T01:00:00Z", 800),
            // 02:30 and 02:45 CET.
            handled("f-3", "2026-10-25T01:30:00Z", 400),
            handled("f-4", "2026-10-25T01:45:00Z", 600),
        ],
    )
    .await;
    ingest_surveys(
        &app,
        vec![survey_about(
            "f-1-csat",
            "f-1",
            pb::SurveyKind::Csat,
            5,
            "2026-10-25T01:35:00Z",
        )],
    )
    .await;
    app
}

async fn berlins_fall_back_day_has_25_hourly_buckets_split_by_instant(backend: Backend) {
    let app = calls_in_the_repeated_hour(backend).await;

    let buckets = agent_trend(
        &app,
        &["contacts_handled", "aht", "csat"],
        day("2026-10-25"),
        pb::TrendGranularity::Hour,
    )
    .await;

    // The day runs from 22:00Z (midnight CEST) to 23:00Z (midnight CET):
    // 25 hours, 25 buckets; 02:00 CEST is index 2, 02:00 CET index 3.
    assert_eq!(buckets.len(), 25);
    let zone = "Europe/Berlin";
    assert_eq!(
        instants(&buckets[2], zone),
        (at("2026-10-25T00:00:00Z"), at("2026-10-25T01:00:00Z"))
    );
    assert_eq!(
        instants(&buckets[3], zone),
        (at("2026-10-25T01:00:00Z"), at("2026-10-25T02:00:00Z"))
    );
    assert_eq!(
        instants(&buckets[24], zone),
        (at("2026-10-25T22:00:00Z"), at("2026-10-25T23:00:00Z"))
    );
    // First 02:00: f-1 only. Second 02:00: f-2 (on its boundary), f-3, f-4.
    assert_eq!(column(&buckets, 0), counts(25, &[(2, 1.0), (3, 3.0)]));
    let aht = column(&buckets, 1);
    assert_close_option(aht[2], Some(200.0), "aht of the first 02:00");
    // (800 + 400 + 600) / 3 = 600.
    assert_close_option(aht[3], Some(600.0), "aht of the second 02:00");
    // The response was answered at 01:35Z but counts with f-1, at its
    // ended_at (00:30Z): CSAT 1 of 1 satisfied = 100 in the first 02:00,
    // none in the second.
    let csat = column(&buckets, 2);
    assert_close_option(csat[2], Some(100.0), "csat of the first 02:00");
    assert_eq!(csat[3], None, "the response follows its interaction");
    let first = &buckets[2].values[2];
    assert_eq!((first.numerator, first.denominator), (1.0, 1.0));
}

async fn berlins_fall_back_day_has_100_quarter_hours(backend: Backend) {
    let app = calls_in_the_repeated_hour(backend).await;

    let buckets = agent_trend(
        &app,
        &["contacts_handled"],
        day("2026-10-25"),
        pb::TrendGranularity::QuarterHour,
    )
    .await;

    // 25 hours of 4 quarter-hours; a call's index is the quarter-hours
    // since 22:00Z: f-1 00:30Z -> 10, f-2 01:00Z -> 12, f-3 01:30Z -> 14,
    // f-4 01:45Z -> 15.
    assert_eq!(buckets.len(), 100);
    assert_eq!(
        column(&buckets, 0),
        counts(100, &[(10, 1.0), (12, 1.0), (14, 1.0), (15, 1.0)])
    );
    assert_eq!(
        instants(&buckets[15], "Europe/Berlin"),
        (at("2026-10-25T01:45:00Z"), at("2026-10-25T02:00:00Z"))
    );
}

async fn kathmandus_buckets_start_at_its_local_whole_hours(backend: Backend) {
    let app = app_in(backend, "Asia/Kathmandu").await;
    // Kathmandu is +05:45: 10 November 2026 runs from 18:15Z on the 9th,
    // and local hour h starts at 18:15Z + h hours.
    ingest_interactions(
        &app,
        vec![
            // 09:59:59 local: hour 9 (03:15Z-04:15Z), quarter 39.
            handled("k-1", "2026-11-10T04:14:59Z", 300),
            // 10:00 local: hour 10 (04:15Z-05:15Z), quarter 40.
            handled("k-2", "2026-11-10T04:15:00Z", 300),
            // 10:35 local: hour 10, quarter 42 (10:30-10:45).
            handled("k-3", "2026-11-10T04:50:00Z", 300),
        ],
    )
    .await;
    let zone = "Asia/Kathmandu";

    let hours = agent_trend(
        &app,
        &["contacts_handled"],
        day("2026-11-10"),
        pb::TrendGranularity::Hour,
    )
    .await;
    let quarters = agent_trend(
        &app,
        &["contacts_handled"],
        day("2026-11-10"),
        pb::TrendGranularity::QuarterHour,
    )
    .await;

    // By UTC hour k-1 and k-2 would share 04:00Z; by local hour they do not.
    assert_eq!(hours.len(), 24);
    assert_eq!(column(&hours, 0), counts(24, &[(9, 1.0), (10, 2.0)]));
    assert_eq!(
        instants(&hours[0], zone),
        (at("2026-11-09T18:15:00Z"), at("2026-11-09T19:15:00Z"))
    );
    assert_eq!(
        instants(&hours[10], zone),
        (at("2026-11-10T04:15:00Z"), at("2026-11-10T05:15:00Z"))
    );
    assert_eq!(quarters.len(), 96);
    assert_eq!(
        column(&quarters, 0),
        counts(96, &[(39, 1.0), (40, 1.0), (42, 1.0)])
    );
    assert_eq!(
        instants(&quarters[42], zone),
        (at("2026-11-10T04:45:00Z"), at("2026-11-10T05:00:00Z"))
    );
}

async fn the_buckets_of_a_day_add_up_to_its_scorecard(backend: Backend) {
    let app = calls_in_the_repeated_hour(backend).await;
    let kpis = ["contacts_handled", "aht", "csat"];

    let buckets = agent_trend(&app, &kpis, day("2026-10-25"), pb::TrendGranularity::Hour).await;
    let scorecard = agent_scorecard(&app, "ana", day("2026-10-25")).await;

    // 4 contacts; handle time 200 + 800 + 400 + 600 = 2,000 s over 4
    // contacts; CSAT 1 satisfied of 1: the same from the day's rollups as
    // from the hours' raw rows. (A count's denominator is 1 per bucket.)
    let sum = |n: usize, part: fn(&pb::KpiResult) -> f64| -> f64 {
        buckets.iter().map(|bucket| part(&bucket.values[n])).sum()
    };
    assert_eq!(sum(0, |r| r.numerator), 4.0);
    assert_eq!(kpi(&scorecard, "contacts_handled").numerator, 4.0);
    for (n, kpi_id) in [(1, "aht"), (2, "csat")] {
        let whole_day = kpi(&scorecard, kpi_id);
        assert_eq!(
            (sum(n, |r| r.numerator), sum(n, |r| r.denominator)),
            (whole_day.numerator, whole_day.denominator),
            "{kpi_id}"
        );
    }
    assert_eq!(kpi(&scorecard, "aht").numerator, 2_000.0);
}
