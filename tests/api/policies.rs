//! Policies at work: weights and gates in the composite and bonus, versions
//! that leave past months alone, team overrides, and rejected rules.

use kpi_service::grpc::pb;
use pb::{
    ComplianceKind::Privacy,
    KpiStatus::{Breached, InsufficientData, Met},
    SurveyKind::Csat,
};
use tonic::Code;

use crate::{
    helpers::{error_reason, field_violations, spawn_app, Backend, TestApp},
    kpi_fixtures::*,
    on_both_backends,
};

on_both_backends!(
    composite_score_and_bonus_gates,
    a_new_policy_version_leaves_last_months_scorecard_unchanged,
    policies_with_bad_rules_are_rejected_with_every_violation,
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

async fn composite_score_and_bonus_gates(backend: Backend) {
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
            // Nobody has NPS responses: INSUFFICIENT_DATA, so its weight of 5
            // must stay out of the composite.
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
    // Judged weight = fcr 0.5 + aht 1 + csat 1.5 + privacy 0 = 3.
    // bea: fcr met, aht 460 breached, csat met, privacy failed (gate).
    agent_with(&app, "bea", true, true, 5, Some(false)).await;
    // cy: fcr breached (0 %), aht 300 met, csat 4 met, privacy passed.
    agent_with(&app, "cy", false, false, 4, Some(true)).await;
    // dan: fcr met, aht breached, csat 2 breached, privacy passed.
    agent_with(&app, "dan", true, true, 2, Some(true)).await;
    // ed: everything met, but no privacy check at all.
    agent_with(&app, "ed", false, true, 5, None).await;

    // bea: (0.5 + 1.5) / 3 = 2/3 -> 66.67 >= 60, but the gate is breached.
    let bea = agent_scorecard(&app, "bea", month("2026-11")).await;
    assert_judged(&bea, "aht", Some(460.0), Breached, Some(-160.0));
    assert_judged(&bea, "nps", None, InsufficientData, None);
    assert_judged(
        &bea,
        "privacy_compliance",
        Some(0.0),
        Breached,
        Some(-100.0),
    );
    assert_close_option(bea.composite_score, Some(200.0 / 3.0), "bea composite");
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

    // cy: (1 + 1.5) / 3 = 83.33 >= 60 and the gate is met: eligible.
    let cy = agent_scorecard(&app, "cy", month("2026-11")).await;
    assert_judged(&cy, "fcr_rate", Some(0.0), Breached, Some(-80.0));
    assert_judged(&cy, "aht", Some(300.0), Met, Some(0.0));
    assert_close_option(cy.composite_score, Some(250.0 / 3.0), "cy composite");
    assert!(cy.bonus_eligible);
    assert!(cy.ineligibility_reasons.is_empty());

    // dan: 0.5 / 3 = 16.67 < 60: not eligible, and not because of the gate.
    let dan = agent_scorecard(&app, "dan", month("2026-11")).await;
    assert_judged(&dan, "csat", Some(0.0), Breached, Some(-80.0));
    assert_close_option(dan.composite_score, Some(50.0 / 3.0), "dan composite");
    assert!(!dan.bonus_eligible);
    assert!(!dan.ineligibility_reasons.is_empty());
    assert!(!dan
        .ineligibility_reasons
        .iter()
        .any(|reason| reason.contains("privacy_compliance")));

    // ed: 3 / 3 = 100, but a gate without data is not met.
    let ed = agent_scorecard(&app, "ed", month("2026-11")).await;
    assert_judged(&ed, "privacy_compliance", None, InsufficientData, None);
    assert_close_option(ed.composite_score, Some(100.0), "ed composite");
    assert!(!ed.bonus_eligible);
    assert!(ed
        .ineligibility_reasons
        .iter()
        .any(|reason| reason.contains("privacy_compliance")));

    // A payroll run by composite, highest first.
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

async fn a_new_policy_version_leaves_last_months_scorecard_unchanged(backend: Backend) {
    let app = spawn_app(backend).await;
    add_team(&app, "red").await;
    put_agent(&app, "bo", "red").await;
    // 4 satisfied of 5 in each month, for ana (no team) and bo (red): 80 %.
    for agent in ["ana", "bo"] {
        let mut surveys = csat_scores(
            &format!("{agent}-oct"),
            agent,
            &[5, 5, 4, 4, 1],
            "2026-10-10T10:00:00Z",
        );
        surveys.extend(csat_scores(
            &format!("{agent}-nov"),
            agent,
            &[5, 4, 4, 5, 2],
            "2026-11-10T10:00:00Z",
        ));
        ingest_surveys(&app, surveys).await;
    }

    let v1 = create_policy(&app, "", "2026-10-01", 80.0, vec![at_least("csat", 85.0)]).await;
    let october = agent_scorecard(&app, "ana", month("2026-10")).await;
    assert_judged(&october, "csat", Some(80.0), Breached, Some(-5.0));
    assert_eq!(policy_id(&october), v1.policy_version_id);
    let reference = october.policy.clone().unwrap();
    assert_eq!(
        (
            reference.team_id.as_str(),
            reference.effective_from.as_str()
        ),
        ("", "2026-10-01")
    );

    let v2 = create_policy(&app, "", "2026-11-01", 80.0, vec![at_least("csat", 75.0)]).await;
    assert!(v2.policy_version_id > v1.policy_version_id);
    // Effective mid-November: not in force on November's first day.
    let v3 = create_policy(&app, "", "2026-11-15", 80.0, vec![at_least("csat", 95.0)]).await;

    let october = agent_scorecard(&app, "ana", month("2026-10")).await;
    assert_judged(&october, "csat", Some(80.0), Breached, Some(-5.0));
    assert_eq!(
        policy_id(&october),
        v1.policy_version_id,
        "October keeps v1"
    );
    let november = agent_scorecard(&app, "ana", month("2026-11")).await;
    assert_judged(&november, "csat", Some(80.0), Met, Some(5.0));
    assert_eq!(policy_id(&november), v2.policy_version_id);

    let versions = app
        .policies()
        .list_policy_versions(pb::ListPolicyVersionsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<i64> = versions
        .policies
        .iter()
        .map(|version| version.policy_version_id)
        .collect();
    assert_eq!(
        ids,
        vec![
            v3.policy_version_id,
            v2.policy_version_id,
            v1.policy_version_id
        ],
        "newest first"
    );
    assert!(versions.next_page_token.is_empty());

    // A team policy overrides the organisation's for red's agents only.
    let red = create_policy(
        &app,
        "red",
        "2026-11-01",
        80.0,
        vec![at_least("csat", 90.0)],
    )
    .await;
    let bo_november = agent_scorecard(&app, "bo", month("2026-11")).await;
    assert_judged(&bo_november, "csat", Some(80.0), Breached, Some(-10.0));
    let reference = bo_november.policy.clone().unwrap();
    assert_eq!(reference.policy_version_id, red.policy_version_id);
    assert_eq!(reference.team_id, "red");
    let ana_november = agent_scorecard(&app, "ana", month("2026-11")).await;
    assert_eq!(policy_id(&ana_november), v2.policy_version_id);
    // Before red's policy takes effect, red falls back to the organisation's.
    let bo_october = agent_scorecard(&app, "bo", month("2026-10")).await;
    assert_eq!(policy_id(&bo_october), v1.policy_version_id);
    assert_judged(&bo_october, "csat", Some(80.0), Breached, Some(-5.0));

    let red_versions = app
        .policies()
        .list_policy_versions(pb::ListPolicyVersionsRequest {
            team_id: "red".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(red_versions.policies.len(), 1);
    assert_eq!(
        red_versions.policies[0].policy_version_id,
        red.policy_version_id
    );
}

async fn policies_with_bad_rules_are_rejected_with_every_violation(backend: Backend) {
    let app = spawn_app(backend).await;
    let bad = pb::PolicyVersion {
        team_id: String::new(),
        effective_from: "2026-13-01".into(),
        bonus_threshold: 150.0,
        rules: vec![
            // [0] a rate cannot reach 120 %.
            at_least("csat", 120.0),
            // [1] not in the catalogue.
            at_least("speed", 1.0),
            // [2] low > high.
            between("occupancy", 90.0, 75.0),
            // [3] negative weight.
            pb::KpiRule {
                weight: -1.0,
                ..at_most("aht", 300.0)
            },
            // [4] a second rule for aht.
            at_most("aht", 400.0),
            // [5] negative warning band.
            pb::KpiRule {
                warning_band: Some(-1.0),
                ..at_least("nps", 50.0)
            },
            // [6] negative minimum sample size.
            pb::KpiRule {
                min_sample_size: -3,
                ..at_least("fcr_rate", 80.0)
            },
            // [7] fine.
            at_most("escalation_rate", 10.0),
        ],
        ..Default::default()
    };
    let status = app
        .policies()
        .create_policy_version(pb::CreatePolicyVersionRequest {
            policy: Some(bad.clone()),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(error_reason(&status).as_deref(), Some("INVALID_FIELDS"));
    let fields: Vec<String> = field_violations(&status)
        .into_iter()
        .map(|(field, _)| field)
        .collect();
    for prefix in [
        "policy.rules[0]",
        "policy.rules[1]",
        "policy.rules[2]",
        "policy.rules[3]",
        "policy.rules[4]",
        "policy.rules[5]",
        "policy.rules[6]",
        "policy.bonus_threshold",
        "policy.effective_from",
    ] {
        assert!(
            fields.iter().any(|field| field.starts_with(prefix)),
            "no violation at {prefix}: {fields:?}"
        );
    }
    assert!(
        !fields
            .iter()
            .any(|field| field.starts_with("policy.rules[7]")),
        "rule 7 is valid: {fields:?}"
    );

    // Nothing was stored.
    let versions = app
        .policies()
        .list_policy_versions(pb::ListPolicyVersionsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(versions.policies.is_empty());

    // A good policy for a team that does not exist.
    let status = app
        .policies()
        .create_policy_version(pb::CreatePolicyVersionRequest {
            request_id: String::new(),
            policy: Some(pb::PolicyVersion {
                team_id: "ghost".into(),
                effective_from: "2026-11-01".into(),
                bonus_threshold: 80.0,
                rules: vec![at_least("csat", 85.0)],
                ..Default::default()
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(error_reason(&status).as_deref(), Some("TEAM_NOT_FOUND"));
}
