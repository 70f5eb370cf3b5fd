//! Which records count where: periods in the reporting time zone, late
//! surveys, corrections and voids, small samples, pooled teams.

use kpi_service::grpc::pb;
use pb::{
    KpiStatus::{Breached, InsufficientData, Met},
    SurveyKind::Csat,
};

use crate::{
    helpers::{at, spawn_app, spawn_app_with, Backend},
    kpi_fixtures::*,
    on_both_backends,
};

on_both_backends!(
    calendar_periods_follow_the_reporting_time_zone,
    a_late_survey_counts_in_the_interactions_period,
    a_correction_and_a_void_change_the_scorecard,
    a_small_sample_is_insufficient_data_not_a_breach,
    a_team_scorecard_pools_numerators_not_averages,
);

async fn calendar_periods_follow_the_reporting_time_zone(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.reporting.time_zone = "Europe/Berlin".into();
    })
    .await;
    ingest_interactions(
        &app,
        vec![
            // 00:30 CET on Sunday 1 November in Berlin (still October in UTC).
            call("n-1", "ana", "2026-10-31T23:30:00Z"),
            // 23:30 CET on 1 November in Berlin: the same local day as n-1.
            call("n-2", "ana", "2026-11-01T22:30:00Z"),
            // 00:30 CEST on 25 October in Berlin (24 October in UTC).
            call("d-1", "ana", "2026-10-24T22:30:00Z"),
        ],
    )
    .await;
    let contacts =
        |scorecard: &pb::Scorecard| kpi(scorecard, "contacts_handled").value.unwrap_or(-1.0);
    let bounds = |scorecard: &pb::Scorecard| {
        let period = scorecard.period.clone().unwrap();
        assert_eq!(period.time_zone, "Europe/Berlin");
        (period.start_time.unwrap(), period.end_time.unwrap())
    };

    let november = agent_scorecard(&app, "ana", month("2026-11")).await;
    assert_eq!(contacts(&november), 2.0, "n-1 and n-2 are November's");
    assert_eq!(
        bounds(&november),
        (at("2026-10-31T23:00:00Z"), at("2026-11-30T23:00:00Z"))
    );
    // Both calls fall on the local day 1 November: 2 contacts / 1 day.
    let per_day = kpi(&november, "contacts_per_day");
    assert_eq!((per_day.numerator, per_day.denominator), (2.0, 1.0));
    assert_close_option(per_day.value, Some(2.0), "contacts_per_day");

    let october = agent_scorecard(&app, "ana", month("2026-10")).await;
    assert_eq!(contacts(&october), 1.0, "only d-1 is October's");
    assert_eq!(
        bounds(&october),
        (at("2026-09-30T22:00:00Z"), at("2026-10-31T23:00:00Z"))
    );

    // DST ends on 25 October: that local day lasts 25 hours.
    let dst_day = agent_scorecard(&app, "ana", day("2026-10-25")).await;
    assert_eq!(contacts(&dst_day), 1.0);
    assert_eq!(
        bounds(&dst_day),
        (at("2026-10-24T22:00:00Z"), at("2026-10-25T23:00:00Z"))
    );
    let day_before = agent_scorecard(&app, "ana", day("2026-10-24")).await;
    assert_eq!(contacts(&day_before), 0.0, "a count of 0 is a real value");
    let first_of_november = agent_scorecard(&app, "ana", day("2026-11-01")).await;
    assert_eq!(contacts(&first_of_november), 2.0);

    // The ISO week of Sunday 25 October: Monday 19 (CEST) to Monday 26 (CET).
    let week = agent_scorecard(&app, "ana", iso_week("2026-10-25")).await;
    assert_eq!(contacts(&week), 1.0);
    assert_eq!(
        bounds(&week),
        (at("2026-10-18T22:00:00Z"), at("2026-10-25T23:00:00Z"))
    );
}

