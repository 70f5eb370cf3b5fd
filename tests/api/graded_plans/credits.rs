//! Partial credit on >=, <= and range targets, and contributions that add
//! up to the composite.

use kpi_service::grpc::pb::{self, KpiStatus};

use super::graded_november;
use crate::{
    on_both_backends,
    support::{
        app::Backend,
        periods::month,
        scorecards::{agent_scorecard, assert_close, assert_close_option, kpi, status_of},
    },
};

on_both_backends!(
    linear_and_tiered_credits_follow_the_floor_and_the_thresholds,
    contributions_add_up_to_the_composite,
    kpis_without_a_target_earn_no_credit,
    a_breach_carries_its_credit_and_contribution,
);

#[track_caller]
fn assert_graded(
    scorecard: &pb::Scorecard,
    kpi_id: &str,
    status: KpiStatus,
    credit: f64,
    contribution: f64,
) {
    let result = kpi(scorecard, kpi_id);
    assert_eq!(status_of(result), status, "{kpi_id} status");
    assert_close_option(result.credit, Some(credit), &format!("{kpi_id} credit"));
    assert_close_option(
        result.contribution,
        Some(contribution),
        &format!("{kpi_id} contribution"),
    );
}

async fn linear_and_tiered_credits_follow_the_floor_and_the_thresholds(backend: Backend) {
    let app = graded_november(backend, Vec::new()).await;

    // Judged weight 5 for both (csat 2, aht 1, occupancy 1, fcr 1, privacy 0).
    let ana = agent_scorecard(&app, "ana", month("2026-11")).await;
    // csat 75 vs >= 85, floor 65: (75 - 65) / (85 - 65) = 0.5; 2 * 0.5 / 5 * 100 = 20.
    assert_graded(&ana, "csat", KpiStatus::Breached, 0.5, 20.0);
    // aht 330 vs <= 300, tiers 400/350/300: 330 <= 350 reached, 300 not: 0.6;
    // 0.6 / 5 * 100 = 12.
    assert_graded(&ana, "aht", KpiStatus::Breached, 0.6, 12.0);
    // occupancy 70 below 75-90, floor_below 55: (70 - 55) / (75 - 55) = 0.75; 15 points.
    assert_graded(&ana, "occupancy", KpiStatus::Breached, 0.75, 15.0);
    // fcr 100 >= 80, BINARY: 1; 20 points.
    assert_graded(&ana, "fcr_rate", KpiStatus::Met, 1.0, 20.0);
    // privacy met, weight 0: credit 1, 0 points.
    assert_graded(&ana, "privacy_compliance", KpiStatus::Met, 1.0, 0.0);

    let bo = agent_scorecard(&app, "bo", month("2026-11")).await;
    // csat 100 meets 85: LINEAR gives 1; 40 points.
    assert_graded(&bo, "csat", KpiStatus::Met, 1.0, 40.0);
    // aht 450 reaches no threshold (450 > 400): 0.
    assert_graded(&bo, "aht", KpiStatus::Breached, 0.0, 0.0);
    // occupancy 96 above 90, floor_above 100: (100 - 96) / (100 - 90) = 0.4; 8 points.
    assert_graded(&bo, "occupancy", KpiStatus::Breached, 0.4, 8.0);
    // fcr 0 < 80, BINARY: 0.
    assert_graded(&bo, "fcr_rate", KpiStatus::Breached, 0.0, 0.0);
}

async fn contributions_add_up_to_the_composite(backend: Backend) {
    let app = graded_november(backend, Vec::new()).await;

    for (agent_id, expected) in [
        // (2 * 0.5 + 0.6 + 0.75 + 1) / 5 * 100 = 3.35 / 5 * 100 = 67.
        ("ana", 67.0),
        // (2 * 1 + 0 + 0.4 + 0) / 5 * 100 = 2.4 / 5 * 100 = 48.
        ("bo", 48.0),
    ] {
        let scorecard = agent_scorecard(&app, agent_id, month("2026-11")).await;
        let composite = scorecard.composite_score.expect("a composite");
        assert_close(composite, expected, agent_id);
        let sum: f64 = scorecard.kpis.iter().filter_map(|k| k.contribution).sum();
        assert_close(sum, composite, &format!("{agent_id}: sum of contributions"));
    }
}

async fn kpis_without_a_target_earn_no_credit(backend: Backend) {
    let app = graded_november(backend, Vec::new()).await;

    let ana = agent_scorecard(&app, "ana", month("2026-11")).await;
    // The policy has no rule for nps or contacts_handled.
    for kpi_id in ["nps", "contacts_handled"] {
        let result = kpi(&ana, kpi_id);
        assert_eq!(status_of(result), KpiStatus::NoTarget);
        assert_eq!(
            (result.credit, result.contribution),
            (None, None),
            "{kpi_id}"
        );
        assert_eq!(result.agent_goal_id, 0);
    }
    // The rule comes back with its scoring.
    let csat_rule = kpi(&ana, "csat").rule.clone().unwrap();
    assert_eq!(csat_rule.scoring, pb::KpiScoring::Linear as i32);
    assert_eq!(csat_rule.floor, Some(65.0));
    let aht_rule = kpi(&ana, "aht").rule.clone().unwrap();
    assert_eq!(aht_rule.credit_tiers.len(), 3);
    assert!(ana.bonus_tier.is_none(), "no tiers in this policy");
}

async fn a_breach_carries_its_credit_and_contribution(backend: Backend) {
    let app = graded_november(backend, Vec::new()).await;

    let breaches = app
        .scorecards()
        .list_threshold_breaches(pb::ListThresholdBreachesRequest {
            period: Some(month("2026-11")),
            kpi_ids: vec!["csat".into()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .breaches;

    // Only ana and cy breach csat (75 < 85); bo's 100 meets it.
    let graded: Vec<(&str, Option<f64>, Option<f64>)> = breaches
        .iter()
        .map(|breach| {
            let result = breach.result.as_ref().unwrap();
            (breach.agent_id.as_str(), result.credit, result.contribution)
        })
        .collect();
    // (75 - 65) / (85 - 65) = 0.5; 2 * 0.5 / 5 * 100 = 20 points.
    assert_eq!(
        graded,
        vec![
            ("ana", Some(0.5), Some(20.0)),
            ("cy", Some(0.5), Some(20.0))
        ]
    );
}
