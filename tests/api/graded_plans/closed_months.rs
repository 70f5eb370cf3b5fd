//! Closed months freeze graded plans: a back-dated goal is refused and
//! audited; the snapshot keeps each KPI's credit and contribution, the
//! tier and the goals named, exactly as read before the close.

use kpi_service::{
    domain::audit::{AuditChange, AuditFilter, AuditKind},
    grpc::pb,
};
use tonic::Code;

use super::{
    goals::{create_goal, csat_goal},
    graded_november, graded_tiers,
};
use crate::{
    on_both_backends,
    support::{
        app::{error_reason, Backend},
        periods::{close_month, month},
        scorecards::agent_scorecard,
    },
};

on_both_backends!(
    a_back_dated_goal_is_refused_in_a_closed_month_and_audited,
    a_closed_month_keeps_credits_tiers_and_goals_as_they_were,
);

async fn a_back_dated_goal_is_refused_in_a_closed_month_and_audited(backend: Backend) {
    let app = graded_november(backend, graded_tiers()).await;
    close_month(&app, "2026-11").await;

    let refused = app
        .policies()
        .create_agent_goal(pb::CreateAgentGoalRequest {
            goal: Some(csat_goal("ana", "2026-11-15", Some(75.0))),
            request_id: String::new(),
        })
        .await
        .expect_err("a goal inside a closed month must be refused");

    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(error_reason(&refused).as_deref(), Some("PERIOD_CLOSED"));
    assert!(
        refused.message().contains("2026-11"),
        "{}",
        refused.message()
    );
    assert_eq!(app.count_rows("agent_goals").await, 0);
    let refusals = kpi_service::storage::audit::list(
        app.database.connection(),
        &AuditFilter {
            kind: Some(AuditKind::ChangeRefused),
            ..Default::default()
        },
        10,
    )
    .await
    .unwrap();
    let refusals: Vec<AuditChange> = refusals.into_iter().map(|event| event.change).collect();
    assert_eq!(
        refusals,
        vec![AuditChange::ChangeRefused {
            what: "agent_goal".into(),
            subject: "ana".into(),
            effective_from: "2026-11-15".into(),
            closed_month: "2026-11".into(),
        }]
    );
    // From the first open day on, goals are taken.
    create_goal(&app, csat_goal("ana", "2026-12-01", Some(75.0)), "").await;
}

async fn a_closed_month_keeps_credits_tiers_and_goals_as_they_were(backend: Backend) {
    let app = graded_november(backend, graded_tiers()).await;
    let goal = create_goal(&app, csat_goal("ana", "2026-11-01", Some(75.0)), "").await;
    let before = agent_scorecard(&app, "ana", month("2026-11")).await;
    close_month(&app, "2026-11").await;

    let closed = agent_scorecard(&app, "ana", month("2026-11")).await;

    assert!(closed.snapshot.is_some(), "read from the snapshot");
    // Everything but when it was computed and where it was read from.
    let comparable = |scorecard: &pb::Scorecard| pb::Scorecard {
        compute_time: None,
        snapshot: None,
        ..scorecard.clone()
    };
    assert_eq!(comparable(&closed), comparable(&before));
    // The graded fields are there: 87, gold, ana's goal.
    assert_eq!(closed.bonus_tier.as_ref().unwrap().name, "gold");
    assert_eq!(closed.agent_goals[0].agent_goal_id, goal.agent_goal_id);
    assert!(closed.kpis.iter().any(|k| k.contribution.is_some()));
}
