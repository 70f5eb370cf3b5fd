//! Closing a month: a snapshot of every agent's and team's scorecard,
//! read back from then on; only an ended month can be closed, once.

use kpi_service::grpc::pb;
use tonic::Code;

use super::{october_closed, october_with_csat, octobers_scorecard};
use crate::{
    on_both_backends,
    support::{
        app::{error_reason, spawn_app, Backend},
        periods::{close_month, periods},
        scorecards::kpi,
    },
};

on_both_backends!(
    closing_a_month_snapshots_every_agent_and_team,
    a_closed_month_is_read_from_its_snapshot,
    closing_a_closed_month_again_says_it_already_was,
    closing_a_month_that_has_not_ended_is_refused,
    a_malformed_month_is_invalid,
    a_month_never_closed_is_open,
);

async fn closing_a_month_snapshots_every_agent_and_team(backend: Backend) {
    let app = october_with_csat(backend).await;

    let closed = close_month(&app, "2026-10").await;

    assert!(!closed.already_closed);
    let period = closed.period.unwrap();
    assert_eq!(
        (period.state, period.current_version),
        (pb::PeriodState::Closed as i32, 1)
    );
    // Ana and ben; red.
    assert_eq!(period.versions[0].agent_scorecards, 2);
    assert_eq!(period.versions[0].team_scorecards, 1);
}

async fn a_closed_month_is_read_from_its_snapshot(backend: Backend) {
    let app = october_closed(backend).await;

    let answer = octobers_scorecard(&app, "ana", false, 0).await;

    let card = answer.scorecard.as_ref().unwrap();
    assert_eq!(card.snapshot.as_ref().unwrap().version, 1);
    // Two CSAT 5 of two: 100 %, meets >= 80 (composite 100 >= 80).
    assert_eq!(kpi(card, "csat").value, Some(100.0));
    assert!(card.bonus_eligible);
}

async fn closing_a_closed_month_again_says_it_already_was(backend: Backend) {
    let app = october_closed(backend).await;

    let again = close_month(&app, "2026-10").await;

    assert!(again.already_closed);
    assert_eq!(again.period.unwrap().current_version, 1);
}

async fn closing_a_month_that_has_not_ended_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;

    let not_over = periods(&app)
        .close_period(pb::ClosePeriodRequest {
            month: "2099-01".into(),
            request_id: String::new(),
            ..Default::default()
        })
        .await
        .unwrap_err();

    assert_eq!(not_over.code(), Code::FailedPrecondition);
    assert_eq!(error_reason(&not_over).as_deref(), Some("PERIOD_NOT_ENDED"));
}

async fn a_malformed_month_is_invalid(backend: Backend) {
    let app = spawn_app(backend).await;

    let bad = periods(&app)
        .close_period(pb::ClosePeriodRequest {
            month: "2026-9".into(),
            request_id: String::new(),
            ..Default::default()
        })
        .await
        .unwrap_err();

    assert_eq!(bad.code(), Code::InvalidArgument);
}

async fn a_month_never_closed_is_open(backend: Backend) {
    let app = october_with_csat(backend).await;

    let open = periods(&app)
        .get_period(pb::GetPeriodRequest {
            month: "2026-10".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .period
        .unwrap();

    assert_eq!(open.state, pb::PeriodState::Open as i32);
}
