//! Closed months: the snapshot answers and never changes; late data is kept
//! and reported as adjustments; a restatement takes a new version; changes
//! effective inside a closed month are refused. Expectations by hand.

use kpi_service::grpc::pb::{
    self, period_service_client::PeriodServiceClient, KpiStatus::Breached,
};
use prost::Message;
use tonic::Code;

use crate::{
    helpers::{error_reason, spawn_app, Backend, TestApp},
    kpi_fixtures::{
        add_team, at_least, call, ingest_interactions, ingest_surveys, kpi, month, put_agent,
        survey_about,
    },
    on_both_backends,
};

on_both_backends!(
    a_closed_month_answers_from_its_snapshot_and_reports_late_data,
    changes_effective_inside_a_closed_month_are_refused,
    closing_needs_an_ended_month_and_request_ids_make_retries_safe,
);

fn periods(app: &TestApp) -> PeriodServiceClient<tonic::transport::Channel> {
    PeriodServiceClient::new(app.channel.clone())
}

async fn close(app: &TestApp, month: &str) -> pb::ClosePeriodResponse {
    periods(app)
        .close_period(pb::ClosePeriodRequest {
            month: month.into(),
            request_id: String::new(),
        })
        .await
        .unwrap_or_else(|status| panic!("ClosePeriod({month}) failed: {status:?}"))
        .into_inner()
}

async fn agent_answer(
    app: &TestApp,
    agent_id: &str,
    live: bool,
    snapshot_version: i32,
) -> pb::GetAgentScorecardResponse {
    app.scorecards()
        .get_agent_scorecard(pb::GetAgentScorecardRequest {
            agent_id: agent_id.into(),
            period: Some(month("2026-10")),
            live,
            snapshot_version,
        })
        .await
        .unwrap_or_else(|status| panic!("GetAgentScorecard({agent_id}) failed: {status:?}"))
        .into_inner()
}

/// An organisation policy from 2026-01-01: CSAT >= 80 (the only judged
/// KPI), bonus threshold 80.
async fn csat_policy(app: &TestApp) {
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
}

