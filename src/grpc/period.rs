//! `PeriodSelector` -> a resolved `[start, end)` in the reporting zone.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::{directory::timestamp, error::ApiError, pb};
use crate::domain::period::{resolve, Period, PeriodSpec};

/// Longest period a query may cover.
pub const MAX_PERIOD_DAYS: u32 = 366;

fn parse_date(field: &str, text: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        ApiError::invalid_field(
            field,
            format!("{field} must be a date written YYYY-MM-DD, got {text:?}"),
        )
    })
}

fn parse_instant(
    field: &str,
    value: Option<&prost_types::Timestamp>,
) -> Result<DateTime<Utc>, ApiError> {
    let timestamp =
        value.ok_or_else(|| ApiError::invalid_field(field, format!("{field} is required")))?;
    u32::try_from(timestamp.nanos)
        .ok()
        .and_then(|nanos| DateTime::from_timestamp(timestamp.seconds, nanos))
        .ok_or_else(|| ApiError::invalid_field(field, format!("{field} is not a valid timestamp")))
}

/// Parses and resolves the period in field `field` of a request.
pub fn resolve_period(
    field: &str,
    selector: Option<&pb::PeriodSelector>,
    zone: Tz,
) -> Result<Period, ApiError> {
    use pb::period_selector::Period as Selected;
    let selected = selector
        .and_then(|selector| selector.period.as_ref())
        .ok_or_else(|| {
            ApiError::invalid_field(
                field,
                format!("{field} is required: give day, iso_week, month or custom"),
            )
        })?;
    let spec = match selected {
        Selected::Day(text) => PeriodSpec::Day(parse_date(&format!("{field}.day"), text)?),
        Selected::IsoWeek(text) => {
            PeriodSpec::IsoWeek(parse_date(&format!("{field}.iso_week"), text)?)
        }
        Selected::Month(text) => {
            let field = format!("{field}.month");
            let full = if text.len() == 7 {
                format!("{text}-01")
            } else {
                text.clone()
            };
            PeriodSpec::Month(parse_date(&field, &full)?)
        }
        Selected::Custom(range) => PeriodSpec::Custom {
            start: parse_instant(
                &format!("{field}.custom.start_time"),
                range.start_time.as_ref(),
            )?,
            end: parse_instant(&format!("{field}.custom.end_time"), range.end_time.as_ref())?,
        },
    };
    resolve(spec, zone, MAX_PERIOD_DAYS)
        .map_err(|error| ApiError::invalid_field(field, error.to_string()))
}

/// The resolved period as returned to clients.
pub fn period_to_pb(period: &Period, zone: Tz) -> pb::ResolvedPeriod {
    pb::ResolvedPeriod {
        start_time: Some(timestamp(period.start)),
        end_time: Some(timestamp(period.end)),
        time_zone: zone.name().to_owned(),
    }
}
