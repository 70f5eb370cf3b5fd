//! Intraday trends of an agent, a team and the organisation (UTC), with
//! the worked days of `contacts_per_day` counted per bucket; and what is
//! refused: more buckets than the cap, a granularity coarser than the
//! period, an organisation subject set to false.

use kpi_service::grpc::pb;

use super::intraday::{column, counts};
use crate::{
    on_both_backends,
    support::{
        app::{field_violations, spawn_app, Backend, TestApp},
        directory::{add_team, put_agent},
        ingest::ingest_interactions,
        periods::{custom, day, month},
        records::call,
        scorecards::assert_close_option,
    },
};

on_both_backends!(
    an_hourly_trend_of_an_agent_a_team_and_the_organisation,
    a_month_of_hours_fits_under_the_cap,
    more_buckets_than_the_cap_are_refused_naming_it,
    a_granularity_coarser_than_the_period_is_refused,
    an_organisation_subject_must_be_true,
);

use pb::get_kpi_trend_request::Subject;

async fn hourly(
    app: &TestApp,
    subject: Subject,
    period: pb::PeriodSelector,
    granularity: pb::TrendGranularity,
) -> Result<Vec<pb::TrendBucket>, tonic::Status> {
    app.scorecards()
        .get_kpi_trend(pb::GetKpiTrendRequest {
            subject: Some(subject),
            kpi_ids: vec!["contacts_handled".into(), "contacts_per_day".into()],
            period: Some(period),
            granularity: granularity as i32,
            ..Default::default()
        })
        .await
        .map(|response| response.into_inner().buckets)
}

/// Teams red (amy, bob) and blue (cat); calls on 10 November 2026 (UTC):
/// amy 09:10 and 09:40, bob 09:20, cat 09:50 and 10:05.
async fn three_agents_one_morning(backend: Backend) -> TestApp {
    let app = spawn_app(backend).await;
    add_team(&app, "red").await;
    add_team(&app, "blue").await;
    put_agent(&app, "amy", "red").await;
    put_agent(&app, "bob", "red").await;
    put_agent(&app, "cat", "blue").await;
    ingest_interactions(
        &app,
        vec![
            call("m-1", "amy", "2026-11-10T09:10:00Z"),
            call("m-2", "amy", "2026-11-10T09:40:00Z"),
            call("m-3", "bob", "2026-11-10T09:20:00Z"),
            call("m-4", "cat", "2026-11-10T09:50:00Z"),
            call("m-5", "cat", "2026-11-10T10:05:00Z"),
        ],
    )
    .await;
    app
}

async fn an_hourly_trend_of_an_agent_a_team_and_the_organisation(backend: Backend) {
    let app = three_agents_one_morning(backend).await;
    let period = || day("2026-11-10");
    let granularity = pb::TrendGranularity::Hour;

    let amy = hourly(&app, Subject::AgentId("amy".into()), period(), granularity)
        .await
        .unwrap();
    let red = hourly(&app, Subject::TeamId("red".into()), period(), granularity)
        .await
        .unwrap();
    let everyone = hourly(&app, Subject::Organisation(true), period(), granularity)
        .await
        .unwrap();

    // Amy, 09:00: 2 contacts on 1 worked day -> 2 per day.
    assert_eq!(column(&amy, 0), counts(24, &[(9, 2.0)]));
    assert_close_option(amy[9].values[1].value, Some(2.0), "amy per day");
    // Red, 09:00: amy 2 + bob 1 = 3 contacts; worked days are agent-days
    // with a contact in the bucket: amy's and bob's = 2 -> 3 / 2 = 1.5.
    assert_eq!(column(&red, 0), counts(24, &[(9, 3.0)]));
    let red_per_day = &red[9].values[1];
    assert_eq!((red_per_day.numerator, red_per_day.denominator), (3.0, 2.0));
    assert_close_option(red_per_day.value, Some(1.5), "red per day");
    // Organisation, 09:00: amy 2 + bob 1 + cat 1 = 4 on 3 agent-days
    // -> 4 / 3; 10:00: cat's m-5, 1 on 1.
    assert_eq!(column(&everyone, 0), counts(24, &[(9, 4.0), (10, 1.0)]));
    assert_close_option(
        everyone[9].values[1].value,
        Some(4.0 / 3.0),
        "organisation per day at 09:00",
    );
    assert_close_option(
        everyone[10].values[1].value,
        Some(1.0),
        "organisation per day at 10:00",
    );
    // No contact, no worked day: contacts_per_day has no value.
    assert_eq!(everyone[8].values[1].value, None);
}

