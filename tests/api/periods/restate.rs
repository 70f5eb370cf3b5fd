//! Restating a closed month takes a new snapshot version from today's data,
//! with a reason; earlier versions stay readable; a request id makes a
//! retry safe.

use kpi_service::grpc::pb::{self, KpiStatus::Breached};
use prost::Message;
use tonic::Code;

use super::{
    october_closed, october_restated_after_late_data, octobers_scorecard, send_late_october_data,
    REASON,
};
use crate::{
    on_both_backends,
    support::{
        app::{error_reason, Backend, TestApp},
        periods::{month, periods, restate_month},
        scorecards::{assert_close_option, assert_judged, kpi},
    },
};

on_both_backends!(
    restating_takes_a_new_version_with_its_reason,
    a_restated_month_answers_the_hand_computed_numbers_of_todays_data,
    earlier_snapshot_versions_stay_readable,
    an_unknown_snapshot_version_is_not_found,
    restating_a_month_that_is_not_closed_is_refused,
    a_restatement_retried_with_its_request_id_is_applied_once,
    a_request_id_reused_for_another_restatement_is_invalid,
    listed_periods_show_every_version,
);

fn restate_with_id(request_id: &str, reason: &str) -> pb::RestatePeriodRequest {
    pb::RestatePeriodRequest {
        month: "2026-10".into(),
        reason: reason.into(),
        request_id: request_id.into(),
        ..Default::default()
    }
}

async fn restating_takes_a_new_version_with_its_reason(backend: Backend) {
    let app = october_closed(backend).await;
    send_late_october_data(&app).await;

    let restated = restate_month(&app, "2026-10", REASON).await;

    assert_eq!(restated.current_version, 2);
    assert_eq!(restated.versions[1].reason, REASON);
}

async fn a_restated_month_answers_the_hand_computed_numbers_of_todays_data(backend: Backend) {
    let app = october_restated_after_late_data(backend).await;

    let answer = octobers_scorecard(&app, "ana", false, 0).await;

    // Ana's October now: c1 (Oct 10, CSAT 5) and c4 (Oct 20, CSAT 1); c2
    // is void. Each call handles in 300 s.
    let card = answer.scorecard.as_ref().unwrap();
    assert_eq!(card.snapshot.as_ref().unwrap().version, 2);
    assert_eq!(kpi(card, "contacts_handled").value, Some(2.0));
    // 2 contacts on 2 worked days.
    let per_day = kpi(card, "contacts_per_day");
    assert_eq!(
        (per_day.value, per_day.numerator, per_day.denominator),
        (Some(1.0), 2.0, 2.0)
    );
    assert_eq!(kpi(card, "aht").value, Some(300.0));
    let csat = kpi(card, "csat");
    assert_eq!((csat.numerator, csat.denominator), (1.0, 2.0));
    // 50 % against >= 80: breached by 30; the only judged KPI, so the
    // composite is 0, below the threshold of 80.
    assert_judged(card, "csat", Some(50.0), Breached, Some(-30.0));
    assert_close_option(card.composite_score, Some(0.0), "composite");
    assert!(!card.bonus_eligible);
    // And the same as a live read of the same data.
    let live = octobers_scorecard(&app, "ana", true, 0).await;
    let live_card = live.scorecard.as_ref().unwrap();
    assert_eq!(card.kpis, live_card.kpis);
    assert_eq!(card.bonus_eligible, live_card.bonus_eligible);
}

async fn earlier_snapshot_versions_stay_readable(backend: Backend) {
    let app = october_closed(backend).await;
    let at_close = octobers_scorecard(&app, "ana", false, 0).await;
    send_late_october_data(&app).await;
    restate_month(&app, "2026-10", REASON).await;

    let first = octobers_scorecard(&app, "ana", false, 1).await;

    assert_eq!(first.encode_to_vec(), at_close.encode_to_vec());
}

async fn an_unknown_snapshot_version_is_not_found(backend: Backend) {
    let app = october_restated_after_late_data(backend).await;

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
}

async fn restating_a_month_that_is_not_closed_is_refused(backend: Backend) {
    let app = october_closed(backend).await;

    let not_closed = periods(&app)
        .restate_period(pb::RestatePeriodRequest {
            month: "2026-09".into(),
            reason: "why not".into(),
            request_id: String::new(),
            ..Default::default()
        })
        .await
        .unwrap_err();

    assert_eq!(
        error_reason(&not_closed).as_deref(),
        Some("PERIOD_NOT_CLOSED")
    );
}

async fn restate(app: &TestApp, request: pb::RestatePeriodRequest) -> pb::RestatePeriodResponse {
    periods(app)
        .restate_period(request)
        .await
        .unwrap()
        .into_inner()
}

async fn a_restatement_retried_with_its_request_id_is_applied_once(backend: Backend) {
    let app = october_closed(backend).await;

    let first = restate(&app, restate_with_id("r-1", "late data")).await;
    let retry = restate(&app, restate_with_id("r-1", "late data")).await;

    assert_eq!(first, retry);
    assert_eq!(first.period.as_ref().unwrap().current_version, 2);
}

async fn a_request_id_reused_for_another_restatement_is_invalid(backend: Backend) {
    let app = october_closed(backend).await;
    restate(&app, restate_with_id("r-1", "late data")).await;

    let reused = periods(&app)
        .restate_period(restate_with_id("r-1", "another reason"))
        .await
        .unwrap_err();

    assert_eq!(reused.code(), Code::InvalidArgument);
}

async fn listed_periods_show_every_version(backend: Backend) {
    let app = october_closed(backend).await;
    restate(&app, restate_with_id("r-1", "late data")).await;
    restate(&app, restate_with_id("r-1", "late data")).await;

    let listed = periods(&app)
        .list_periods(pb::ListPeriodsRequest::default())
        .await
        .unwrap()
        .into_inner();

    assert_eq!(listed.periods.len(), 1);
    assert_eq!(listed.periods[0].versions.len(), 2, "the retry added none");
}
