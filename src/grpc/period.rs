//! `PeriodSelector` -> a resolved `[start, end)` in the reporting zone.

use crate::error::ServiceError;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::{directory::timestamp, pb};
use crate::domain::{
    pay_period::dates_of_any_id,
    period::{check_date, check_instant, Period, PeriodSpec},
    violations::quoted,
};

/// A date written `YYYY-MM-DD` within the supported calendar (2000-01-01 to
/// 9999-12-31); the error is the violation's description.
pub fn date_in_calendar(field: &str, text: &str) -> Result<NaiveDate, String> {
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        format!(
            "{field} must be a date written YYYY-MM-DD, got {}",
            quoted(text)
        )
    })?;
    check_date(date)
        .map_err(|_| format!("{field} must lie between 2000-01-01 and 9999-12-31, got {date}"))
}

/// [`date_in_calendar`] as a request error.
pub fn parse_date(field: &str, text: &str) -> Result<NaiveDate, ServiceError> {
    date_in_calendar(field, text)
        .map_err(|description| ServiceError::invalid_field(field, description))
}

/// A month written `YYYY-MM`, or any date `YYYY-MM-DD` of it.
fn parse_month(field: &str, text: &str) -> Result<NaiveDate, ServiceError> {
    if text.len() != 7 {
        return parse_date(field, text);
    }
    parse_date(field, &format!("{text}-01")).map_err(|_| {
        ServiceError::invalid_field(
            field,
            format!(
                "{field} must be a month written YYYY-MM between 2000-01 and 9999-12, got {}",
                quoted(text)
            ),
        )
    })
}

pub(super) fn parse_instant(
    field: &str,
    value: Option<&prost_types::Timestamp>,
) -> Result<DateTime<Utc>, ServiceError> {
    let timestamp =
        value.ok_or_else(|| ServiceError::invalid_field(field, format!("{field} is required")))?;
    u32::try_from(timestamp.nanos)
        .ok()
        .filter(|nanos| *nanos < 1_000_000_000)
        .and_then(|nanos| DateTime::from_timestamp(timestamp.seconds, nanos))
        .and_then(|instant| check_instant(instant).ok())
        .ok_or_else(|| {
            ServiceError::invalid_field(
                field,
                format!(
                    "{field} must be a valid timestamp from 2000-01-01T00:00:00Z to \
                     10000-01-01T00:00:00Z"
                ),
            )
        })
}

/// Parses the period in field `field` of a request (the use case resolves
/// it in the reporting zone and checks its length).
pub fn period_spec(
    field: &str,
    selector: Option<&pb::PeriodSelector>,
) -> Result<PeriodSpec, ServiceError> {
    use pb::period_selector::Period as Selected;
    let selected = selector
        .and_then(|selector| selector.period.as_ref())
        .ok_or_else(|| {
            ServiceError::invalid_field(
                field,
                format!("{field} is required: give day, iso_week, month, pay_period or custom"),
            )
        })?;
    Ok(match selected {
        Selected::Day(text) => PeriodSpec::Day(parse_date(&format!("{field}.day"), text)?),
        Selected::IsoWeek(text) => {
            PeriodSpec::IsoWeek(parse_date(&format!("{field}.iso_week"), text)?)
        }
        Selected::Month(text) => PeriodSpec::Month(parse_month(&format!("{field}.month"), text)?),
        Selected::PayPeriod(text) => {
            let (first, after_last) = dates_of_any_id(text).map_err(|error| {
                ServiceError::invalid_field(
                    format!("{field}.pay_period"),
                    format!("{field}.pay_period: {error}"),
                )
            })?;
            PeriodSpec::PayPeriod { first, after_last }
        }
        Selected::Custom(range) => PeriodSpec::Custom {
            start: parse_instant(
                &format!("{field}.custom.start_time"),
                range.start_time.as_ref(),
            )?,
            end: parse_instant(&format!("{field}.custom.end_time"), range.end_time.as_ref())?,
        },
    })
}

/// The resolved period as returned to clients.
pub fn period_to_pb(period: &Period, zone: Tz) -> pb::ResolvedPeriod {
    pb::ResolvedPeriod {
        start_time: Some(timestamp(period.start)),
        end_time: Some(timestamp(period.end)),
        time_zone: zone.name().to_owned(),
    }
}