async fn a_month_of_hours_fits_under_the_cap(backend: Backend) {
    let app = three_agents_one_morning(backend).await;

    let november = hourly(
        &app,
        Subject::Organisation(true),
        month("2026-11"),
        pb::TrendGranularity::Hour,
    )
    .await
    .unwrap();

    // 30 UTC days of 24 hours = 720 buckets (<= 768); 10 November 09:00 is
    // bucket 9 x 24 + 9 = 225.
    assert_eq!(november.len(), 720);
    assert_eq!(november[225].values[0].value, Some(4.0));
}

async fn more_buckets_than_the_cap_are_refused_naming_it(backend: Backend) {
    let app = three_agents_one_morning(backend).await;

    // November in quarter-hours: 30 x 96 = 2,880 > 768.
    let quarters = hourly(
        &app,
        Subject::AgentId("amy".into()),
        month("2026-11"),
        pb::TrendGranularity::QuarterHour,
    )
    .await
    .unwrap_err();
    // 33 days of hours: 792 > 768.
    let hours = hourly(
        &app,
        Subject::TeamId("red".into()),
        custom("2026-11-01T00:00:00Z", "2026-12-04T00:00:00Z"),
        pb::TrendGranularity::Hour,
    )
    .await
    .unwrap_err();

    for status in [quarters, hours] {
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        let violations = field_violations(&status);
        assert_eq!(violations.len(), 1, "{violations:?}");
        let (field, description) = &violations[0];
        assert_eq!(field, "period");
        assert!(description.contains("at most 768"), "{description}");
    }
}

async fn a_granularity_coarser_than_the_period_is_refused(backend: Backend) {
    let app = three_agents_one_morning(backend).await;

    // 30 minutes cannot hold an hour; 10 minutes cannot hold a quarter.
    let hour = hourly(
        &app,
        Subject::AgentId("amy".into()),
        custom("2026-11-10T09:00:00Z", "2026-11-10T09:30:00Z"),
        pb::TrendGranularity::Hour,
    )
    .await
    .unwrap_err();
    let quarter = hourly(
        &app,
        Subject::Organisation(true),
        custom("2026-11-10T09:00:00Z", "2026-11-10T09:10:00Z"),
        pb::TrendGranularity::QuarterHour,
    )
    .await
    .unwrap_err();
    // The same 30 minutes in quarter-hours is fine: 09:00 and 09:15; amy's
    // 09:10 call is in the first.
    let fine = hourly(
        &app,
        Subject::AgentId("amy".into()),
        custom("2026-11-10T09:00:00Z", "2026-11-10T09:30:00Z"),
        pb::TrendGranularity::QuarterHour,
    )
    .await
    .unwrap();

    for status in [hour, quarter] {
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        let violations = field_violations(&status);
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert_eq!(violations[0].0, "granularity");
        assert!(violations[0].1.contains("coarser"), "{violations:?}");
    }
    assert_eq!(column(&fine, 0), vec![Some(1.0), Some(0.0)]);
}

async fn an_organisation_subject_must_be_true(backend: Backend) {
    let app = three_agents_one_morning(backend).await;

    let status = hourly(
        &app,
        Subject::Organisation(false),
        day("2026-11-10"),
        pb::TrendGranularity::Hour,
    )
    .await
    .unwrap_err();

    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert_eq!(field_violations(&status)[0].0, "organisation");
}
