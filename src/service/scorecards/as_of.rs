//! Reading a period in progress as of an instant (`as_of`): which instant
//! a read counts up to, checked against the period and the clock.

use chrono::{DateTime, Utc};

use crate::{domain::period::Period, error::ServiceError};

/// A request's `as_of`, parsed by the adapter (a malformed timestamp is an
/// error that waits for the access check), `None` when not given.
pub type AsOfField = Result<Option<DateTime<Utc>>, ServiceError>;

/// The instant a read of `period` counts up to: the caller's `as_of`,
/// checked (after the period's start, not after `now`, and only for a
/// period that has not ended); else `now` when a forecast of a period in
/// progress is asked for; else `None` (every stored record counts).
pub fn read_as_of(
    period: &Period,
    requested: AsOfField,
    forecast: bool,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, ServiceError> {
    let invalid = |description: String| Err(ServiceError::invalid_field("as_of", description));
    match requested? {
        Some(_) if period.end <= now => invalid(format!(
            "as_of applies to a period in progress; this period ended at {}",
            period.end.to_rfc3339()
        )),
        Some(as_of) if as_of <= period.start => invalid(format!(
            "as_of ({}) must lie after the period's start ({})",
            as_of.to_rfc3339(),
            period.start.to_rfc3339()
        )),
        Some(as_of) if as_of > now => invalid(format!(
            "as_of ({}) lies in the future; give an instant up to now",
            as_of.to_rfc3339()
        )),
        Some(as_of) => Ok(Some(as_of)),
        None if forecast && period.start < now && now < period.end => Ok(Some(now)),
        None => Ok(None),
    }
}

/// The part of a page token's fingerprint that an `as_of` adds.
pub fn as_of_key(as_of: Option<DateTime<Utc>>, forecast: bool) -> String {
    let instant = as_of
        .map(|instant| instant.timestamp_micros().to_string())
        .unwrap_or_default();
    format!("{instant}/{forecast}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instant(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
    }

    fn december() -> Period {
        Period {
            start: instant("2026-12-01T00:00:00Z"),
            end: instant("2027-01-01T00:00:00Z"),
        }
    }

    #[test]
    fn as_of_must_lie_inside_a_period_in_progress_and_not_in_the_future() {
        let now = instant("2026-12-10T12:00:00Z");
        let read = |as_of: &str| read_as_of(&december(), Ok(Some(instant(as_of))), false, now);
        assert_eq!(
            read("2026-12-10T00:00:00Z").unwrap(),
            Some(instant("2026-12-10T00:00:00Z"))
        );
        assert_eq!(read("2026-12-10T12:00:00Z").unwrap(), Some(now));
        for refused in [
            "2026-12-01T00:00:00Z",
            "2026-11-30T00:00:00Z",
            "2026-12-10T12:00:01Z",
            "2027-01-02T00:00:00Z",
        ] {
            let error = read(refused).unwrap_err();
            assert!(
                format!("{error:?}").contains("as_of"),
                "{refused}: {error:?}"
            );
        }
        // A period that has ended takes no as_of at all.
        let later = instant("2027-01-05T00:00:00Z");
        let ended = read_as_of(
            &december(),
            Ok(Some(instant("2026-12-10T00:00:00Z"))),
            false,
            later,
        );
        assert!(ended.is_err());
    }

    #[test]
    fn without_as_of_a_forecast_reads_as_of_now_and_a_plain_read_counts_everything() {
        let now = instant("2026-12-10T12:00:00Z");
        assert_eq!(
            read_as_of(&december(), Ok(None), true, now).unwrap(),
            Some(now)
        );
        assert_eq!(read_as_of(&december(), Ok(None), false, now).unwrap(), None);
        let later = instant("2027-01-05T00:00:00Z");
        assert_eq!(
            read_as_of(&december(), Ok(None), true, later).unwrap(),
            None
        );
    }
}
