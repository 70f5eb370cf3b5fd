//! Weights and gates at work in the composite score and the bonus
//! (catalogue, "Scorecard and bonus semantics").

use kpi_service::grpc::pb;
use pb::{
    ComplianceKind::Privacy,
    KpiStatus::{Breached, InsufficientData, Met},
    SurveyKind::Csat,
};

use crate::{
    on_both_backends,
    support::{
        app::{spawn_app, Backend, TestApp},
        ingest::{ingest_checks, ingest_interactions, ingest_surveys},
        periods::month,
        policies::{at_least, at_most, create_policy},
        records::{call, check, survey_about},
        scorecards::{agent_scorecard, assert_close_option, assert_judged, policy_id},
    },
};

on_both_backends!(
    a_kpi_without_enough_data_stays_out_of_the_composite,
    a_breached_gate_makes_an_agent_ineligible_whatever_the_composite,
    an_agent_above_the_threshold_with_the_gate_met_is_eligible,
    a_composite_below_the_threshold_is_ineligible_for_that_alone,
    a_gate_without_data_is_not_met,
    a_payroll_listing_orders_agents_by_composite_highest_first,
);

/// One November call of `agent_id` with a CSAT response and, if given, a
/// privacy check. `slow` makes the handle time 460 s instead of 300 s.
async fn agent_with(
    app: &TestApp,
    agent_id: &str,
    slow: bool,
    first_contact_resolved: bool,
    csat: i32,
    privacy_passed: Option<bool>,
) {
    let call_id = format!("call-{agent_id}");
    ingest_interactions(
        app,
        vec![pb::Interaction {
            talk_seconds: if slow { 400 } else { 240 },
            first_contact_resolved,
            ..call(&call_id, agent_id, "2026-11-02T09:05:00Z")
        }],
    )
    .await;
    ingest_surveys(
        app,
        vec![survey_about(
            &format!("csat-{agent_id}"),
            &call_id,
            Csat,
            csat,
            "2026-11-02T12:00:00Z",
        )],
    )
    .await;
    if let Some(passed) = privacy_passed {
        ingest_checks(
            app,
            vec![check(
                &format!("privacy-{agent_id}"),
                agent_id,
                Privacy,
                passed,
                "2026-11-03T08:00:00Z",
            )],
        )
        .await;
    }
}

/// An organisation policy from Nov 1 (threshold 60): FCR >= 80 weight 0.5,
/// AHT <= 300 weight 1, CSAT >= 80 weight 1.5, NPS >= 50 weight 5 (nobody
/// has NPS responses), privacy >= 100 weight 0 as a gate. The judged
/// weight is 0.5 + 1 + 1.5 + 0 = 3. Four agents with one call each:
/// - bea: FCR met, AHT 460 breached, CSAT 5 met, privacy failed (gate);
/// - cy: FCR breached (0 %), AHT 300 met, CSAT 4 met, privacy passed;
/// - dan: FCR met, AHT breached, CSAT 2 breached, privacy passed;
/// - ed: everything met, but no privacy check at all.
async fn four_agents_under_a_weighted_policy_with_a_gate(
    backend: Backend,
) -> (TestApp, pb::PolicyVersion) {
    let app = spawn_app(backend).await;
    let policy = create_policy(
        &app,
        "",
        "2026-11-01",
        60.0,
        vec![
            pb::KpiRule {
                weight: 0.5,
                ..at_least("fcr_rate", 80.0)
            },
            pb::KpiRule {
                weight: 1.0,
                ..at_most("aht", 300.0)
            },
            pb::KpiRule {
                weight: 1.5,
                ..at_least("csat", 80.0)
            },
            pb::KpiRule {
                weight: 5.0,
                ..at_least("nps", 50.0)
            },
            pb::KpiRule {
                weight: 0.0,
                gate: true,
                ..at_least("privacy_compliance", 100.0)
            },
        ],
    )
    .await;
    agent_with(&app, "bea", true, true, 5, Some(false)).await;
    agent_with(&app, "cy", false, false, 4, Some(true)).await;
    agent_with(&app, "dan", true, true, 2, Some(true)).await;
    agent_with(&app, "ed", false, true, 5, None).await;
    (app, policy)
}

