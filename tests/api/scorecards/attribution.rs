//! Which records count where: a late survey follows its interaction's
//! period, corrections and voids change the scorecard, and a small sample
//! is insufficient data rather than a breach.

use kpi_service::grpc::pb;
use pb::{
    KpiStatus::{Breached, InsufficientData, Met},
    SurveyKind::Csat,
};

use crate::{
    on_both_backends,
    support::{
        app::{spawn_app, Backend, TestApp},
        ingest::{ingest_interactions, ingest_surveys},
        periods::month,
        policies::{at_least, create_policy},
        records::{call, csat_scores, survey_about},
        scorecards::{agent_scorecard, assert_close_option, assert_judged, kpi},
    },
};

on_both_backends!(
    a_late_survey_counts_in_the_period_of_its_interaction,
    a_late_survey_does_not_count_in_the_month_it_arrived,
    a_corrected_survey_changes_the_scorecard,
    a_voided_survey_leaves_the_scorecard,
    a_small_sample_is_insufficient_data_not_a_breach,
    reaching_the_minimum_sample_judges_the_kpi,
);

/// Calls of ana's on Oct 31 and Nov 2, then a CSAT of 5 about the October
/// call, answered on Nov 3 and delivered last.
async fn a_november_answer_about_an_october_call(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    ingest_interactions(&app, vec![call("oct-call", "ana", "2026-10-31T15:00:00Z")]).await;
    ingest_interactions(&app, vec![call("nov-call", "ana", "2026-11-02T15:00:00Z")]).await;
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
    app
}

async fn a_late_survey_counts_in_the_period_of_its_interaction(backend: Backend) {
    let app = a_november_answer_about_an_october_call(backend).await;

    let october = agent_scorecard(&app, "ana", month("2026-10")).await;

    let csat = kpi(&october, "csat");
    assert_eq!(
        (csat.numerator, csat.denominator, csat.sample_size),
        (1.0, 1.0, 1)
    );
    // 100 against the default >= 85.
    assert_judged(&october, "csat", Some(100.0), Met, Some(15.0));
}

async fn a_late_survey_does_not_count_in_the_month_it_arrived(backend: Backend) {
    let app = a_november_answer_about_an_october_call(backend).await;

    let november = agent_scorecard(&app, "ana", month("2026-11")).await;

    assert_eq!(kpi(&november, "csat").sample_size, 0);
    assert_judged(&november, "csat", None, InsufficientData, None);
}

/// Two November calls of ana's, with a CSAT of 5 about the first and of 2
/// about the second: 1 of 2 satisfied.
async fn two_answers(backend: Backend) -> (TestApp, pb::SurveyResponse, pb::SurveyResponse) {
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
    (app, first, second)
}

/// CSAT's value, numerator, denominator and sample size in November.
async fn novembers_csat(app: &TestApp) -> (Option<f64>, f64, f64, i64) {
    let scorecard = agent_scorecard(app, "ana", month("2026-11")).await;
    let csat = kpi(&scorecard, "csat").clone();
    (
        csat.value,
        csat.numerator,
        csat.denominator,
        csat.sample_size,
    )
}

async fn a_corrected_survey_changes_the_scorecard(backend: Backend) {
    let (app, _, second) = two_answers(backend).await;
    assert_eq!(novembers_csat(&app).await, (Some(50.0), 1.0, 2.0, 2));

    // The second is corrected to 4: 2/2.
    ingest_surveys(&app, vec![pb::SurveyResponse { score: 4, ..second }]).await;

    assert_eq!(novembers_csat(&app).await, (Some(100.0), 2.0, 2.0, 2));
}

async fn a_voided_survey_leaves_the_scorecard(backend: Backend) {
    let (app, first, second) = two_answers(backend).await;
    ingest_surveys(&app, vec![pb::SurveyResponse { score: 4, ..second }]).await;

    ingest_surveys(
        &app,
        vec![pb::SurveyResponse {
            voided: true,
            ..first
        }],
    )
    .await;

    // Only the corrected second remains: 1/1.
    assert_eq!(novembers_csat(&app).await, (Some(100.0), 1.0, 1.0, 1));
}

/// A policy that judges CSAT (>= 85) from 5 responses on, and ana's 3
/// November responses, 1 satisfied: 33.33 %.
async fn three_responses_for_a_minimum_of_five(backend: Backend) -> TestApp {
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
    ingest_surveys(
        &app,
        csat_scores("small", "ana", &[5, 2, 1], "2026-11-05T10:00:00Z"),
    )
    .await;
    app
}

async fn a_small_sample_is_insufficient_data_not_a_breach(backend: Backend) {
    let app = three_responses_for_a_minimum_of_five(backend).await;

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
}

async fn reaching_the_minimum_sample_judges_the_kpi(backend: Backend) {
    let app = three_responses_for_a_minimum_of_five(backend).await;

    // Two more satisfied responses reach the minimum: 3/5 = 60 %.
    ingest_surveys(
        &app,
        csat_scores("more", "ana", &[4, 5], "2026-11-06T10:00:00Z"),
    )
    .await;

    let scorecard = agent_scorecard(&app, "ana", month("2026-11")).await;
    assert_judged(&scorecard, "csat", Some(60.0), Breached, Some(-25.0));
    assert_close_option(scorecard.composite_score, Some(0.0), "composite_score");
}