async fn a_late_survey_counts_in_the_interactions_period(backend: Backend) {
    let app = spawn_app(backend).await;
    ingest_interactions(&app, vec![call("oct-call", "ana", "2026-10-31T15:00:00Z")]).await;
    ingest_interactions(&app, vec![call("nov-call", "ana", "2026-11-02T15:00:00Z")]).await;
    // Answered in November, delivered last, about an October call.
    ingest_surveys(
        &app,
        vec![survey_about(
            "late",
            "oct-call",
            Csat,
            5,
            "2026-11-03T10:00:00Z",
        )],
    )
    .await;

    let october = agent_scorecard(&app, "ana", month("2026-10")).await;
    let csat = kpi(&october, "csat");
    assert_eq!(
        (csat.numerator, csat.denominator, csat.sample_size),
        (1.0, 1.0, 1)
    );
    assert_judged(&october, "csat", Some(100.0), Met, Some(15.0));

    let november = agent_scorecard(&app, "ana", month("2026-11")).await;
    assert_eq!(kpi(&november, "csat").sample_size, 0);
    assert_judged(&november, "csat", None, InsufficientData, None);
}

async fn a_correction_and_a_void_change_the_scorecard(backend: Backend) {
    let app = spawn_app(backend).await;
    ingest_interactions(
        &app,
        vec![
            call("call-1", "ana", "2026-11-02T09:05:00Z"),
            call("call-2", "ana", "2026-11-02T10:05:00Z"),
        ],
    )
    .await;
    let first = survey_about("s-1", "call-1", Csat, 5, "2026-11-02T12:00:00Z");
    let second = survey_about("s-2", "call-2", Csat, 2, "2026-11-02T12:00:00Z");
    ingest_surveys(&app, vec![first.clone(), second.clone()]).await;
    let app = &app;
    let csat_now = || async move {
        let scorecard = agent_scorecard(app, "ana", month("2026-11")).await;
        let csat = kpi(&scorecard, "csat").clone();
        (
            csat.value,
            csat.numerator,
            csat.denominator,
            csat.sample_size,
        )
    };

    // 5 satisfied, 2 not: 1/2.
    assert_eq!(csat_now().await, (Some(50.0), 1.0, 2.0, 2));

    // The second is corrected to 4: 2/2.
    ingest_surveys(app, vec![pb::SurveyResponse { score: 4, ..second }]).await;
    assert_eq!(csat_now().await, (Some(100.0), 2.0, 2.0, 2));

    // The first is voided: only the corrected second remains, 1/1.
    ingest_surveys(
        app,
        vec![pb::SurveyResponse {
            voided: true,
            ..first
        }],
    )
    .await;
    assert_eq!(csat_now().await, (Some(100.0), 1.0, 1.0, 1));
}

async fn a_small_sample_is_insufficient_data_not_a_breach(backend: Backend) {
    let app = spawn_app(backend).await;
    create_policy(
        &app,
        "",
        "2026-01-01",
        80.0,
        vec![pb::KpiRule {
            min_sample_size: 5,
            ..at_least("csat", 85.0)
        }],
    )
    .await;
    // 1 satisfied of 3: 33.33 %, but 3 < 5 responses.
    ingest_surveys(
        &app,
        csat_scores("small", "ana", &[5, 2, 1], "2026-11-05T10:00:00Z"),
    )
    .await;

    let scorecard = agent_scorecard(&app, "ana", month("2026-11")).await;
    let csat = kpi(&scorecard, "csat");
    assert_eq!(
        (csat.numerator, csat.denominator, csat.sample_size),
        (1.0, 3.0, 3)
    );
    assert_judged(
        &scorecard,
        "csat",
        Some(100.0 / 3.0),
        InsufficientData,
        None,
    );
    assert_eq!(
        scorecard.composite_score, None,
        "nothing judged: no composite"
    );

    // Two more satisfied responses reach the minimum: 3/5 = 60 % is judged.
    ingest_surveys(
        &app,
        csat_scores("more", "ana", &[4, 5], "2026-11-06T10:00:00Z"),
    )
    .await;
    let scorecard = agent_scorecard(&app, "ana", month("2026-11")).await;
    assert_judged(&scorecard, "csat", Some(60.0), Breached, Some(-25.0));
    assert_close_option(scorecard.composite_score, Some(0.0), "composite_score");
}

