//! Pace and forecast on an agent's scorecard, computed by hand from the
//! catalogue's formulas ("Pace and forecast").

use chrono::Duration;
use kpi_service::grpc::pb;
use pb::{ForecastStatus, SurveyKind::Csat};

use super::{forecast_of, forecast_status, pace_policy, InProgress};
use crate::{
    on_both_backends,
    support::{
        app::{spawn_app, Backend, TestApp},
        directory::{add_team, put_agent},
        ingest::{ingest_interactions, ingest_surveys, ingest_violations},
        records::{call, csat_scores, survey_for_agent, violation_at},
        scorecards::{assert_close, kpi},
    },
};

on_both_backends!(
    the_worked_example_needs_87_5_percent_of_80_more_responses_and_will_miss,
    counts_are_projected_at_the_same_pace,
    kpis_without_a_target_or_without_data_have_no_forecast_to_speak_of,
);

/// Ana of north, under [`pace_policy`], on day 10 of 30: before as_of 40
/// CSAT responses (32 scoring 5, 8 scoring 2), 40 calls and 1 violation;
/// after it (and before now) a CSAT of 1 at as_of exactly (the period is
/// half-open: it does not count) and 10 CSAT of 5, 10 minutes later.
pub async fn ana_on_day_ten(backend: Backend) -> (TestApp, InProgress) {
    let app = spawn_app(backend).await;
    let period = InProgress::day_ten();
    pace_policy(&app).await;
    add_team(&app, "north").await;
    put_agent(&app, "ana", "north").await;
    let day_one = period.after_start(Duration::days(1));
    let mut scores = vec![5; 32];
    scores.extend([2; 8]);
    let mut surveys = csat_scores("before", "ana", &scores, &day_one);
    surveys.push(survey_for_agent(
        "at-as-of",
        "ana",
        Csat,
        1,
        &period.after_as_of(Duration::zero()),
    ));
    surveys.extend(csat_scores(
        "after",
        "ana",
        &[5; 10],
        &period.after_as_of(Duration::minutes(10)),
    ));
    ingest_surveys(&app, surveys).await;
    let calls = (0..40)
        .map(|n| {
            call(
                &format!("call-{n}"),
                "ana",
                &period.after_start(Duration::days(1) + Duration::minutes(n)),
            )
        })
        .collect();
    ingest_interactions(&app, calls).await;
    ingest_violations(
        &app,
        vec![violation_at(
            "late-1",
            "ana",
            &period.after_start(Duration::days(2)),
        )],
    )
    .await;
    (app, period)
}

/// Ana's scorecard as of day 10 with its forecast.
pub async fn forecast_card(app: &TestApp, period: &InProgress) -> pb::Scorecard {
    app.scorecards()
        .get_agent_scorecard(pb::GetAgentScorecardRequest {
            agent_id: "ana".into(),
            period: Some(period.selector()),
            as_of: Some(period.as_of_pb()),
            include_forecast: true,
            ..Default::default()
        })
        .await
        .expect("GetAgentScorecard failed")
        .into_inner()
        .scorecard
        .expect("no scorecard")
}

async fn the_worked_example_needs_87_5_percent_of_80_more_responses_and_will_miss(
    backend: Backend,
) {
    let (app, period) = ana_on_day_ten(backend).await;
    let card = forecast_card(&app, &period).await;
    assert_eq!(card.as_of_time, Some(period.as_of_pb()));
    let csat = kpi(&card, "csat");
    // 32 of the 40 responses before as_of: 80 %, BREACHED against 85.
    assert_eq!((csat.numerator, csat.denominator), (32.0, 40.0));
    assert_eq!(csat.value, Some(80.0));
    let forecast = forecast_of(&card, "csat");
    // f = 10 days / 30 days; d_rem = 40 × (2/3) / (1/3) = 80; m = 80.
    assert_close(forecast.elapsed_fraction, 1.0 / 3.0, "f");
    assert_eq!(forecast.expected_remaining, 80.0);
    assert_eq!(forecast.expected_remaining_whole, 80);
    assert_eq!(forecast.projected_value, Some(80.0));
    // needed = (0.85 × 120 − 32) / 80 × 100 = 70 / 80 = 87.5 %.
    assert_eq!(
        forecast.needed,
        Some(pb::Target {
            bound: Some(pb::target::Bound::AtLeast(87.5))
        })
    );
    // P(X >= 70), X ~ BetaBinomial(80, 33, 9): Σ_{x=70}^{80} C(80, x)
    // B(x + 33, 89 − x) / B(33, 9) = 0.138675075558275 (exact fractions).
    let probability = forecast.probability.expect("csat has a probability");
    assert!(
        (probability - 0.138_675_075_558_275).abs() < 1e-9,
        "{probability}"
    );
    assert_eq!(format!("{probability:.3}"), "0.139");
    assert_eq!(forecast_status(forecast), ForecastStatus::WillMiss);
}

async fn counts_are_projected_at_the_same_pace(backend: Backend) {
    let (app, period) = ana_on_day_ten(backend).await;
    let card = forecast_card(&app, &period).await;
    // 40 contacts by day 10 of 30: d_rem = 40 × 20 / 10 = 80, projected
    // 40 × 3 = 120 >= 100: ON_TRACK; the rest must bring 100 − 40 = 60.
    let contacts = forecast_of(&card, "contacts_handled");
    assert_eq!(contacts.expected_remaining, 80.0);
    assert_eq!(contacts.projected_value, Some(120.0));
    assert_eq!(
        contacts.needed,
        Some(pb::Target {
            bound: Some(pb::target::Bound::AtLeast(60.0))
        })
    );
    assert_eq!(contacts.probability, None);
    assert_eq!(forecast_status(contacts), ForecastStatus::OnTrack);
    // 1 violation (MET now against <= 1): projected 3, allowance 1 − 1 = 0
    // more: AT_RISK; d_rem = 1 × 20 / 10 = 2.
    let violations = forecast_of(&card, "violations");
    assert_eq!(violations.expected_remaining, 2.0);
    assert_eq!(violations.projected_value, Some(3.0));
    assert_eq!(
        violations.needed,
        Some(pb::Target {
            bound: Some(pb::target::Bound::AtMost(0.0))
        })
    );
    assert_eq!(forecast_status(violations), ForecastStatus::AtRisk);
}

async fn kpis_without_a_target_or_without_data_have_no_forecast_to_speak_of(backend: Backend) {
    let (app, period) = ana_on_day_ten(backend).await;
    let card = forecast_card(&app, &period).await;
    // aht has no target under this policy: no forecast at all.
    assert_eq!(kpi(&card, "aht").forecast, None);
    // privacy_compliance has a target but no checks: no value to project.
    let privacy = forecast_of(&card, "privacy_compliance");
    assert_eq!(forecast_status(privacy), ForecastStatus::InsufficientData);
    assert_eq!(
        (privacy.projected_value, privacy.needed.as_ref()),
        (None, None)
    );
    assert_eq!(privacy.expected_remaining, 0.0);
}
