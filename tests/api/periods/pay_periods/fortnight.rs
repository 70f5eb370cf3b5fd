//! Closing a two-week pay period: its bounds, its snapshot, reads of it,
//! and policies refused inside it.

use kpi_service::grpc::pb;

use super::{fortnight_closed, fortnight_scorecard, send_late_data, FORTNIGHT};
use crate::{
    on_both_backends,
    support::{
        app::{at, Backend},
        periods::periods,
        policies::at_least,
        scorecards::kpi,
    },
};

on_both_backends!(
    a_closed_fortnight_names_its_kind_and_bounds,
    a_read_of_exactly_the_fortnight_answers_from_its_snapshot,
    a_policy_effective_inside_a_closed_fortnight_is_refused_naming_it,
    closed_fortnights_are_listed,
);

async fn a_closed_fortnight_names_its_kind_and_bounds(backend: Backend) {
    let app = fortnight_closed(backend).await;

    let period = periods(&app)
        .get_period(pb::GetPeriodRequest {
            pay_period: FORTNIGHT.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .period
        .unwrap();

    assert_eq!(period.state(), pb::PeriodState::Closed);
    assert_eq!(period.pay_period, FORTNIGHT);
    assert_eq!(period.month, FORTNIGHT);
    assert_eq!(period.pay_period_kind(), pb::PayPeriodKind::TwoWeeks);
    // Monday Oct 5 to Monday Oct 19, UTC midnights.
    assert_eq!(period.start_time, Some(at("2026-10-05T00:00:00Z")));
    assert_eq!(period.end_time, Some(at("2026-10-19T00:00:00Z")));
    // Ana and ben; red.
    assert_eq!(period.versions[0].agent_scorecards, 2);
    assert_eq!(period.versions[0].team_scorecards, 1);
}

async fn a_read_of_exactly_the_fortnight_answers_from_its_snapshot(backend: Backend) {
    let app = fortnight_closed(backend).await;
    let at_close = fortnight_scorecard(&app, "ana", false).await;
    // c1 and c2 (both CSAT 5): 2/2 = 100 %; c0 (Oct 4) and c9 (Oct 19)
    // lie outside.
    assert_eq!(kpi(&at_close, "csat").value, Some(100.0));
    assert_eq!(kpi(&at_close, "contacts_handled").value, Some(2.0));
    let snapshot = at_close
        .snapshot
        .as_ref()
        .expect("not read from the snapshot");
    assert_eq!((snapshot.month.as_str(), snapshot.version), (FORTNIGHT, 1));

    send_late_data(&app).await;

    assert_eq!(fortnight_scorecard(&app, "ana", false).await, at_close);
    // Live: c1 (5) and c4 (1), c2 void: 1/2 = 50 %.
    let live = fortnight_scorecard(&app, "ana", true).await;
    assert!(live.snapshot.is_none());
    assert_eq!(kpi(&live, "csat").value, Some(50.0));
}

async fn a_policy_effective_inside_a_closed_fortnight_is_refused_naming_it(backend: Backend) {
    let app = fortnight_closed(backend).await;

    let refused = app
        .policies()
        .create_policy_version(pb::CreatePolicyVersionRequest {
            policy: Some(pb::PolicyVersion {
                effective_from: "2026-10-12".into(),
                rules: vec![at_least("csat", 50.0)],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap_err();

    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    assert!(
        refused.message().contains(FORTNIGHT),
        "{}",
        refused.message()
    );
    // From the first day after it, the policy is accepted.
    app.policies()
        .create_policy_version(pb::CreatePolicyVersionRequest {
            policy: Some(pb::PolicyVersion {
                effective_from: "2026-10-19".into(),
                rules: vec![at_least("csat", 50.0)],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("a policy after the closed fortnight was refused");
}

async fn closed_fortnights_are_listed(backend: Backend) {
    let app = fortnight_closed(backend).await;
    super::close_pay_period(&app, "2026-W39+2").await;

    let listed = periods(&app)
        .list_periods(pb::ListPeriodsRequest::default())
        .await
        .unwrap()
        .into_inner();

    let ids: Vec<&str> = listed
        .periods
        .iter()
        .map(|period| period.pay_period.as_str())
        .collect();
    assert_eq!(ids, vec![FORTNIGHT, "2026-W39+2"]);
}
