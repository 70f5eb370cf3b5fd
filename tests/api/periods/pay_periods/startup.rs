//! Closed pay periods record the kind and zone they were closed under; a
//! service started with another kind refuses to start and says why.

use kpi_service::startup::Application;

use super::{fortnight_closed, two_week_app, FORTNIGHT};
use crate::{
    on_both_backends,
    support::{app::Backend, periods::close_pay_period},
};

on_both_backends!(
    a_changed_pay_period_kind_with_closed_periods_refuses_to_start,
    a_changed_kind_without_closed_periods_starts,
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
