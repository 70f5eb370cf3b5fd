//! Trends: a KPI's values bucketed by week or month, clipped to the
//! period asked for; a team's trend counts the team recorded on each
//! interaction.

use kpi_service::grpc::pb;

use crate::{
    on_both_backends,
    support::{
        app::{at, spawn_app, Backend, TestApp},
        directory::{add_team, move_agent, put_agent},
        ingest::ingest_interactions,
        periods::{custom, month},
        records::call,
        scorecards::assert_close_option,
    },
};

on_both_backends!(
    a_weekly_trend_of_a_month_clips_its_first_and_last_weeks,
    a_trend_bucket_carries_its_numerator_and_denominator_and_no_target,
    a_weekly_trend_of_a_custom_range_starts_and_ends_with_it,
    a_monthly_trend_splits_a_range_at_the_month,
    a_team_trend_counts_the_team_recorded_on_each_interaction,
    a_trend_of_an_unknown_team_is_not_found,
);

/// A call of ana's with the given handle time (talk = handle - 60).
fn handled(external_id: &str, ended_at: &str, handle_seconds: i64) -> pb::Interaction {
    pb::Interaction {
        talk_seconds: handle_seconds - 60,
        ..call(external_id, "ana", ended_at)
    }
}

async fn trend(
    app: &TestApp,
    kpi_ids: &[&str],
    period: pb::PeriodSelector,
    granularity: pb::TrendGranularity,
) -> Vec<pb::TrendBucket> {
    app.scorecards()
        .get_kpi_trend(pb::GetKpiTrendRequest {
            consistency_token: String::new(),
            subject: Some(pb::get_kpi_trend_request::Subject::AgentId("ana".into())),
            kpi_ids: kpi_ids.iter().map(|id| id.to_string()).collect(),
            period: Some(period),
            granularity: granularity as i32,
        })
        .await
        .unwrap_or_else(|status| panic!("GetKpiTrend failed: {status:?}"))
        .into_inner()
        .buckets
}

/// Each bucket as (start, end, aht value, contacts_handled value), for a
/// trend of ["aht", "contacts_handled"].
type Bucket = (
    prost_types::Timestamp,
    prost_types::Timestamp,
    Option<f64>,
    Option<f64>,
);

fn summarise(buckets: &[pb::TrendBucket]) -> Vec<Bucket> {
    buckets
        .iter()
        .map(|bucket| {
            let period = bucket.period.clone().expect("a bucket has a period");
            assert_eq!(period.time_zone, "UTC");
            let ids: Vec<&str> = bucket.values.iter().map(|v| v.kpi_id.as_str()).collect();
            assert_eq!(ids, vec!["aht", "contacts_handled"], "request order");
            (
                period.start_time.unwrap(),
                period.end_time.unwrap(),
                bucket.values[0].value,
                bucket.values[1].value,
            )
        })
        .collect()
}

/// Ana's calls by handle time: Oct 30 (900 s); Sunday Nov 1 (600 s), the
/// tail of ISO week 44; Nov 5 and 6 (300, 500 s) in week 45; Nov 16, 17
/// and 20 (200, 250, 300 s) in week 47.
async fn anas_calls_across_weeks(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    ingest_interactions(
        &app,
        vec![
            handled("t-oct", "2026-10-30T10:05:00Z", 900),
            // Sunday 1 November: the tail of ISO week 44.
            handled("t-0", "2026-11-01T10:05:00Z", 600),
            // ISO week 45 (Nov 2-8).
            handled("t-1", "2026-11-05T10:05:00Z", 300),
            handled("t-2", "2026-11-06T10:05:00Z", 500),
            // ISO week 47 (Nov 16-22).
            handled("t-3", "2026-11-16T10:05:00Z", 200),
            handled("t-4", "2026-11-17T10:05:00Z", 250),
            handled("t-5", "2026-11-20T10:05:00Z", 300),
        ],
    )
    .await;
    app
}

const KPIS: [&str; 2] = ["aht", "contacts_handled"];

async fn a_weekly_trend_of_a_month_clips_its_first_and_last_weeks(backend: Backend) {
    let app = anas_calls_across_weeks(backend).await;
    let kpis = KPIS;

    // November by ISO week, the first and last weeks clipped to the month:
    //   Nov 1        t-0            aht 600/1 = 600,      1 contact
    //   Nov 2-8      t-1, t-2       aht 800/2 = 400,      2
    //   Nov 9-15     -              aht none,             0
    //   Nov 16-22    t-3, t-4, t-5  aht 750/3 = 250,      3
    //   Nov 23-29    -              aht none,             0
    //   Nov 30       -              aht none,             0
    let weeks = trend(&app, &kpis, month("2026-11"), pb::TrendGranularity::Week).await;
    assert_eq!(
        summarise(&weeks),
        vec![
            (
                at("2026-11-01T00:00:00Z"),
                at("2026-11-02T00:00:00Z"),
                Some(600.0),
                Some(1.0)
            ),
            (
                at("2026-11-02T00:00:00Z"),
                at("2026-11-09T00:00:00Z"),
                Some(400.0),
                Some(2.0)
            ),
            (
                at("2026-11-09T00:00:00Z"),
                at("2026-11-16T00:00:00Z"),
                None,
                Some(0.0)
            ),
            (
                at("2026-11-16T00:00:00Z"),
                at("2026-11-23T00:00:00Z"),
                Some(250.0),
                Some(3.0)
            ),
            (
                at("2026-11-23T00:00:00Z"),
                at("2026-11-30T00:00:00Z"),
                None,
                Some(0.0)
            ),
            (
                at("2026-11-30T00:00:00Z"),
                at("2026-12-01T00:00:00Z"),
                None,
                Some(0.0)
            ),
        ]
    );
}

