//! Issue 17: a period in progress read as of an instant, its pace and
//! forecast, and an agent among peers. The periods in progress are custom
//! 30-day ranges around the test's own clock (as_of must not lie in the
//! future, and records must not either), cut on whole hours so that the
//! elapsed fraction is exact.

use chrono::{DateTime, Duration, DurationRound, SecondsFormat, Utc};
use kpi_service::grpc::pb;

use crate::support::{
    app::TestApp,
    periods::custom,
    policies::{at_least, at_most, create_policy},
};

mod as_of;
mod bad_as_of;
mod forecast_breaches;
mod forecasts;
mod peers;

/// A 30-day period in progress read as of `as_of`, an instant at least an
/// hour before the test's now (records between `as_of` and now can be
/// placed after it).
pub struct InProgress {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub as_of: DateTime<Utc>,
}

impl InProgress {
    /// The period whose `as_of` lies `elapsed` after its start.
    pub fn with_elapsed(elapsed: Duration) -> Self {
        let hour = Utc::now()
            .duration_trunc(Duration::hours(1))
            .expect("the clock rounds to hours");
        let as_of = hour - Duration::hours(1);
        let start = as_of - elapsed;
        InProgress {
            start,
            end: start + Duration::days(30),
            as_of,
        }
    }

    /// Day 10 of 30: f = 1/3.
    pub fn day_ten() -> Self {
        Self::with_elapsed(Duration::days(10))
    }

    pub fn selector(&self) -> pb::PeriodSelector {
        custom(&rfc(self.start), &rfc(self.end))
    }

    pub fn as_of_pb(&self) -> prost_types::Timestamp {
        timestamp(self.as_of)
    }

    /// `offset` after the start, RFC 3339.
    pub fn after_start(&self, offset: Duration) -> String {
        rfc(self.start + offset)
    }

    /// `offset` after as_of, RFC 3339.
    pub fn after_as_of(&self, offset: Duration) -> String {
        rfc(self.as_of + offset)
    }
}

pub fn rfc(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn timestamp(instant: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: instant.timestamp(),
        nanos: 0,
    }
}

/// The organisation's policy of these tests: CSAT >= 85, privacy
/// compliance >= 100, at most 1 violation, at least 100 contacts (each
/// weight 1, minimum sample 1); no other KPI has a target.
pub async fn pace_policy(app: &TestApp) {
    create_policy(
        app,
        "",
        "2026-01-01",
        0.0,
        vec![
            at_least("csat", 85.0),
            at_least("privacy_compliance", 100.0),
            at_most("violations", 1.0),
            at_least("contacts_handled", 100.0),
        ],
    )
    .await;
}

/// The forecast of `kpi_id` in a scorecard, which must be there.
pub fn forecast_of<'a>(scorecard: &'a pb::Scorecard, kpi_id: &str) -> &'a pb::KpiForecast {
    crate::support::scorecards::kpi(scorecard, kpi_id)
        .forecast
        .as_ref()
        .unwrap_or_else(|| panic!("{kpi_id} has no forecast"))
}

pub fn forecast_status(forecast: &pb::KpiForecast) -> pb::ForecastStatus {
    pb::ForecastStatus::try_from(forecast.status).expect("unknown forecast status")
}
