//! Pay-period ids: half months and ISO weeks (cut at local midnight in the
//! reporting zone, across a DST change), and ids that are not pay periods
//! of the configured kind.

use kpi_service::grpc::pb;

use super::{two_week_app, FORTNIGHT};
use crate::{
    on_both_backends,
    support::{
        app::{at, field_violations, spawn_app_with, Backend, TestApp},
        ingest::ingest_interactions,
        periods::{close_pay_period, iso_week, pay_period, periods},
        records::call,
        scorecards::{agent_scorecard, kpi},
    },
};

on_both_backends!(
    half_months_split_at_local_midnight_of_the_16th,
    an_iso_week_pay_period_answers_iso_week_reads_from_its_snapshot,
    ids_of_another_kind_are_invalid_with_the_field_named,
    a_month_is_not_a_pay_period_when_half_months_are_paid,
);

async fn half_month_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |settings| {
        settings.reporting.time_zone = "Europe/Berlin".into();
        settings.payroll.pay_period = "half_month".into();
    })
    .await
}

async fn get_period(app: &TestApp, id: &str) -> pb::Period {
    periods(app)
        .get_period(pb::GetPeriodRequest {
            pay_period: id.into(),
            ..Default::default()
        })
        .await
        .unwrap_or_else(|status| panic!("GetPeriod({id}) failed: {status:?}"))
        .into_inner()
        .period
        .unwrap()
}

async fn half_months_split_at_local_midnight_of_the_16th(backend: Backend) {
    let app = half_month_app(backend).await;
    // Berlin is UTC+2 until Sunday Oct 25: 21:30 UTC on the 15th is 23:30
    // local (first half), 22:30 UTC is 00:30 on the 16th (second half).
    ingest_interactions(
        &app,
        vec![
            call("h1", "ana", "2026-10-15T21:30:00Z"),
            call("h2", "ana", "2026-10-15T22:30:00Z"),
        ],
    )
    .await;

    let first = close_pay_period(&app, "2026-10-H1").await;

    assert_eq!(first.pay_period_kind(), pb::PayPeriodKind::HalfMonth);
    // Oct 1 00:00 local = Sep 30 22:00 UTC; Oct 16 00:00 = Oct 15 22:00 UTC.
    assert_eq!(first.start_time, Some(at("2026-09-30T22:00:00Z")));
    assert_eq!(first.end_time, Some(at("2026-10-15T22:00:00Z")));
    let ana = agent_scorecard(&app, "ana", pay_period("2026-10-H1")).await;
    assert!(ana.snapshot.is_some());
    assert_eq!(kpi(&ana, "contacts_handled").value, Some(1.0));
    // The second half is open; it ends at Nov 1 00:00 local, UTC+1 after
    // the change back on Oct 25: Oct 31 23:00 UTC.
    let second = get_period(&app, "2026-10-H2").await;
    assert_eq!(second.state(), pb::PeriodState::Open);
    assert_eq!(second.start_time, Some(at("2026-10-15T22:00:00Z")));
    assert_eq!(second.end_time, Some(at("2026-10-31T23:00:00Z")));
    let live = agent_scorecard(&app, "ana", pay_period("2026-10-H2")).await;
    assert!(live.snapshot.is_none());
    assert_eq!(kpi(&live, "contacts_handled").value, Some(1.0));
}

async fn an_iso_week_pay_period_answers_iso_week_reads_from_its_snapshot(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.payroll.pay_period = "iso_week".into();
    })
    .await;
    // Monday Oct 5 and Sunday Oct 11 are in 2026-W41; Oct 12 is not.
    ingest_interactions(
        &app,
        vec![
            call("w1", "ana", "2026-10-05T09:00:00Z"),
            call("w2", "ana", "2026-10-11T23:00:00Z"),
            call("w3", "ana", "2026-10-12T09:00:00Z"),
        ],
    )
    .await;

    let week = close_pay_period(&app, "2026-W41").await;

    assert_eq!(week.pay_period_kind(), pb::PayPeriodKind::IsoWeek);
    assert_eq!(week.start_time, Some(at("2026-10-05T00:00:00Z")));
    assert_eq!(week.end_time, Some(at("2026-10-12T00:00:00Z")));
    // The iso_week selector of any day of it is the same pay period.
    let ana = agent_scorecard(&app, "ana", iso_week("2026-10-08")).await;
    let snapshot = ana.snapshot.as_ref().expect("not from the snapshot");
    assert_eq!(snapshot.month, "2026-W41");
    assert_eq!(kpi(&ana, "contacts_handled").value, Some(2.0));
}

async fn ids_of_another_kind_are_invalid_with_the_field_named(backend: Backend) {
    let app = two_week_app(backend).await;
    // W42 is one week off the cycle from W41; the others are ids of other
    // kinds or no ids at all.
    for id in [
        "2026-W42+2",
        "2026-W41",
        "2026-10",
        "2026-10-H1",
        "W41",
        "2026-W41+3",
    ] {
        let refused = periods(&app)
            .close_period(pb::ClosePeriodRequest {
                pay_period: id.into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{id}");
        let violations = field_violations(&refused);
        assert_eq!(violations[0].0, "pay_period", "{id}");
        assert!(violations[0].1.contains("+2"), "{id}: {violations:?}");
    }
    let off_cycle = periods(&app)
        .get_period(pb::GetPeriodRequest {
            pay_period: "2026-W42+2".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        off_cycle.message().contains(FORTNIGHT),
        "names the pay periods around it: {}",
        off_cycle.message()
    );
    // A scorecard read of a pay period of another kind.
    let read = app
        .scorecards()
        .get_agent_scorecard(pb::GetAgentScorecardRequest {
            agent_id: "ana".into(),
            period: Some(pay_period("2026-10-H1")),
            live: false,
            snapshot_version: 0,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(read.code(), tonic::Code::InvalidArgument);
    assert_eq!(field_violations(&read)[0].0, "period.pay_period");
}

async fn a_month_is_not_a_pay_period_when_half_months_are_paid(backend: Backend) {
    let app = half_month_app(backend).await;

    let refused = periods(&app)
        .close_period(pb::ClosePeriodRequest {
            month: "2026-10".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();

    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert_eq!(field_violations(&refused)[0].0, "month");
    let missing = periods(&app)
        .close_period(pb::ClosePeriodRequest::default())
        .await
        .unwrap_err();
    assert_eq!(field_violations(&missing)[0].0, "pay_period");
}