async fn a_trend_bucket_carries_its_numerator_and_denominator_and_no_target(backend: Backend) {
    let app = anas_calls_across_weeks(backend).await;

    let weeks = trend(&app, &KPIS, month("2026-11"), pb::TrendGranularity::Week).await;

    let busiest = &weeks[3].values[0];
    assert_eq!(
        (busiest.numerator, busiest.denominator, busiest.sample_size),
        (750.0, 3.0, 3)
    );
    assert!(
        busiest.rule.is_none() || busiest.rule.as_ref().unwrap().target.is_none(),
        "trends show values only"
    );
}

async fn a_weekly_trend_of_a_custom_range_starts_and_ends_with_it(backend: Backend) {
    let app = anas_calls_across_weeks(backend).await;
    let kpis = KPIS;

    // A custom range from Wednesday 4 to Wednesday 18 November:
    //   Nov 4-8      t-1, t-2    aht 400, 2
    //   Nov 9-15     -           none,    0
    //   Nov 16-17    t-3, t-4    aht 450/2 = 225, 2 (t-5 is outside)
    let clipped = trend(
        &app,
        &kpis,
        custom("2026-11-04T00:00:00Z", "2026-11-18T00:00:00Z"),
        pb::TrendGranularity::Week,
    )
    .await;
    assert_eq!(
        summarise(&clipped),
        vec![
            (
                at("2026-11-04T00:00:00Z"),
                at("2026-11-09T00:00:00Z"),
                Some(400.0),
                Some(2.0)
            ),
            (
                at("2026-11-09T00:00:00Z"),
                at("2026-11-16T00:00:00Z"),
                None,
                Some(0.0)
            ),
            (
                at("2026-11-16T00:00:00Z"),
                at("2026-11-18T00:00:00Z"),
                Some(225.0),
                Some(2.0)
            ),
        ]
    );
}

async fn a_monthly_trend_splits_a_range_at_the_month(backend: Backend) {
    let app = anas_calls_across_weeks(backend).await;
    let kpis = KPIS;

    // By month from 20 October to 10 November: t-oct, then t-0, t-1, t-2.
    let months = trend(
        &app,
        &kpis,
        custom("2026-10-20T00:00:00Z", "2026-11-10T00:00:00Z"),
        pb::TrendGranularity::Month,
    )
    .await;
    let months = summarise(&months);
    assert_eq!(months.len(), 2);
    assert_eq!(
        months[0],
        (
            at("2026-10-20T00:00:00Z"),
            at("2026-11-01T00:00:00Z"),
            Some(900.0),
            Some(1.0)
        )
    );
    let (start, end, aht, contacts) = months[1];
    assert_eq!(
        (start, end, contacts),
        (
            at("2026-11-01T00:00:00Z"),
            at("2026-11-10T00:00:00Z"),
            Some(3.0)
        )
    );
    // (600 + 300 + 500) / 3.
    assert_close_option(aht, Some(1400.0 / 3.0), "aht from Nov 1 to Nov 10");
}

async fn team_trend(app: &TestApp, team_id: &str) -> Result<Vec<pb::TrendBucket>, tonic::Status> {
    app.scorecards()
        .get_kpi_trend(pb::GetKpiTrendRequest {
            consistency_token: String::new(),
            subject: Some(pb::get_kpi_trend_request::Subject::TeamId(team_id.into())),
            kpi_ids: vec!["contacts_handled".into()],
            period: Some(month("2026-11")),
            granularity: pb::TrendGranularity::Week as i32,
        })
        .await
        .map(|response| response.into_inner().buckets)
}

async fn a_team_trend_counts_the_team_recorded_on_each_interaction(backend: Backend) {
    let app = spawn_app(backend).await;
    add_team(&app, "red").await;
    add_team(&app, "blue").await;
    put_agent(&app, "amy", "red").await;
    put_agent(&app, "bob", "red").await;
    // Week of Mon 2 Nov: amy 2 calls; week of Mon 9 Nov: bob 1 call, then
    // bob moves to blue and his next call (16 Nov) counts for blue.
    ingest_interactions(
        &app,
        vec![
            call("t-1", "amy", "2026-11-03T10:00:00Z"),
            call("t-2", "amy", "2026-11-05T10:00:00Z"),
            call("t-3", "bob", "2026-11-10T10:00:00Z"),
        ],
    )
    .await;
    // The move is dated: the catalogue (Conventions, Team) counts an
    // interaction "for the team the agent belonged to when the interaction
    // ended", so a move dated today would leave the Nov 16 call with red.
    move_agent(&app, "bob", "blue", "2026-11-16").await;
    ingest_interactions(&app, vec![call("t-4", "bob", "2026-11-16T10:00:00Z")]).await;

    let buckets = team_trend(&app, "red").await.unwrap();

    // November 2026 in ISO weeks: Sun 1 (partial), 2-8, 9-15, 16-22, 23-29, Mon 30 (partial).
    let contacts: Vec<Option<f64>> = buckets
        .iter()
        .map(|bucket| bucket.values[0].value)
        .collect();
    assert_eq!(
        contacts,
        vec![
            Some(0.0),
            Some(2.0),
            Some(1.0),
            Some(0.0),
            Some(0.0),
            Some(0.0)
        ]
    );
}

async fn a_trend_of_an_unknown_team_is_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    add_team(&app, "red").await;

    let status = team_trend(&app, "green").await.unwrap_err();

    assert_eq!(status.code(), tonic::Code::NotFound);
}
