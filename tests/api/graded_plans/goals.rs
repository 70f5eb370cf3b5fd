//! Agent goals: an override that flips one KPI for one agent and is named
//! in the scorecard, effective dates, listing, audit and idempotent
//! retries.

use kpi_service::{
    domain::audit::{AuditChange, AuditFilter, AuditKind},
    grpc::pb::{self, KpiStatus},
};

use super::{graded_november, graded_tiers};
use crate::{
    on_both_backends,
    support::{
        app::{Backend, TestApp},
        periods::month,
        scorecards::{agent_scorecard, assert_close_option, kpi, status_of},
    },
};

on_both_backends!(
    an_agent_goal_flips_one_kpi_and_is_named_in_the_scorecard,
    a_goal_effective_after_the_periods_start_leaves_it_alone,
    a_goal_without_overrides_ends_the_earlier_one,
    goals_are_listed_with_their_agent_newest_first,
    a_goal_is_audited_and_a_retry_returns_it,
);

/// A goal for `agent_id`: csat >= `bound` from `effective_from`.
pub fn csat_goal(agent_id: &str, effective_from: &str, bound: Option<f64>) -> pb::AgentGoal {
    pb::AgentGoal {
        agent_id: agent_id.into(),
        kpi_id: "csat".into(),
        effective_from: effective_from.into(),
        target: bound.map(|bound| pb::Target {
            bound: Some(pb::target::Bound::AtLeast(bound)),
        }),
        ..Default::default()
    }
}

pub async fn create_goal(app: &TestApp, goal: pb::AgentGoal, request_id: &str) -> pb::AgentGoal {
    app.policies()
        .create_agent_goal(pb::CreateAgentGoalRequest {
            goal: Some(goal),
            request_id: request_id.into(),
        })
        .await
        .expect("creating a goal failed")
        .into_inner()
        .goal
        .unwrap()
}

async fn an_agent_goal_flips_one_kpi_and_is_named_in_the_scorecard(backend: Backend) {
    let app = graded_november(backend, graded_tiers()).await;
    // A part-timer's plan: ana's CSAT target is 75 instead of 85.
    let goal = create_goal(&app, csat_goal("ana", "2026-11-01", Some(75.0)), "").await;

    let ana = agent_scorecard(&app, "ana", month("2026-11")).await;

    // csat 75 now meets >= 75: MET, LINEAR credit 1 (was 0.5, BREACHED).
    let csat = kpi(&ana, "csat");
    assert_eq!(status_of(csat), KpiStatus::Met);
    assert_eq!(csat.credit, Some(1.0));
    assert_eq!(csat.agent_goal_id, goal.agent_goal_id);
    let rule = csat.rule.clone().unwrap();
    assert_eq!(
        rule.target.unwrap().bound,
        Some(pb::target::Bound::AtLeast(75.0))
    );
    // The rest of the policy's rule stays: weight 2, LINEAR, floor 65.
    assert_eq!((rule.weight, rule.floor), (2.0, Some(65.0)));
    // (2 * 1 + 0.6 + 0.75 + 1) / 5 * 100 = 4.35 / 5 * 100 = 87 >= 80: gold.
    assert_close_option(ana.composite_score, Some(87.0), "ana with her goal");
    assert_eq!(ana.bonus_tier.map(|tier| tier.name), Some("gold".into()));
    assert_eq!(
        ana.agent_goals,
        vec![pb::AppliedAgentGoal {
            agent_goal_id: goal.agent_goal_id,
            kpi_id: "csat".into(),
            effective_from: "2026-11-01".into(),
            overridden_fields: vec!["target".into()],
        }]
    );
    // The goal is ana's alone: cy has the same numbers and keeps 67.
    let cy = agent_scorecard(&app, "cy", month("2026-11")).await;
    assert_close_option(cy.composite_score, Some(67.0), "cy");
    assert!(cy.agent_goals.is_empty());
    assert_eq!(kpi(&cy, "csat").agent_goal_id, 0);
}

async fn a_goal_effective_after_the_periods_start_leaves_it_alone(backend: Backend) {
    let app = graded_november(backend, graded_tiers()).await;
    // Effective from Nov 15: November is judged by what held on Nov 1.
    create_goal(&app, csat_goal("ana", "2026-11-15", Some(75.0)), "").await;

    let ana = agent_scorecard(&app, "ana", month("2026-11")).await;

    assert_close_option(ana.composite_score, Some(67.0), "ana");
    assert!(ana.agent_goals.is_empty());
}

async fn a_goal_without_overrides_ends_the_earlier_one(backend: Backend) {
    let app = graded_november(backend, graded_tiers()).await;
    create_goal(&app, csat_goal("ana", "2026-10-01", Some(75.0)), "").await;
    create_goal(&app, csat_goal("ana", "2026-11-01", None), "").await;

    let ana = agent_scorecard(&app, "ana", month("2026-11")).await;

    // Back to the policy's >= 85: 67 as without goals.
    assert_close_option(ana.composite_score, Some(67.0), "ana");
    assert!(ana.agent_goals.is_empty());
}

async fn goals_are_listed_with_their_agent_newest_first(backend: Backend) {
    let app = graded_november(backend, graded_tiers()).await;
    let first = create_goal(&app, csat_goal("ana", "2026-11-01", Some(75.0)), "").await;
    let second = create_goal(&app, csat_goal("ana", "2026-12-01", Some(80.0)), "").await;
    create_goal(&app, csat_goal("bo", "2026-11-01", Some(70.0)), "").await;

    let list = |page_token: String| {
        let mut client = app.policies();
        async move {
            client
                .list_agent_goals(pb::ListAgentGoalsRequest {
                    agent_id: "ana".into(),
                    page_size: 1,
                    page_token,
                })
                .await
                .unwrap()
                .into_inner()
        }
    };
    let page = list(String::new()).await;
    assert_eq!(page.goals, vec![second.clone()]);
    assert_eq!(second.created_by, "anonymous");
    let page = list(page.next_page_token).await;
    assert_eq!(page.goals, vec![first]);
    assert!(page.next_page_token.is_empty());

    let unknown = app
        .policies()
        .list_agent_goals(pb::ListAgentGoalsRequest {
            agent_id: "nobody".into(),
            ..Default::default()
        })
        .await
        .expect_err("an unknown agent");
    assert_eq!(unknown.code(), tonic::Code::NotFound);
}

async fn a_goal_is_audited_and_a_retry_returns_it(backend: Backend) {
    let app = graded_november(backend, graded_tiers()).await;
    let goal = csat_goal("ana", "2026-11-01", Some(75.0));
    let created = create_goal(&app, goal.clone(), "goal-ana-1").await;
    let retried = create_goal(&app, goal, "goal-ana-1").await;
    assert_eq!(retried, created);

    let events = kpi_service::storage::audit::list(
        app.database.connection(),
        &AuditFilter {
            kind: Some(AuditKind::AgentGoalCreated),
            ..Default::default()
        },
        10,
    )
    .await
    .unwrap();
    let changes: Vec<AuditChange> = events.into_iter().map(|event| event.change).collect();
    assert_eq!(
        changes,
        vec![AuditChange::AgentGoalCreated {
            agent_goal_id: created.agent_goal_id,
            agent_id: "ana".into(),
            kpi_id: "csat".into(),
            effective_from: "2026-11-01".into(),
            overridden: vec!["target".into()],
        }]
    );
    assert_eq!(app.count_rows("agent_goals").await, 1);
}
