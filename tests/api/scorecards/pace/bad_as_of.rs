//! An `as_of` outside the period, in the future, malformed, or on a period
//! that has ended: INVALID_ARGUMENT on field `as_of`, on every read that
//! takes one.

use chrono::{Duration, Utc};
use kpi_service::grpc::pb;
use tonic::Code;

use super::{timestamp, InProgress};
use crate::{
    on_both_backends,
    support::{
        app::{at, field_violations, spawn_app, Backend, TestApp},
        directory::{add_team, put_agent},
        periods::month,
    },
};

on_both_backends!(
    an_as_of_outside_a_period_in_progress_is_refused,
    every_read_that_takes_as_of_checks_it,
);

fn assert_as_of_refused(result: Result<(), tonic::Status>, case: &str) {
    let status = result.expect_err(case);
    assert_eq!(status.code(), Code::InvalidArgument, "{case}: {status:?}");
    let fields: Vec<String> = field_violations(&status)
        .into_iter()
        .map(|(field, _)| field)
        .collect();
    assert_eq!(fields, vec!["as_of".to_owned()], "{case}: {status:?}");
}

async fn app_with_ana(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    add_team(&app, "north").await;
    put_agent(&app, "ana", "north").await;
    app
}

async fn an_as_of_outside_a_period_in_progress_is_refused(backend: Backend) {
    let app = app_with_ana(backend).await;
    let period = InProgress::day_ten();
    let in_progress = Some(period.selector());
    let cases = [
        (
            "before the start",
            in_progress.clone(),
            timestamp(period.start - Duration::hours(1)),
        ),
        ("at the start", in_progress.clone(), timestamp(period.start)),
        (
            "in the future",
            in_progress.clone(),
            timestamp(Utc::now() + Duration::days(1)),
        ),
        (
            "malformed",
            in_progress.clone(),
            prost_types::Timestamp {
                seconds: period.as_of.timestamp(),
                nanos: -1,
            },
        ),
        (
            "a period that has ended",
            Some(month("2026-10")),
            at("2026-10-15T00:00:00Z"),
        ),
    ];
    for (case, period, as_of) in cases {
        let result = app
            .scorecards()
            .get_agent_scorecard(pb::GetAgentScorecardRequest {
                agent_id: "ana".into(),
                period,
                as_of: Some(as_of),
                ..Default::default()
            })
            .await
            .map(|_| ());
        assert_as_of_refused(result, case);
    }
}

async fn every_read_that_takes_as_of_checks_it(backend: Backend) {
    let app = app_with_ana(backend).await;
    let period = InProgress::day_ten();
    let early = Some(timestamp(period.start - Duration::minutes(1)));
    let mut client = app.scorecards();
    let team = client
        .get_team_scorecard(pb::GetTeamScorecardRequest {
            team_id: "north".into(),
            period: Some(period.selector()),
            as_of: early,
            ..Default::default()
        })
        .await
        .map(|_| ());
    assert_as_of_refused(team, "GetTeamScorecard");
    let listing = client
        .list_agent_scorecards(pb::ListAgentScorecardsRequest {
            period: Some(period.selector()),
            as_of: early,
            ..Default::default()
        })
        .await
        .map(|_| ());
    assert_as_of_refused(listing, "ListAgentScorecards");
    let breaches = client
        .list_threshold_breaches(pb::ListThresholdBreachesRequest {
            period: Some(period.selector()),
            as_of: early,
            include_forecast_misses: true,
            ..Default::default()
        })
        .await
        .map(|_| ());
    assert_as_of_refused(breaches, "ListThresholdBreaches");
}
