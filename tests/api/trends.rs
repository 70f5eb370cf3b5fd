//! Trends bucketed by week and month, and the drill-down to the
//! interactions behind a score.

use kpi_service::grpc::pb;

use crate::{
    helpers::{at, spawn_app, Backend, TestApp},
    kpi_fixtures::*,
    on_both_backends,
};

on_both_backends!(
    a_trend_buckets_values_by_week,
    a_team_trend_counts_the_team_recorded_on_each_interaction,
    drill_down_pages_through_the_interactions_behind_a_score,
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

async fn a_trend_buckets_values_by_week(backend: Backend) {
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
    let kpis = ["aht", "contacts_handled"];

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
    let busiest = &weeks[3].values[0];
    assert_eq!(
        (busiest.numerator, busiest.denominator, busiest.sample_size),
        (750.0, 3.0, 3)
    );
    assert!(
        busiest.rule.is_none() || busiest.rule.as_ref().unwrap().target.is_none(),
        "trends show values only"
    );

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

async fn drill_down_pages_through_the_interactions_behind_a_score(backend: Backend) {
    let app = spawn_app(backend).await;
    ingest_interactions(
        &app,
        vec![
            call("i-1", "ana", "2026-11-03T10:00:00Z"),
            call("i-2", "ana", "2026-11-02T09:00:00Z"),
            call("i-3", "ana", "2026-11-04T09:00:00Z"),
            call("i-4", "ana", "2026-10-20T09:00:00Z"),
            call("i-5", "ana", "2026-11-10T09:00:00Z"),
            call("other", "bob", "2026-11-05T09:00:00Z"),
        ],
    )
    .await;
    // i-3 is voided; i-5 corrected.
    ingest_interactions(
        &app,
        vec![
            pb::Interaction {
                voided: true,
                ..call("i-3", "ana", "2026-11-04T09:00:00Z")
            },
            pb::Interaction {
                talk_seconds: 500,
                ..call("i-5", "ana", "2026-11-10T09:00:00Z")
            },
        ],
    )
    .await;
    let page = |page_size: i32, page_token: String| {
        let mut client = app.scorecards();
        async move {
            client
                .list_agent_interactions(pb::ListAgentInteractionsRequest {
                    agent_id: "ana".into(),
                    period: Some(month("2026-11")),
                    page_size,
                    page_token,
                })
                .await
                .unwrap()
                .into_inner()
        }
    };
    let ids = |reply: &pb::ListAgentInteractionsResponse| -> Vec<String> {
        reply
            .interactions
            .iter()
            .map(|stored| stored.interaction.as_ref().unwrap().external_id.clone())
            .collect()
    };

    // November, by ended_at: i-2 (Nov 2), i-1 (Nov 3), i-5 (Nov 10);
    // not i-3 (void), i-4 (October) or bob's.
    let first = page(2, String::new()).await;
    assert_eq!(ids(&first), vec!["i-2", "i-1"]);
    assert!(!first.next_page_token.is_empty());
    let second = page(2, first.next_page_token.clone()).await;
    assert_eq!(ids(&second), vec!["i-5"]);
    assert!(second.next_page_token.is_empty());
    let corrected = &second.interactions[0];
    assert_eq!(corrected.interaction.as_ref().unwrap().talk_seconds, 500);
    assert_eq!(
        corrected.interaction.as_ref().unwrap().ended_at,
        Some(at("2026-11-10T09:00:00Z"))
    );
    assert_eq!(corrected.recorded_team_id, "");

    let whole = page(0, String::new()).await;
    assert_eq!(ids(&whole), vec!["i-2", "i-1", "i-5"]);
    assert!(whole.next_page_token.is_empty());

    // The scorecard counts the same three.
    let scorecard = agent_scorecard(&app, "ana", month("2026-11")).await;
    assert_eq!(kpi(&scorecard, "contacts_handled").value, Some(3.0));
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

    let buckets = app
        .scorecards()
        .get_kpi_trend(pb::GetKpiTrendRequest {
            subject: Some(pb::get_kpi_trend_request::Subject::TeamId("red".into())),
            kpi_ids: vec!["contacts_handled".into()],
            period: Some(month("2026-11")),
            granularity: pb::TrendGranularity::Week as i32,
        })
        .await
        .unwrap()
        .into_inner()
        .buckets;
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

    let status = app
        .scorecards()
        .get_kpi_trend(pb::GetKpiTrendRequest {
            subject: Some(pb::get_kpi_trend_request::Subject::TeamId("green".into())),
            kpi_ids: vec!["contacts_handled".into()],
            period: Some(month("2026-11")),
            granularity: pb::TrendGranularity::Week as i32,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
}
