//! Targets judged: a range target is breached on either side, a warning
//! band marks AT_RISK (met, but close), and breaches miss by their
//! shortfall.

use kpi_service::grpc::pb;
use pb::KpiStatus::{AtRisk, Breached, Met};

use super::{agent_and_kpi, every_breach, november_breaches, pairs};
use crate::{
    on_both_backends,
    support::{
        app::{spawn_app, Backend, TestApp},
        ingest::{ingest_agent_time, ingest_surveys},
        periods::month,
        policies::{at_least, between, create_policy},
        records::{csat_scores, work_day},
        scorecards::{
            agent_scorecard, assert_close, assert_close_option, assert_judged, kpi, policy_id,
            status_of,
        },
    },
};

on_both_backends!(
    a_range_target_is_breached_above_its_high_end,
    a_range_target_is_breached_below_its_low_end,
    a_value_inside_a_range_is_met_by_the_margin_to_the_nearer_end,
    range_breaches_are_listed_missing_by_their_shortfall,
    a_value_within_the_warning_band_is_at_risk,
    at_risk_counts_as_met_in_the_composite,
    a_value_beyond_the_warning_band_is_met,
    a_value_short_of_the_target_is_breached,
    the_breach_list_leaves_at_risk_results_out_unless_asked,
    an_at_risk_result_misses_by_nothing,
);

/// Occupancy must lie in 75-90 (organisation, from Nov 1). On Nov 2,
/// handling / logged-in: busy 19000/20000 = 95 %, idle 14000/20000 = 70 %,
/// steady 16000/20000 = 80 %. A range's margin is min(value - 75, 90 -
/// value).
async fn occupancy_between_75_and_90(backend: Backend) -> (TestApp, pb::PolicyVersion) {
    let app = spawn_app(backend).await;
    let policy = create_policy(
        &app,
        "",
        "2026-11-01",
        80.0,
        vec![between("occupancy", 75.0, 90.0)],
    )
    .await;
    ingest_agent_time(
        &app,
        vec![
            work_day("w-busy", "busy", "2026-11-02", (28_800, 20_000, 19_000)),
            work_day("w-idle", "idle", "2026-11-02", (28_800, 20_000, 14_000)),
            work_day("w-steady", "steady", "2026-11-02", (28_800, 20_000, 16_000)),
        ],
    )
    .await;
    (app, policy)
}

async fn a_range_target_is_breached_above_its_high_end(backend: Backend) {
    let (app, _) = occupancy_between_75_and_90(backend).await;

    let busy = agent_scorecard(&app, "busy", month("2026-11")).await;

    // min(95 - 75, 90 - 95) = min(20, -5) = -5: too high is breached.
    assert_judged(&busy, "occupancy", Some(95.0), Breached, Some(-5.0));
}

async fn a_range_target_is_breached_below_its_low_end(backend: Backend) {
    let (app, _) = occupancy_between_75_and_90(backend).await;

    let idle = agent_scorecard(&app, "idle", month("2026-11")).await;

    // min(70 - 75, 90 - 70) = min(-5, 20) = -5.
    assert_judged(&idle, "occupancy", Some(70.0), Breached, Some(-5.0));
}

async fn a_value_inside_a_range_is_met_by_the_margin_to_the_nearer_end(backend: Backend) {
    let (app, policy) = occupancy_between_75_and_90(backend).await;

    let steady = agent_scorecard(&app, "steady", month("2026-11")).await;

    // min(80 - 75, 90 - 80) = min(5, 10) = 5.
    assert_judged(&steady, "occupancy", Some(80.0), Met, Some(5.0));
    assert_eq!(policy_id(&steady), policy.policy_version_id);
    let occupancy = kpi(&steady, "occupancy");
    assert_eq!(
        (occupancy.numerator, occupancy.denominator),
        (16_000.0, 20_000.0)
    );
}

async fn range_breaches_are_listed_missing_by_their_shortfall(backend: Backend) {
    let (app, policy) = occupancy_between_75_and_90(backend).await;

    let (breaches, _) = every_breach(&app, november_breaches()).await;

    assert_eq!(
        agent_and_kpi(&breaches),
        pairs(&[("busy", "occupancy"), ("idle", "occupancy")])
    );
    for breach in &breaches {
        assert_close(breach.shortfall, 5.0, "shortfall = -margin");
        assert_eq!(
            breach.policy.as_ref().unwrap().policy_version_id,
            policy.policy_version_id
        );
        let result = breach.result.as_ref().unwrap();
        assert_eq!(status_of(result), Breached);
        assert!(result.rule.as_ref().unwrap().target.is_some());
    }
}

