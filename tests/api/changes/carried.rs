//! What a change carries besides status and value: graded credit and
//! contribution, the agent goal that set the rule, and the forecast of a
//! period in progress, each equal to what a read returns.

use chrono::{Datelike, Duration, Utc};
use kpi_service::grpc::pb::{self, ChangePeriodKind as P, ChangeSubjectKind as S};

use super::recording::assert_after_equals_reads;
use crate::{
    graded_plans::{graded_november, graded_tiers},
    helpers::{spawn_app, Backend},
    kpi_fixtures::{
        add_team, at_least, call, create_policy, csat_scores, ingest_interactions, ingest_surveys,
        month, put_agent,
    },
    support::changes::{find, latest_cursor, list_all, status},
};

/// ana's November CSAT is 3 of 4 = 75 % (`graded_plans::ANA`); the
/// graded policy's rule is csat >= 85, LINEAR floor 65, weight 2. Her goal
/// lowers the target to 70: MET, credit 1. A response of 1 makes it 3 of
/// 5 = 60 %: BREACHED, credit clamp((60 - 65) / (70 - 65), 0, 1) = 0.
async fn a_change_carries_credit_contribution_and_the_goal_as_a_read(backend: Backend) {
    let app = graded_november(backend, graded_tiers()).await;
    let goal = app
        .policies()
        .create_agent_goal(pb::CreateAgentGoalRequest {
            goal: Some(pb::AgentGoal {
                agent_id: "ana".into(),
                kpi_id: "csat".into(),
                effective_from: "2026-11-01".into(),
                target: Some(pb::Target {
                    bound: Some(pb::target::Bound::AtLeast(70.0)),
                }),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("creating the goal failed")
        .into_inner()
        .goal
        .unwrap();
    let since = latest_cursor(&app.channel).await;
    ingest_surveys(
        &app,
        csat_scores("late", "ana", &[1], "2026-11-07T10:00:00Z"),
    )
    .await;
    let (changes, _) = list_all(&app.channel, None, &since, 100).await;
    let csat = find(&changes, S::Agent, "ana", P::Month, "csat").expect("ana's csat change");
    let (before, after) = (csat.before.as_ref().unwrap(), csat.after.as_ref().unwrap());
    assert_eq!(status(&csat.before), pb::KpiStatus::Met);
    assert_eq!(status(&csat.after), pb::KpiStatus::Breached);
    assert_eq!((before.credit, after.credit), (Some(1.0), Some(0.0)));
    assert_eq!(after.agent_goal_id, goal.agent_goal_id);
    assert!(after.contribution.is_some());
    assert_after_equals_reads(&app, &changes, true).await;
}

/// Two calls a minute ago into the month in progress, judged by
/// fcr_rate >= 80 and contacts_handled >= 500: the changes carry the
/// forecast a read as of their commit instant returns.
async fn a_change_in_a_period_in_progress_carries_the_forecast_of_a_read(backend: Backend) {
    let app = spawn_app(backend).await;
    add_team(&app, "north").await;
    put_agent(&app, "ana", "north").await;
    let now = Utc::now();
    create_policy(
        &app,
        "",
        &format!("{:04}-{:02}-01", now.year(), now.month()),
        0.0,
        vec![
            at_least("fcr_rate", 80.0),
            at_least("contacts_handled", 500.0),
        ],
    )
    .await;
    let since = latest_cursor(&app.channel).await;
    let ended = |seconds_ago: i64| {
        (now - Duration::seconds(seconds_ago))
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    ingest_interactions(
        &app,
        vec![call("c1", "ana", &ended(90)), call("c2", "ana", &ended(60))],
    )
    .await;
    let (changes, _) = list_all(&app.channel, None, &since, 100).await;
    let current = format!("{:04}-{:02}", now.year(), now.month());
    for kpi_id in ["fcr_rate", "contacts_handled"] {
        let change = find(&changes, S::Agent, "ana", P::Month, kpi_id)
            .unwrap_or_else(|| panic!("no {kpi_id} change"));
        let after = change.after.clone().unwrap();
        assert!(after.forecast.is_some(), "{kpi_id}: no forecast");
        let read = app
            .scorecards()
            .get_agent_scorecard(pb::GetAgentScorecardRequest {
                agent_id: "ana".into(),
                period: Some(month(&current)),
                as_of: change.commit_time,
                include_forecast: true,
                ..Default::default()
            })
            .await
            .expect("the read failed")
            .into_inner()
            .scorecard
            .unwrap();
        let read = read.kpis.iter().find(|kpi| kpi.kpi_id == kpi_id).unwrap();
        assert_eq!(&after, read, "{kpi_id}: the change differs from a read");
    }
}

crate::on_both_backends!(
    a_change_carries_credit_contribution_and_the_goal_as_a_read,
    a_change_in_a_period_in_progress_carries_the_forecast_of_a_read,
);
