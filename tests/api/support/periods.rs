//! Period selectors, and closing and restating months.

use kpi_service::grpc::pb::{self, period_service_client::PeriodServiceClient};
use tonic::transport::Channel;

use super::app::{at, TestApp};

/// A calendar month, "YYYY-MM", of the reporting zone.
pub fn month(month: &str) -> pb::PeriodSelector {
    pb::PeriodSelector {
        period: Some(pb::period_selector::Period::Month(month.into())),
    }
}

/// A day, "YYYY-MM-DD", of the reporting zone.
pub fn day(day: &str) -> pb::PeriodSelector {
    pb::PeriodSelector {
        period: Some(pb::period_selector::Period::Day(day.into())),
    }
}

/// The ISO week (Monday to Monday) that contains `date`.
pub fn iso_week(date: &str) -> pb::PeriodSelector {
    pb::PeriodSelector {
        period: Some(pb::period_selector::Period::IsoWeek(date.into())),
    }
}

/// A pay period by its id ("2026-W41+2", "2026-10-H1", ...).
pub fn pay_period(id: &str) -> pb::PeriodSelector {
    pb::PeriodSelector {
        period: Some(pb::period_selector::Period::PayPeriod(id.into())),
    }
}

/// The instants `[start, end)`, RFC 3339.
pub fn custom(start: &str, end: &str) -> pb::PeriodSelector {
    pb::PeriodSelector {
        period: Some(pb::period_selector::Period::Custom(pb::TimeRange {
            start_time: Some(at(start)),
            end_time: Some(at(end)),
        })),
    }
}

/// A PeriodService client on the app's channel.
pub fn periods(app: &TestApp) -> PeriodServiceClient<Channel> {
    PeriodServiceClient::new(app.channel.clone())
}

/// ClosePeriod of `month` ("YYYY-MM"), which must succeed.
pub async fn close_month(app: &TestApp, month: &str) -> pb::ClosePeriodResponse {
    periods(app)
        .close_period(pb::ClosePeriodRequest {
            month: month.into(),
            request_id: String::new(),
            ..Default::default()
        })
        .await
        .unwrap_or_else(|status| panic!("ClosePeriod({month}) failed: {status:?}"))
        .into_inner()
}

/// RestatePeriod of `month` with `reason`, which must succeed.
pub async fn restate_month(app: &TestApp, month: &str, reason: &str) -> pb::Period {
    periods(app)
        .restate_period(pb::RestatePeriodRequest {
            month: month.into(),
            reason: reason.into(),
            request_id: String::new(),
            ..Default::default()
        })
        .await
        .unwrap_or_else(|status| panic!("RestatePeriod({month}) failed: {status:?}"))
        .into_inner()
        .period
        .expect("no period in the response")
}

/// ClosePeriod of the pay period `id`, which must succeed.
pub async fn close_pay_period(app: &TestApp, id: &str) -> pb::Period {
    periods(app)
        .close_period(pb::ClosePeriodRequest {
            pay_period: id.into(),
            ..Default::default()
        })
        .await
        .unwrap_or_else(|status| panic!("ClosePeriod({id}) failed: {status:?}"))
        .into_inner()
        .period
        .expect("no period in the response")
}

/// RestatePeriod of the pay period `id` with `reason`, which must succeed.
pub async fn restate_pay_period(app: &TestApp, id: &str, reason: &str) -> pb::Period {
    periods(app)
        .restate_period(pb::RestatePeriodRequest {
            pay_period: id.into(),
            reason: reason.into(),
            ..Default::default()
        })
        .await
        .unwrap_or_else(|status| panic!("RestatePeriod({id}) failed: {status:?}"))
        .into_inner()
        .period
        .expect("no period in the response")
}
