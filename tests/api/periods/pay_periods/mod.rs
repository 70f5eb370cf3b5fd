//! Pay periods other than calendar months (catalogue, "Pay periods"): a
//! two-week pay period closed, late data, the adjustment report listing
//! exactly the late records, restatement and the comparison of two
//! versions; half-month and ISO-week ids; bad ids; the start-up refusal
//! when the pay-period kind changes under closed periods. Expectations by
//! hand.
//!
//! The two-week cycle starts on Monday 2026-10-05 (ISO week 2026-W41), so
//! pay period `2026-W41+2` is [2026-10-05, 2026-10-19) in UTC.

mod adjustments;
mod fortnight;
mod ids;
mod startup;

use kpi_service::grpc::pb;

use crate::support::{
    app::{spawn_app_with, Backend, TestApp},
    directory::{add_team, put_agent},
    ingest::{ingest_interactions, ingest_surveys},
    periods::{close_pay_period, pay_period, periods, restate_pay_period},
    policies::at_least,
    records::{call, survey_about},
};

/// The closed fortnight.
pub const FORTNIGHT: &str = "2026-W41+2";
/// The reason of the restatement.
pub const REASON: &str = "late calls and CSAT";

/// A service paying two-week periods from Monday 2026-10-05.
pub async fn two_week_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |settings| {
        settings.payroll.pay_period = "two_weeks".into();
        settings.payroll.two_weeks_first_monday = "2026-10-05".into();
    })
    .await
}

fn csat(external_id: &str, call_id: &str, score: i32, at: &str) -> pb::SurveyResponse {
    survey_about(external_id, call_id, pb::SurveyKind::Csat, score, at)
}

/// An organisation policy from 2026-01-01: CSAT >= 80 (the only judged
/// KPI), bonus threshold 80; ana and ben in red. In the fortnight: ana c1
/// (Oct 6) and c2 (Oct 7), both CSAT 5: 2/2 = 100 %, eligible; ben c3 (Oct
/// 8), CSAT 4 (satisfied): 1/1 = 100 %. Outside it, ana's c0 on Sunday
/// Oct 4 23:00 and c9 on Monday Oct 19 09:00, both CSAT 1: counted in
/// the fortnight they would bring her to 2/4 = 50 %.
pub async fn fortnight_with_csat(backend: Backend) -> TestApp {
    let app = two_week_app(backend).await;
    app.policies()
        .create_policy_version(pb::CreatePolicyVersionRequest {
            policy: Some(pb::PolicyVersion {
                effective_from: "2026-01-01".into(),
                bonus_threshold: 80.0,
                rules: vec![at_least("csat", 80.0)],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("creating the policy failed");
    add_team(&app, "red").await;
    put_agent(&app, "ana", "red").await;
    put_agent(&app, "ben", "red").await;
    ingest_interactions(
        &app,
        vec![
            call("c0", "ana", "2026-10-04T23:00:00Z"),
            call("c1", "ana", "2026-10-06T09:00:00Z"),
            call("c2", "ana", "2026-10-07T10:00:00Z"),
            call("c3", "ben", "2026-10-08T09:00:00Z"),
            call("c9", "ana", "2026-10-19T09:00:00Z"),
        ],
    )
    .await;
    ingest_surveys(
        &app,
        vec![
            csat("s0", "c0", 1, "2026-10-05T12:00:00Z"),
            csat("s1", "c1", 5, "2026-10-06T12:00:00Z"),
            csat("s2", "c2", 5, "2026-10-07T12:00:00Z"),
            csat("s3", "c3", 4, "2026-10-08T12:00:00Z"),
            csat("s9", "c9", 1, "2026-10-19T12:00:00Z"),
        ],
    )
    .await;
    app
}

/// [`fortnight_with_csat`], with the fortnight closed.
pub async fn fortnight_closed(backend: Backend) -> TestApp {
    let app = fortnight_with_csat(backend).await;
    close_pay_period(&app, FORTNIGHT).await;
    app
}

/// Late data for the fortnight, after the close: ana's new call c4 (Oct
/// 12) with a CSAT of 1 (s4); ben's c3 corrected (handle time 300 s -> 900
/// s); ana's c2 voided; cy, never seen before, with call c6 (Oct 9) and a
/// CSAT of 5 (s6); and ana's c5 on Oct 20, in the next fortnight. Six
/// records of the fortnight changed: c2, c3, c4, s4, c6, s6.
pub async fn send_late_data(app: &TestApp) {
    let mut corrected = call("c3", "ben", "2026-10-08T09:00:00Z");
    corrected.talk_seconds = 840;
    let mut voided = call("c2", "ana", "2026-10-07T10:00:00Z");
    voided.voided = true;
    ingest_interactions(
        app,
        vec![
            call("c4", "ana", "2026-10-12T09:00:00Z"),
            corrected,
            voided,
            call("c6", "cy", "2026-10-09T09:00:00Z"),
            call("c5", "ana", "2026-10-20T09:00:00Z"),
        ],
    )
    .await;
    ingest_surveys(
        app,
        vec![
            csat("s4", "c4", 1, "2026-10-12T12:00:00Z"),
            csat("s6", "c6", 5, "2026-10-09T12:00:00Z"),
        ],
    )
    .await;
}

/// Closed, late data, restated with [`REASON`] (version 2), then ben's c7
/// (Oct 13) with a CSAT of 2 (s7) after the restatement.
pub async fn restated_then_more_late_data(backend: Backend) -> TestApp {
    let app = fortnight_closed(backend).await;
    send_late_data(&app).await;
    restate_pay_period(&app, FORTNIGHT, REASON).await;
    ingest_interactions(&app, vec![call("c7", "ben", "2026-10-13T09:00:00Z")]).await;
    ingest_surveys(&app, vec![csat("s7", "c7", 2, "2026-10-13T12:00:00Z")]).await;
    app
}

/// ListAdjustments of the fortnight, with its records.
pub async fn adjustments(
    app: &TestApp,
    request: pb::ListAdjustmentsRequest,
) -> pb::ListAdjustmentsResponse {
    periods(app)
        .list_adjustments(pb::ListAdjustmentsRequest {
            pay_period: FORTNIGHT.into(),
            include_records: true,
            ..request
        })
        .await
        .unwrap_or_else(|status| panic!("ListAdjustments failed: {status:?}"))
        .into_inner()
}

/// An agent's scorecard of the fortnight (from the snapshot when closed).
pub async fn fortnight_scorecard(app: &TestApp, agent_id: &str, live: bool) -> pb::Scorecard {
    app.scorecards()
        .get_agent_scorecard(pb::GetAgentScorecardRequest {
            agent_id: agent_id.into(),
            period: Some(pay_period(FORTNIGHT)),
            live,
            snapshot_version: 0,
            ..Default::default()
        })
        .await
        .unwrap_or_else(|status| panic!("GetAgentScorecard({agent_id}) failed: {status:?}"))
        .into_inner()
        .scorecard
        .expect("no scorecard")
}

/// Each agent's changed records as (key, change), in the report's order.
pub fn changed_records(agent: &pb::AgentAdjustment) -> Vec<(String, pb::RecordChange)> {
    agent
        .records
        .iter()
        .map(|changed| {
            let record = changed.record.as_ref().expect("no record");
            (
                record.key.as_ref().expect("no key").external_id.clone(),
                changed.change(),
            )
        })
        .collect()
}