async fn a_kpi_without_enough_data_stays_out_of_the_composite(backend: Backend) {
    let (app, _) = four_agents_under_a_weighted_policy_with_a_gate(backend).await;

    let bea = agent_scorecard(&app, "bea", month("2026-11")).await;

    // NPS has no data: its weight of 5 stays out. bea meets FCR and CSAT:
    // (0.5 + 1.5) / 3 = 66.67, not 2 / 8 = 25.
    assert_judged(&bea, "nps", None, InsufficientData, None);
    assert_judged(&bea, "aht", Some(460.0), Breached, Some(-160.0));
    assert_close_option(bea.composite_score, Some(200.0 / 3.0), "bea composite");
}

async fn a_breached_gate_makes_an_agent_ineligible_whatever_the_composite(backend: Backend) {
    let (app, policy) = four_agents_under_a_weighted_policy_with_a_gate(backend).await;

    let bea = agent_scorecard(&app, "bea", month("2026-11")).await;

    // 66.67 >= 60, but the gate is breached.
    assert_judged(
        &bea,
        "privacy_compliance",
        Some(0.0),
        Breached,
        Some(-100.0),
    );
    assert!(!bea.bonus_eligible);
    assert_eq!(
        bea.ineligibility_reasons.len(),
        1,
        "only the gate: {:?}",
        bea.ineligibility_reasons
    );
    assert!(bea.ineligibility_reasons[0].contains("privacy_compliance"));
    assert_eq!(bea.bonus_threshold, 60.0);
    assert_eq!(policy_id(&bea), policy.policy_version_id);
}

async fn an_agent_above_the_threshold_with_the_gate_met_is_eligible(backend: Backend) {
    let (app, _) = four_agents_under_a_weighted_policy_with_a_gate(backend).await;

    let cy = agent_scorecard(&app, "cy", month("2026-11")).await;

    // (1 + 1.5) / 3 = 83.33 >= 60 and the gate is met.
    assert_judged(&cy, "fcr_rate", Some(0.0), Breached, Some(-80.0));
    assert_judged(&cy, "aht", Some(300.0), Met, Some(0.0));
    assert_close_option(cy.composite_score, Some(250.0 / 3.0), "cy composite");
    assert!(cy.bonus_eligible);
    assert!(cy.ineligibility_reasons.is_empty());
}

async fn a_composite_below_the_threshold_is_ineligible_for_that_alone(backend: Backend) {
    let (app, _) = four_agents_under_a_weighted_policy_with_a_gate(backend).await;

    let dan = agent_scorecard(&app, "dan", month("2026-11")).await;

    // 0.5 / 3 = 16.67 < 60: not eligible, and not because of the gate.
    assert_judged(&dan, "csat", Some(0.0), Breached, Some(-80.0));
    assert_close_option(dan.composite_score, Some(50.0 / 3.0), "dan composite");
    assert!(!dan.bonus_eligible);
    assert!(!dan.ineligibility_reasons.is_empty());
    assert!(!dan
        .ineligibility_reasons
        .iter()
        .any(|reason| reason.contains("privacy_compliance")));
}

async fn a_gate_without_data_is_not_met(backend: Backend) {
    let (app, _) = four_agents_under_a_weighted_policy_with_a_gate(backend).await;

    let ed = agent_scorecard(&app, "ed", month("2026-11")).await;

    // 3 / 3 = 100, but a gate without data is not met.
    assert_judged(&ed, "privacy_compliance", None, InsufficientData, None);
    assert_close_option(ed.composite_score, Some(100.0), "ed composite");
    assert!(!ed.bonus_eligible);
    assert!(ed
        .ineligibility_reasons
        .iter()
        .any(|reason| reason.contains("privacy_compliance")));
}

async fn a_payroll_listing_orders_agents_by_composite_highest_first(backend: Backend) {
    let (app, _) = four_agents_under_a_weighted_policy_with_a_gate(backend).await;

    let listed = app
        .scorecards()
        .list_agent_scorecards(pb::ListAgentScorecardsRequest {
            period: Some(month("2026-11")),
            order: pb::ScorecardOrder::CompositeScoreDesc as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();

    // ed 100, cy 83.33, bea 66.67, dan 16.67.
    let order: Vec<(String, bool)> = listed
        .scorecards
        .iter()
        .map(|card| {
            let scorecard = card.scorecard.as_ref().unwrap();
            (card.agent_id.clone(), scorecard.bonus_eligible)
        })
        .collect();
    assert_eq!(
        order,
        vec![
            ("ed".to_string(), false),
            ("cy".to_string(), true),
            ("bea".to_string(), false),
            ("dan".to_string(), false),
        ]
    );
    assert!(listed.next_page_token.is_empty());
}
