//! Bad graded plans and goals: each INVALID_ARGUMENT (or NOT_FOUND for an
//! unknown agent) naming the field, and nothing written.

use kpi_service::grpc::pb;
use tonic::Code;

use super::{bonus_tier, linear, tiers};
use crate::{
    on_both_backends,
    support::{
        app::{field_violations, spawn_app, Backend},
        directory::add_team,
        directory::put_agent,
        policies::{at_least, at_most, between},
    },
};

on_both_backends!(
    bad_graded_policies_are_refused_field_by_field,
    bad_goals_are_refused_field_by_field,
);

async fn bad_graded_policies_are_refused_field_by_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let policy = |rules: Vec<pb::KpiRule>, bonus_tiers: Vec<pb::BonusTier>| pb::PolicyVersion {
        effective_from: "2026-11-01".into(),
        rules,
        bonus_threshold: 50.0,
        bonus_tiers,
        ..Default::default()
    };
    let cases = [
        // A floor above an at_least target.
        (
            policy(vec![linear(at_least("csat", 85.0), 90.0)], vec![]),
            "policy.rules[0].floor",
        ),
        // A floor under an at_most target.
        (
            policy(vec![linear(at_most("aht", 300.0), 250.0)], vec![]),
            "policy.rules[0].floor",
        ),
        // A range's lower floor inside the range.
        (
            policy(
                vec![pb::KpiRule {
                    scoring: pb::KpiScoring::Linear as i32,
                    floor_below: Some(80.0),
                    floor_above: Some(95.0),
                    ..between("occupancy", 75.0, 90.0)
                }],
                vec![],
            ),
            "policy.rules[0].floor_below",
        ),
        // LINEAR without its floor.
        (
            policy(
                vec![pb::KpiRule {
                    scoring: pb::KpiScoring::Linear as i32,
                    ..at_least("csat", 85.0)
                }],
                vec![],
            ),
            "policy.rules[0].floor",
        ),
        // Tiers not increasing for an at_least target.
        (
            policy(
                vec![tiers(at_least("csat", 85.0), &[(80.0, 0.5), (70.0, 0.8)])],
                vec![],
            ),
            "policy.rules[0].credit_tiers[1].threshold",
        ),
        // A credit above 1.
        (
            policy(vec![tiers(at_least("csat", 85.0), &[(80.0, 1.5)])], vec![]),
            "policy.rules[0].credit_tiers[0].credit",
        ),
        // Tiers on a range target.
        (
            policy(
                vec![tiers(between("occupancy", 75.0, 90.0), &[(80.0, 0.5)])],
                vec![],
            ),
            "policy.rules[0].credit_tiers",
        ),
        // A payout above 1000 %.
        (
            policy(vec![], vec![bonus_tier(50.0, "bronze", 1000.5)]),
            "policy.bonus_tiers[0].payout_percent",
        ),
        // A negative payout.
        (
            policy(vec![], vec![bonus_tier(50.0, "bronze", -1.0)]),
            "policy.bonus_tiers[0].payout_percent",
        ),
        // Tiers not in increasing order of their minimum.
        (
            policy(
                vec![],
                vec![
                    bonus_tier(70.0, "silver", 100.0),
                    bonus_tier(60.0, "bronze", 50.0),
                ],
            ),
            "policy.bonus_tiers[1].minimum_composite",
        ),
    ];
    for (index, (policy, field)) in cases.into_iter().enumerate() {
        let status = app
            .policies()
            .create_policy_version(pb::CreatePolicyVersionRequest {
                policy: Some(policy),
                request_id: String::new(),
            })
            .await
            .expect_err("a bad graded policy must be refused");
        assert_eq!(status.code(), Code::InvalidArgument, "case {index}");
        let fields: Vec<String> = field_violations(&status)
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(fields, vec![field.to_owned()], "case {index}");
    }
    // Graded problems are listed beside the others, in one answer.
    let both = app
        .policies()
        .create_policy_version(pb::CreatePolicyVersionRequest {
            policy: Some(pb::PolicyVersion {
                bonus_threshold: 150.0,
                ..policy(vec![linear(at_least("csat", 85.0), 90.0)], vec![])
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("two problems");
    let fields: Vec<String> = field_violations(&both)
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    assert_eq!(
        fields,
        vec!["policy.bonus_threshold", "policy.rules[0].floor"]
    );
    assert_eq!(app.count_rows("policy_versions").await, 0);
}

async fn bad_goals_are_refused_field_by_field(backend: Backend) {
    let app = spawn_app(backend).await;
    add_team(&app, "red").await;
    put_agent(&app, "ana", "red").await;
    let goal =
        |kpi_id: &str, target: Option<pb::target::Bound>, floor: Option<f64>| pb::AgentGoal {
            agent_id: "ana".into(),
            kpi_id: kpi_id.into(),
            effective_from: "2026-11-01".into(),
            target: target.map(|bound| pb::Target { bound: Some(bound) }),
            floor,
            ..Default::default()
        };
    use pb::target::Bound::{AtLeast, AtMost};
    let cases = [
        (goal("cast", Some(AtLeast(80.0)), None), "goal.kpi_id"),
        (
            goal("csat", Some(AtLeast(120.0)), None),
            "goal.target.at_least",
        ),
        // A floor needs a target in the same goal.
        (goal("csat", None, Some(60.0)), "goal.floor"),
        // A floor on the wrong side of the goal's target.
        (goal("aht", Some(AtMost(300.0)), Some(200.0)), "goal.floor"),
        (
            pb::AgentGoal {
                effective_from: "2026-13-01".into(),
                ..goal("csat", Some(AtLeast(80.0)), None)
            },
            "goal.effective_from",
        ),
    ];
    for (index, (goal, field)) in cases.into_iter().enumerate() {
        let status = app
            .policies()
            .create_agent_goal(pb::CreateAgentGoalRequest {
                goal: Some(goal),
                request_id: String::new(),
            })
            .await
            .expect_err("a bad goal must be refused");
        assert_eq!(status.code(), Code::InvalidArgument, "case {index}");
        let fields: Vec<String> = field_violations(&status)
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(fields, vec![field.to_owned()], "case {index}");
    }
    let unknown_agent = app
        .policies()
        .create_agent_goal(pb::CreateAgentGoalRequest {
            goal: Some(pb::AgentGoal {
                agent_id: "nobody".into(),
                ..goal("csat", Some(AtLeast(80.0)), None)
            }),
            request_id: String::new(),
        })
        .await
        .expect_err("an unknown agent");
    assert_eq!(unknown_agent.code(), Code::NotFound);
    assert_eq!(app.count_rows("agent_goals").await, 0);
}
