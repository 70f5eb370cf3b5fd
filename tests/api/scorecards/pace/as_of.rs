//! Reads as of an instant: only records placed before it count, the same
//! request gives the same numbers later, and every read of a period in
//! progress (agent, team, listing) takes it.

use chrono::{DateTime, Duration, Utc};
use kpi_service::grpc::pb;
use pb::{ForecastStatus, SurveyKind::Csat};

use super::{
    forecast_of, forecast_status,
    forecasts::{ana_on_day_ten, forecast_card},
};
use crate::{
    on_both_backends,
    support::{
        app::Backend,
        ingest::{ingest_interactions, ingest_surveys},
        periods::month,
        records::{call, survey_for_agent},
        scorecards::{agent_scorecard, kpi},
    },
};

on_both_backends!(
    only_records_placed_before_as_of_count_and_the_answer_is_reproducible,
    team_scorecards_and_listings_read_as_of_the_same_instant,
    a_forecast_without_as_of_reads_as_of_now,
    a_past_period_has_no_forecast_and_reports_no_as_of,
);

async fn only_records_placed_before_as_of_count_and_the_answer_is_reproducible(backend: Backend) {
    let (app, period) = ana_on_day_ten(backend).await;
    // Without as_of every stored record counts: 32 + 10 satisfied of
    // 40 + 1 + 10 responses.
    let everything = agent_scorecard(&app, "ana", period.selector()).await;
    let csat = kpi(&everything, "csat");
    assert_eq!((csat.numerator, csat.denominator), (42.0, 51.0));
    assert_eq!(everything.as_of_time, None);
    assert_eq!(csat.forecast, None, "no forecast unless asked for");

    let first = forecast_card(&app, &period).await;
    let csat = kpi(&first, "csat");
    assert_eq!((csat.numerator, csat.denominator), (32.0, 40.0));
    assert_eq!(kpi(&first, "contacts_handled").value, Some(40.0));

    // Records placed after as_of arrive: the same request answers the same.
    ingest_surveys(
        &app,
        vec![survey_for_agent(
            "later",
            "ana",
            Csat,
            1,
            &period.after_as_of(Duration::minutes(20)),
        )],
    )
    .await;
    ingest_interactions(
        &app,
        vec![call(
            "later-call",
            "ana",
            &period.after_as_of(Duration::seconds(1)),
        )],
    )
    .await;
    let again = forecast_card(&app, &period).await;
    assert_eq!(again.kpis, first.kpis);
    assert_eq!(again.as_of_time, first.as_of_time);
}

async fn team_scorecards_and_listings_read_as_of_the_same_instant(backend: Backend) {
    let (app, period) = ana_on_day_ten(backend).await;
    let team = app
        .scorecards()
        .get_team_scorecard(pb::GetTeamScorecardRequest {
            team_id: "north".into(),
            period: Some(period.selector()),
            as_of: Some(period.as_of_pb()),
            include_forecast: true,
            ..Default::default()
        })
        .await
        .expect("GetTeamScorecard failed")
        .into_inner()
        .scorecard
        .unwrap();
    assert_eq!(team.as_of_time, Some(period.as_of_pb()));
    let csat = kpi(&team, "csat");
    assert_eq!((csat.numerator, csat.denominator), (32.0, 40.0));
    // Ana is north's only agent: the team's forecast is hers.
    assert_eq!(
        forecast_status(forecast_of(&team, "csat")),
        ForecastStatus::WillMiss
    );

    let listed = app
        .scorecards()
        .list_agent_scorecards(pb::ListAgentScorecardsRequest {
            team_id: "north".into(),
            period: Some(period.selector()),
            as_of: Some(period.as_of_pb()),
            include_forecast: true,
            ..Default::default()
        })
        .await
        .expect("ListAgentScorecards failed")
        .into_inner();
    let card = listed.scorecards[0].scorecard.as_ref().unwrap();
    assert_eq!(card.kpis, forecast_card(&app, &period).await.kpis);
}

async fn a_forecast_without_as_of_reads_as_of_now(backend: Backend) {
    let (app, period) = ana_on_day_ten(backend).await;
    let before = Utc::now();
    let card = app
        .scorecards()
        .get_agent_scorecard(pb::GetAgentScorecardRequest {
            agent_id: "ana".into(),
            period: Some(period.selector()),
            include_forecast: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .scorecard
        .unwrap();
    let after = Utc::now();
    let as_of = card.as_of_time.expect("a forecast reports its as_of");
    let as_of = DateTime::from_timestamp(as_of.seconds, as_of.nanos as u32).unwrap();
    assert!(before <= as_of && as_of <= after, "{as_of}");
    // Every record so far was placed before now.
    let csat = kpi(&card, "csat");
    assert_eq!((csat.numerator, csat.denominator), (42.0, 51.0));
    assert!(csat.forecast.is_some());
}

async fn a_past_period_has_no_forecast_and_reports_no_as_of(backend: Backend) {
    let (app, _) = ana_on_day_ten(backend).await;
    let card = app
        .scorecards()
        .get_agent_scorecard(pb::GetAgentScorecardRequest {
            agent_id: "ana".into(),
            period: Some(month("2026-10")),
            include_forecast: true,
            ..Default::default()
        })
        .await
        .expect("a forecast of a past period is no error")
        .into_inner()
        .scorecard
        .unwrap();
    assert_eq!(card.as_of_time, None);
    assert!(card.kpis.iter().all(|result| result.forecast.is_none()));
}
