//! Bonus tiers: the highest tier reached, none below the lowest, none when
//! a gate fails (with the reason).

use kpi_service::grpc::pb;

use super::{graded_november, graded_tiers};
use crate::{
    on_both_backends,
    support::{
        app::Backend,
        periods::month,
        scorecards::{agent_scorecard, assert_close_option},
    },
};

on_both_backends!(
    the_highest_tier_reached_is_named_with_its_payout,
    below_the_lowest_tier_no_tier_is_reached,
    a_failing_gate_reaches_no_tier_whatever_the_composite,
    the_policy_version_reads_back_its_tiers,
);

async fn the_highest_tier_reached_is_named_with_its_payout(backend: Backend) {
    let app = graded_november(backend, graded_tiers()).await;

    let ana = agent_scorecard(&app, "ana", month("2026-11")).await;

    // 67 >= 65 (silver), < 80 (gold); the gate is met.
    assert_close_option(ana.composite_score, Some(67.0), "ana");
    assert_eq!(
        ana.bonus_tier,
        Some(pb::BonusTier {
            minimum_composite: 65.0,
            name: "silver".into(),
            payout_percent: 100.0,
        })
    );
    assert!(ana.bonus_eligible);
    assert!(ana.ineligibility_reasons.is_empty());
    // With tiers, the threshold reported is the lowest tier's minimum.
    assert_eq!(ana.bonus_threshold, 50.0);
}

async fn below_the_lowest_tier_no_tier_is_reached(backend: Backend) {
    let app = graded_november(backend, graded_tiers()).await;

    let bo = agent_scorecard(&app, "bo", month("2026-11")).await;

    // 48 < 50 (bronze).
    assert_close_option(bo.composite_score, Some(48.0), "bo");
    assert_eq!(bo.bonus_tier, None);
    assert!(!bo.bonus_eligible);
    assert_eq!(
        bo.ineligibility_reasons,
        vec!["composite score 48.00 is below the lowest bonus tier bronze (50)"]
    );
}

async fn a_failing_gate_reaches_no_tier_whatever_the_composite(backend: Backend) {
    let app = graded_november(backend, graded_tiers()).await;

    let cy = agent_scorecard(&app, "cy", month("2026-11")).await;

    // ana's numbers (67, silver) but the privacy gate is breached (0 of 1);
    // its weight is 0, so the composite is unchanged.
    assert_close_option(cy.composite_score, Some(67.0), "cy");
    assert_eq!(cy.bonus_tier, None);
    assert!(!cy.bonus_eligible);
    assert_eq!(
        cy.ineligibility_reasons,
        vec!["gate kpi privacy_compliance is BREACHED"]
    );
}

async fn the_policy_version_reads_back_its_tiers(backend: Backend) {
    let app = graded_november(backend, graded_tiers()).await;

    let effective = app
        .policies()
        .get_effective_policy(pb::GetEffectivePolicyRequest {
            team_id: String::new(),
            date: "2026-11-15".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .policy
        .unwrap();

    assert_eq!(effective.bonus_tiers, graded_tiers());
    assert_eq!(effective.rules.len(), 5);
}
