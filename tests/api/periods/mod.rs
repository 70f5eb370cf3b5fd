//! PeriodService and reads of closed months (catalogue, "Closed periods"):
//! the snapshot answers and never changes; late data is kept and reported
//! as adjustments; a restatement takes a new version; a policy effective
//! inside a closed month is refused. Expectations by hand.

use kpi_service::grpc::pb;

use crate::support::{
    app::{spawn_app, Backend, TestApp},
    directory::{add_team, put_agent},
    ingest::{ingest_interactions, ingest_surveys},
    periods::{close_month, month, restate_month},
    policies::at_least,
    records::{call, survey_about},
};

mod adjustments;
mod close;
mod closed_month_policies;
mod closed_month_teams;
mod closed_reads;
pub mod pay_periods;
mod policy_refusals;
mod restate;

/// The reason [`october_restated_after_late_data`] gives.
pub const REASON: &str = "late CSAT and a voided call";

/// An organisation policy from 2026-01-01: CSAT >= 80 (the only judged
/// KPI), bonus threshold 80. Ana and ben are red. October: ana 2 calls on
/// the 10th, both CSAT 5 (2/2 = 100 %, eligible); ben 1 call on the 12th,
/// CSAT 4. Nothing is closed yet.
pub async fn october_with_csat(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
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
            call("c1", "ana", "2026-10-10T09:00:00Z"),
            call("c2", "ana", "2026-10-10T10:00:00Z"),
            call("c3", "ben", "2026-10-12T09:00:00Z"),
        ],
    )
    .await;
    ingest_surveys(
        &app,
        vec![
            survey_about("s1", "c1", pb::SurveyKind::Csat, 5, "2026-10-10T12:00:00Z"),
            survey_about("s2", "c2", pb::SurveyKind::Csat, 5, "2026-10-10T12:00:00Z"),
            survey_about("s3", "c3", pb::SurveyKind::Csat, 4, "2026-10-12T12:00:00Z"),
        ],
    )
    .await;
    app
}

/// [`october_with_csat`], with October closed.
pub async fn october_closed(backend: Backend) -> TestApp {
    let app = october_with_csat(backend).await;
    close_month(&app, "2026-10").await;
    app
}

/// Late data for October, after the close: a new call of ana's (c4, Oct
/// 20) with a CSAT of 1, a correction of ben's call (handle time 300 s ->
/// 900 s), a void of ana's c2. Four records changed.
pub async fn send_late_october_data(app: &TestApp) {
    let mut late = call("c4", "ana", "2026-10-20T09:00:00Z");
    late.revision = Some(1);
    let mut corrected = call("c3", "ben", "2026-10-12T09:00:00Z");
    corrected.talk_seconds = 840;
    let mut voided = call("c2", "ana", "2026-10-10T10:00:00Z");
    voided.voided = true;
    ingest_interactions(app, vec![late, corrected, voided]).await;
    ingest_surveys(
        app,
        vec![survey_about(
            "s4",
            "c4",
            pb::SurveyKind::Csat,
            1,
            "2026-10-20T12:00:00Z",
        )],
    )
    .await;
}

/// October closed, late data sent, then restated with [`REASON`].
pub async fn october_restated_after_late_data(backend: Backend) -> TestApp {
    let app = october_closed(backend).await;
    send_late_october_data(&app).await;
    restate_month(&app, "2026-10", REASON).await;
    app
}

/// GetAgentScorecard of October: from the current snapshot, or `live`, or
/// a given `snapshot_version` (0 = current).
pub async fn octobers_scorecard(
    app: &TestApp,
    agent_id: &str,
    live: bool,
    snapshot_version: i32,
) -> pb::GetAgentScorecardResponse {
    app.scorecards()
        .get_agent_scorecard(pb::GetAgentScorecardRequest {
            consistency_token: String::new(),
            agent_id: agent_id.into(),
            period: Some(month("2026-10")),
            live,
            snapshot_version,
            ..Default::default()
        })
        .await
        .unwrap_or_else(|status| panic!("GetAgentScorecard({agent_id}) failed: {status:?}"))
        .into_inner()
}

/// ListAdjustments of October.
pub async fn octobers_adjustments(app: &TestApp) -> pb::ListAdjustmentsResponse {
    crate::support::periods::periods(app)
        .list_adjustments(pb::ListAdjustmentsRequest {
            month: "2026-10".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
}