async fn a_team_scorecard_pools_numerators_not_averages(backend: Backend) {
    let app = spawn_app(backend).await;
    add_team(&app, "red").await;
    add_team(&app, "blue").await;
    put_agent(&app, "amy", "red").await;
    put_agent(&app, "ben", "red").await;
    ingest_interactions(
        &app,
        vec![
            call("a-1", "amy", "2026-11-02T09:05:00Z"),
            call("b-1", "ben", "2026-11-02T09:05:00Z"),
            call("b-2", "ben", "2026-11-02T11:05:00Z"),
            call("b-3", "ben", "2026-11-03T09:05:00Z"),
        ],
    )
    .await;
    ingest_surveys(
        &app,
        vec![
            survey_about("sa-1", "a-1", Csat, 5, "2026-11-02T12:00:00Z"),
            survey_about("sb-1", "b-1", Csat, 5, "2026-11-02T12:00:00Z"),
            survey_about("sb-2", "b-2", Csat, 2, "2026-11-02T12:00:00Z"),
            survey_about("sb-3", "b-3", Csat, 1, "2026-11-03T12:00:00Z"),
        ],
    )
    .await;
    // Ben moves to blue from Nov 4: his red interactions (and their surveys)
    // stay red's, but his QA of Nov 5 goes to blue. The move is dated (it was
    // "today" when the team was taken at ingest): the catalogue (Conventions,
    // Team) counts "other records for the team the agent belonged to at the
    // record's own timestamp", so a move dated today would leave the Nov 5
    // evaluation with red.
    move_agent(&app, "ben", "blue", "2026-11-04").await;
    let evaluation = |id: &str, agent: &str, score: f64| pb::QaEvaluation {
        source: "qa-tool".into(),
        external_id: id.into(),
        agent_id: agent.into(),
        evaluated_at: Some(at("2026-11-05T12:00:00Z")),
        score,
        max_score: 50.0,
        ..Default::default()
    };
    ingest_qa(
        &app,
        vec![
            evaluation("qa-a", "amy", 50.0),
            evaluation("qa-b", "ben", 40.0),
        ],
    )
    .await;
    let team = |team_id| team_scorecard(&app, team_id, month("2026-11"));

    // Amy 1/1, Ben 1/3: the team is 2/4 = 50 %, not (100 + 33.3) / 2.
    let red = team("red").await;
    assert_eq!(red.team_id, "red");
    assert_eq!(red.member_agent_ids, vec!["amy", "ben"]);
    let red_card = red.scorecard.unwrap();
    let csat = kpi(&red_card, "csat");
    assert_eq!(
        (csat.numerator, csat.denominator, csat.sample_size),
        (2.0, 4.0, 4)
    );
    assert_judged(&red_card, "csat", Some(50.0), Breached, Some(-35.0));
    assert_eq!(kpi(&red_card, "contacts_handled").value, Some(4.0));
    // Agent-days pooled: amy on Nov 2, ben on Nov 2 and Nov 3 = 3; 4/3.
    let per_day = kpi(&red_card, "contacts_per_day");
    assert_eq!((per_day.numerator, per_day.denominator), (4.0, 3.0));
    assert_close_option(per_day.value, Some(4.0 / 3.0), "contacts_per_day");
    // QA by current members: only amy's 50/50.
    let qa = kpi(&red_card, "qa_score");
    assert_eq!(
        (qa.numerator, qa.denominator, qa.sample_size),
        (50.0, 50.0, 1)
    );

    let blue = team("blue").await;
    assert_eq!(blue.member_agent_ids, vec!["ben"]);
    let blue_card = blue.scorecard.unwrap();
    assert_eq!(kpi(&blue_card, "contacts_handled").value, Some(0.0));
    assert_judged(&blue_card, "csat", None, InsufficientData, None);
    assert_judged(&blue_card, "qa_score", Some(80.0), Breached, Some(-10.0));

    let ben = agent_scorecard(&app, "ben", month("2026-11")).await;
    assert_close_option(kpi(&ben, "csat").value, Some(100.0 / 3.0), "ben's csat");
}
