//! Closed pay periods record the kind and zone they were closed under; a
//! service started with another kind refuses to start and says why.

use kpi_service::{domain::pay_period::PayCalendar, startup::Application};

use super::{fortnight_closed, two_week_app, FORTNIGHT};
use crate::{
    on_both_backends,
    support::{app::Backend, periods::close_pay_period},
};

on_both_backends!(
    a_changed_pay_period_kind_with_closed_periods_refuses_to_start,
    a_changed_kind_without_closed_periods_starts,
    a_changed_zone_is_refused_even_with_rollups_rebuilt_for_it,
);

async fn a_changed_pay_period_kind_with_closed_periods_refuses_to_start(backend: Backend) {
    let app = fortnight_closed(backend).await;

    for (kind, first_monday) in [("month", ""), ("two_weeks", "2026-10-12")] {
        let mut settings = app.settings().clone();
        settings.payroll.pay_period = kind.into();
        settings.payroll.two_weeks_first_monday = first_monday.into();
        let error = Application::build(settings)
            .await
            .err()
            .unwrap_or_else(|| panic!("started with pay periods {kind} {first_monday}"));
        let message = format!("{error:#}");
        assert!(message.contains("payroll.pay_period"), "{message}");
        assert!(message.contains("two_weeks from 2026-10-05"), "{message}");
    }

    // The settings it was closed under still start.
    let same = Application::build(app.settings().clone()).await;
    assert!(same.is_ok(), "{:?}", same.err());
    let _ = FORTNIGHT;
}

async fn a_changed_kind_without_closed_periods_starts(backend: Backend) {
    let app = two_week_app(backend).await;
    let mut settings = app.settings().clone();
    settings.payroll.pay_period = "month".into();

    assert!(Application::build(settings).await.is_ok());
    // And the fortnight app closes as before.
    close_pay_period(&app, "2026-W39+2").await;
}

async fn a_changed_zone_is_refused_even_with_rollups_rebuilt_for_it(backend: Backend) {
    let app = fortnight_closed(backend).await;
    let calendar = app.settings().payroll.pay_calendar();
    assert!(matches!(calendar, PayCalendar::TwoWeeks { .. }));
    // The rollups can be rebuilt for another zone; the closed fortnight's
    // days cannot.
    app.database
        .rebuild_rollups(chrono_tz::Europe::Berlin)
        .await
        .unwrap();

    let refused = app
        .database
        .check_closed_periods(chrono_tz::Europe::Berlin, calendar)
        .await
        .unwrap_err()
        .to_string();

    assert!(refused.contains("reporting.time_zone"), "{refused}");
    assert!(refused.contains("UTC"), "{refused}");
    app.database
        .check_closed_periods(chrono_tz::UTC, calendar)
        .await
        .unwrap();
}