async fn a_closed_month_answers_from_its_snapshot_and_reports_late_data(backend: Backend) {
    let app = spawn_app(backend).await;
    csat_policy(&app).await;
    add_team(&app, "red").await;
    put_agent(&app, "ana", "red").await;
    put_agent(&app, "ben", "red").await;
    // October: ana 2 calls on the 10th, both CSAT 5 (2/2 = 100 %, eligible);
    // ben 1 call on the 12th, CSAT 4.
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

    let closed = close(&app, "2026-10").await;
    assert!(!closed.already_closed);
    let period = closed.period.unwrap();
    assert_eq!(
        (period.state, period.current_version),
        (pb::PeriodState::Closed as i32, 1)
    );
    assert_eq!(period.versions[0].agent_scorecards, 2);
    assert_eq!(period.versions[0].team_scorecards, 1);
    let at_close = agent_answer(&app, "ana", false, 0).await;
    let card = at_close.scorecard.as_ref().unwrap();
    assert_eq!(card.snapshot.as_ref().unwrap().version, 1);
    assert_eq!(kpi(card, "csat").value, Some(100.0));
    assert!(card.bonus_eligible);

    // Late data for October: a new call of ana's with a CSAT of 1, a
    // correction of ben's call (handle time 300 s -> 900 s), a void of c2.
    let mut late = call("c4", "ana", "2026-10-20T09:00:00Z");
    late.revision = Some(1);
    let mut corrected = call("c3", "ben", "2026-10-12T09:00:00Z");
    corrected.talk_seconds = 840;
    let mut voided = call("c2", "ana", "2026-10-10T10:00:00Z");
    voided.voided = true;
    ingest_interactions(&app, vec![late, corrected, voided]).await;
    ingest_surveys(
        &app,
        vec![survey_about(
            "s4",
            "c4",
            pb::SurveyKind::Csat,
            1,
            "2026-10-20T12:00:00Z",
        )],
    )
    .await;

    // The closed month does not move, byte for byte.
    let after = agent_answer(&app, "ana", false, 0).await;
    assert_eq!(after.encode_to_vec(), at_close.encode_to_vec());
    // The live view has the new numbers: c1 and c4, CSAT 1 of 2 = 50 %.
    let live = agent_answer(&app, "ana", true, 0).await;
    let live_card = live.scorecard.as_ref().unwrap();
    assert!(live_card.snapshot.is_none());
    assert_eq!(kpi(live_card, "csat").value, Some(50.0));
    assert_eq!(kpi(live_card, "csat").status, Breached as i32);
    assert!(!live_card.bonus_eligible);

    let adjustments = periods(&app)
        .list_adjustments(pb::ListAdjustmentsRequest {
            month: "2026-10".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(adjustments.snapshot_version, 1);
    // c4, s4, the corrected c3 and the voided c2.
    assert_eq!(adjustments.records_changed_since_snapshot, 4);
    let agents: Vec<&str> = adjustments
        .agents
        .iter()
        .map(|a| a.agent_id.as_str())
        .collect();
    assert_eq!(agents, vec!["ana", "ben"]);
    let ana = &adjustments.agents[0];
    assert!(ana.bonus_eligibility_flips);
    assert!(ana.snapshot_bonus_eligible && !ana.live_bonus_eligible);
    let changed: Vec<&str> = ana.kpis.iter().map(|k| k.kpi_id.as_str()).collect();
    // Same contacts (2) and per-call figures; the worked days (1 -> 2) and
    // CSAT (2/2 -> 1/2) changed.
    assert_eq!(changed, vec!["contacts_per_day", "csat"]);
    let csat = ana.kpis.iter().find(|k| k.kpi_id == "csat").unwrap();
    assert_eq!(csat.difference, Some(-50.0));
    let ben = &adjustments.agents[1];
    assert!(!ben.bonus_eligibility_flips);
    let aht = ben.kpis.iter().find(|k| k.kpi_id == "aht").unwrap();
    assert_eq!(aht.difference, Some(600.0));

    // Restating takes version 2 from today's data; version 1 stays readable.
    let restated = periods(&app)
        .restate_period(pb::RestatePeriodRequest {
            month: "2026-10".into(),
            reason: "late CSAT and a voided call".into(),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .period
        .unwrap();
    assert_eq!(restated.current_version, 2);
    assert_eq!(restated.versions[1].reason, "late CSAT and a voided call");
    let now = agent_answer(&app, "ana", false, 0).await;
    let now_card = now.scorecard.as_ref().unwrap();
    assert_eq!(now_card.snapshot.as_ref().unwrap().version, 2);
    assert_eq!(now_card.kpis, live_card.kpis);
    assert_eq!(now_card.bonus_eligible, live_card.bonus_eligible);
    let first = agent_answer(&app, "ana", false, 1).await;
    assert_eq!(first.encode_to_vec(), at_close.encode_to_vec());
    let missing = app
        .scorecards()
        .get_agent_scorecard(pb::GetAgentScorecardRequest {
            agent_id: "ana".into(),
            period: Some(month("2026-10")),
            snapshot_version: 3,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);

    // Lists and breaches of the closed month page the snapshot.
    let breaches = app
        .scorecards()
        .list_threshold_breaches(pb::ListThresholdBreachesRequest {
            period: Some(month("2026-10")),
            snapshot_version: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(breaches.breaches.is_empty(), "nobody breached at the close");
    let breaches = app
        .scorecards()
        .list_threshold_breaches(pb::ListThresholdBreachesRequest {
            period: Some(month("2026-10")),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let breached: Vec<(&str, &str)> = breaches
        .breaches
        .iter()
        .map(|b| {
            (
                b.agent_id.as_str(),
                b.result.as_ref().unwrap().kpi_id.as_str(),
            )
        })
        .collect();
    assert_eq!(breached, vec![("ana", "csat")]);
    let listed = app
        .scorecards()
        .list_agent_scorecards(pb::ListAgentScorecardsRequest {
            period: Some(month("2026-10")),
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.scorecards.len(), 1);
    assert_eq!(listed.scorecards[0].agent_id, "ana");
    assert!(!listed.next_page_token.is_empty());
    let team = app
        .scorecards()
        .get_team_scorecard(pb::GetTeamScorecardRequest {
            team_id: "red".into(),
            period: Some(month("2026-10")),
            snapshot_version: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let team_card = team.scorecard.unwrap();
    assert_eq!(team_card.snapshot.as_ref().unwrap().version, 1);
    // At the close: 3 CSAT responses, all satisfied.
    assert_eq!(
        (
            kpi(&team_card, "csat").numerator,
            kpi(&team_card, "csat").denominator
        ),
        (3.0, 3.0)
    );
}

async fn changes_effective_inside_a_closed_month_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    close(&app, "2026-10").await;
    let policy = |effective_from: &str| pb::CreatePolicyVersionRequest {
        policy: Some(pb::PolicyVersion {
            effective_from: effective_from.into(),
            bonus_threshold: 0.0,
            rules: vec![at_least("csat", 10.0)],
            ..Default::default()
        }),
        request_id: String::new(),
    };
    for back_dated in ["2026-10-15", "2026-09-01"] {
        let refused = app
            .policies()
            .create_policy_version(policy(back_dated))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::FailedPrecondition, "{back_dated}");
        assert_eq!(error_reason(&refused).as_deref(), Some("PERIOD_CLOSED"));
        assert!(
            refused.message().contains("2026-10"),
            "{}",
            refused.message()
        );
    }
    // Into an open month it applies; sent twice with one request id, it is
    // stored once.
    let with_id = pb::CreatePolicyVersionRequest {
        request_id: "payroll-policy-1".into(),
        ..policy("2026-11-01")
    };
    let first = app
        .policies()
        .create_policy_version(with_id.clone())
        .await
        .expect("a policy effective in an open month applies")
        .into_inner();
    let retry = app
        .policies()
        .create_policy_version(with_id)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first, retry);
    let reused = app
        .policies()
        .create_policy_version(pb::CreatePolicyVersionRequest {
            request_id: "payroll-policy-1".into(),
            ..policy("2026-12-01")
        })
        .await
        .unwrap_err();
    assert_eq!(reused.code(), Code::InvalidArgument);
    let versions = app
        .policies()
        .list_policy_versions(pb::ListPolicyVersionsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(versions.policies.len(), 1);
}

async fn closing_needs_an_ended_month_and_request_ids_make_retries_safe(backend: Backend) {
    let app = spawn_app(backend).await;
    ingest_interactions(&app, vec![call("c1", "ana", "2026-09-03T09:00:00Z")]).await;
    let not_over = periods(&app)
        .close_period(pb::ClosePeriodRequest {
            month: "2099-01".into(),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(not_over.code(), Code::FailedPrecondition);
    assert_eq!(error_reason(&not_over).as_deref(), Some("PERIOD_NOT_ENDED"));
    let bad = periods(&app)
        .close_period(pb::ClosePeriodRequest {
            month: "2026-9".into(),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);

    let open = periods(&app)
        .get_period(pb::GetPeriodRequest {
            month: "2026-09".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .period
        .unwrap();
    assert_eq!(open.state, pb::PeriodState::Open as i32);
    let not_closed = periods(&app)
        .restate_period(pb::RestatePeriodRequest {
            month: "2026-09".into(),
            reason: "why not".into(),
            request_id: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        error_reason(&not_closed).as_deref(),
        Some("PERIOD_NOT_CLOSED")
    );

    close(&app, "2026-09").await;
    assert!(close(&app, "2026-09").await.already_closed);

    let restate = |request_id: &str, reason: &str| pb::RestatePeriodRequest {
        month: "2026-09".into(),
        reason: reason.into(),
        request_id: request_id.into(),
    };
    let first = periods(&app)
        .restate_period(restate("r-1", "late data"))
        .await
        .unwrap()
        .into_inner();
    let retry = periods(&app)
        .restate_period(restate("r-1", "late data"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first, retry);
    assert_eq!(first.period.as_ref().unwrap().current_version, 2);
    let reused = periods(&app)
        .restate_period(restate("r-1", "another reason"))
        .await
        .unwrap_err();
    assert_eq!(reused.code(), Code::InvalidArgument);
    let listed = periods(&app)
        .list_periods(pb::ListPeriodsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.periods.len(), 1);
    assert_eq!(listed.periods[0].versions.len(), 2);
    // ListAdjustments: nothing changed since version 2.
    let adjustments = periods(&app)
        .list_adjustments(pb::ListAdjustmentsRequest {
            month: "2026-09".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(adjustments.agents.is_empty());
    assert_eq!(adjustments.records_changed_since_snapshot, 0);
}