/// CSAT >= 85 with a warning band of 5 (organisation, from Nov 1).
/// November CSAT: agent-a 7 satisfied of 8 = 87.5 %, agent-b 19 of 20 =
/// 95 %, agent-c 4 of 5 = 80 %.
async fn csat_with_a_warning_band(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    create_policy(
        &app,
        "",
        "2026-11-01",
        80.0,
        vec![pb::KpiRule {
            warning_band: Some(5.0),
            ..at_least("csat", 85.0)
        }],
    )
    .await;
    let mut nineteen_of_twenty = vec![5; 19];
    nineteen_of_twenty.push(1);
    let mut surveys = csat_scores(
        "a",
        "agent-a",
        &[5, 5, 5, 5, 4, 4, 4, 1],
        "2026-11-05T10:00:00Z",
    );
    surveys.extend(csat_scores(
        "b",
        "agent-b",
        &nineteen_of_twenty,
        "2026-11-05T10:00:00Z",
    ));
    surveys.extend(csat_scores(
        "c",
        "agent-c",
        &[4, 4, 5, 5, 3],
        "2026-11-05T10:00:00Z",
    ));
    ingest_surveys(&app, surveys).await;
    app
}

async fn a_value_within_the_warning_band_is_at_risk(backend: Backend) {
    let app = csat_with_a_warning_band(backend).await;

    let a = agent_scorecard(&app, "agent-a", month("2026-11")).await;

    // 87.5 meets 85 but lies within 5 of it: AT_RISK, margin 2.5.
    assert_judged(&a, "csat", Some(87.5), AtRisk, Some(2.5));
}

async fn at_risk_counts_as_met_in_the_composite(backend: Backend) {
    let app = csat_with_a_warning_band(backend).await;

    let a = agent_scorecard(&app, "agent-a", month("2026-11")).await;

    // 1 of 1 judged KPI.
    assert_close_option(a.composite_score, Some(100.0), "agent-a composite");
}

async fn a_value_beyond_the_warning_band_is_met(backend: Backend) {
    let app = csat_with_a_warning_band(backend).await;

    let b = agent_scorecard(&app, "agent-b", month("2026-11")).await;

    assert_judged(&b, "csat", Some(95.0), Met, Some(10.0));
}

async fn a_value_short_of_the_target_is_breached(backend: Backend) {
    let app = csat_with_a_warning_band(backend).await;

    let c = agent_scorecard(&app, "agent-c", month("2026-11")).await;

    assert_judged(&c, "csat", Some(80.0), Breached, Some(-5.0));
    assert_close_option(c.composite_score, Some(0.0), "agent-c composite");
}

async fn the_breach_list_leaves_at_risk_results_out_unless_asked(backend: Backend) {
    let app = csat_with_a_warning_band(backend).await;

    let (breached_only, _) = every_breach(&app, november_breaches()).await;
    let (with_at_risk, _) = every_breach(
        &app,
        pb::ListThresholdBreachesRequest {
            include_at_risk: true,
            ..november_breaches()
        },
    )
    .await;

    assert_eq!(agent_and_kpi(&breached_only), pairs(&[("agent-c", "csat")]));
    assert_close(breached_only[0].shortfall, 5.0, "agent-c shortfall");
    assert_eq!(
        agent_and_kpi(&with_at_risk),
        pairs(&[("agent-a", "csat"), ("agent-c", "csat")])
    );
}

async fn an_at_risk_result_misses_by_nothing(backend: Backend) {
    let app = csat_with_a_warning_band(backend).await;

    let (with_at_risk, _) = every_breach(
        &app,
        pb::ListThresholdBreachesRequest {
            include_at_risk: true,
            ..november_breaches()
        },
    )
    .await;

    let at_risk = &with_at_risk[0];
    assert_eq!(at_risk.agent_id, "agent-a");
    assert_eq!(status_of(at_risk.result.as_ref().unwrap()), AtRisk);
    assert_eq!(at_risk.shortfall, 0.0, "an AT_RISK result misses nothing");
}
