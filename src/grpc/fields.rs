//! Parsing single protobuf fields into domain values, recording a violation
//! (with the field's full path) for every rule broken.

use chrono::{DateTime, Utc};

use crate::domain::{
    period::{earliest_instant, end_of_calendar},
    violations::{nested, Violations},
};
use crate::{domain::idempotency::IdempotencyKey, error::ServiceError};

/// Longest `source`.
pub const MAX_SOURCE_LEN: usize = 64;
/// Longest id (external ids, agent, team, course ids).
pub const MAX_ID_LEN: usize = 128;
/// Longest display name.
pub const MAX_NAME_LEN: usize = 200;
/// Highest `revision` a record may carry: 2^53 - 1, the largest integer
/// every client language holds exactly (JavaScript's `MAX_SAFE_INTEGER`),
/// and room for a revision taken from a clock in microseconds until the
/// year 2255. A ceiling keeps one bogus delivery (`i64::MAX`) from freezing
/// a record against every later correction.
pub const MAX_REVISION: i64 = (1 << 53) - 1;

/// Parses the fields of one message whose path is `path`.
pub struct FieldParser<'a> {
    path: String,
    violations: &'a mut Violations,
}

impl<'a> FieldParser<'a> {
    pub fn new(path: impl Into<String>, violations: &'a mut Violations) -> Self {
        Self {
            path: path.into(),
            violations,
        }
    }

    /// The full path of `field`.
    pub fn path_of(&self, field: &str) -> String {
        if self.path.is_empty() {
            field.to_owned()
        } else {
            nested(&self.path, field)
        }
    }

    /// Violations recorded so far by every parser sharing the collector.
    pub fn violation_count(&self) -> usize {
        self.violations.len()
    }

    pub fn violation(&mut self, field: &str, description: impl Into<String>) {
        let path = self.path_of(field);
        self.violations.add(path, description);
    }

    /// A required identifier: non-empty, at most `max_len` characters, no
    /// control characters, no surrounding white space.
    pub fn required_id(&mut self, field: &str, value: &str, max_len: usize) -> String {
        if value.is_empty() {
            self.violation(field, format!("{field} is required"));
        } else {
            self.check_id(field, value, max_len);
        }
        value.to_owned()
    }

    /// An optional identifier: empty means absent.
    pub fn optional_id(&mut self, field: &str, value: &str, max_len: usize) -> Option<String> {
        if value.is_empty() {
            return None;
        }
        self.check_id(field, value, max_len);
        Some(value.to_owned())
    }

    fn check_id(&mut self, field: &str, value: &str, max_len: usize) {
        let length = value.chars().count();
        if length > max_len {
            self.violation(
                field,
                format!("{field} is {length} characters long; at most {max_len} are allowed"),
            );
        }
        if value.chars().any(char::is_control) || value.trim() != value {
            self.violation(
                field,
                format!("{field} must not contain control characters or surrounding spaces"),
            );
        }
    }

    /// Free text such as a display name: at most `max_len` characters, no
    /// control characters (NUL, line breaks, ...), which PostgreSQL refuses
    /// (NUL) or which break logs and reports.
    pub fn text(&mut self, field: &str, value: &str, max_len: usize) -> String {
        let length = value.chars().count();
        if length > max_len {
            self.violation(
                field,
                format!("{field} is {length} characters long; at most {max_len} are allowed"),
            );
        }
        if value.chars().any(char::is_control) {
            self.violation(
                field,
                format!("{field} must not contain control characters (NUL, line breaks, ...)"),
            );
        }
        value.to_owned()
    }

    /// A required timestamp, truncated to microseconds.
    pub fn required_instant(
        &mut self,
        field: &str,
        value: Option<&prost_types::Timestamp>,
    ) -> Option<DateTime<Utc>> {
        match value {
            None => {
                self.violation(field, format!("{field} is required"));
                None
            }
            Some(timestamp) => self.instant(field, timestamp),
        }
    }

    /// An optional timestamp, truncated to microseconds.
    pub fn optional_instant(
        &mut self,
        field: &str,
        value: Option<&prost_types::Timestamp>,
    ) -> Option<DateTime<Utc>> {
        value.and_then(|timestamp| self.instant(field, timestamp))
    }

    fn instant(
        &mut self,
        field: &str,
        timestamp: &prost_types::Timestamp,
    ) -> Option<DateTime<Utc>> {
        let parsed = u32::try_from(timestamp.nanos)
            .ok()
            .filter(|nanos| *nanos < 1_000_000_000)
            .and_then(|nanos| DateTime::from_timestamp(timestamp.seconds, nanos - nanos % 1_000));
        match parsed {
            Some(instant) if instant >= earliest_instant() && instant < end_of_calendar() => {
                Some(instant)
            }
            _ => {
                self.violation(
                    field,
                    format!("{field} must be a valid timestamp between 2000-01-01 and 9999-12-31"),
                );
                None
            }
        }
    }

    /// Records a violation if `instant` lies after `latest` (now plus the
    /// clock-skew tolerance).
    pub fn not_in_future(
        &mut self,
        field: &str,
        instant: Option<DateTime<Utc>>,
        latest: DateTime<Utc>,
    ) {
        if let Some(instant) = instant {
            if instant > latest {
                self.violation(
                    field,
                    format!("{field} lies in the future ({instant}); records describe what already happened"),
                );
            }
        }
    }

    /// Records a violation unless `earlier <= later` (when both are known).
    pub fn ordered(
        &mut self,
        later_field: &str,
        earlier: Option<DateTime<Utc>>,
        later: Option<DateTime<Utc>>,
        earlier_field: &str,
    ) {
        if let (Some(earlier), Some(later)) = (earlier, later) {
            if later < earlier {
                self.violation(
                    later_field,
                    format!("{later_field} must not be before {earlier_field}"),
                );
            }
        }
    }

    /// A count of seconds within `0..=max`.
    pub fn seconds(&mut self, field: &str, value: i64, max: i64) -> i64 {
        if !(0..=max).contains(&value) {
            self.violation(
                field,
                format!("{field} must be between 0 and {max} seconds"),
            );
        }
        value
    }

    /// An optional revision, 0 to [`MAX_REVISION`].
    pub fn revision(&mut self, value: Option<i64>) -> Option<i64> {
        if let Some(revision) = value {
            if !(0..=MAX_REVISION).contains(&revision) {
                self.violation(
                    "revision",
                    format!("revision must be between 0 and {MAX_REVISION} (2^53 - 1)"),
                );
            }
        }
        value
    }
}

/// A required top-level id field of a request.
pub fn required_request_id(field: &str, value: &str) -> Result<String, ServiceError> {
    let mut violations = Violations::new();
    let id = FieldParser::new("", &mut violations).required_id(field, value, MAX_ID_LEN);
    violations
        .into_result(id)
        .map_err(ServiceError::invalid_fields)
}

/// An optional top-level id field of a request (empty = absent).
pub fn optional_request_id(field: &str, value: &str) -> Result<Option<String>, ServiceError> {
    let mut violations = Violations::new();
    let id = FieldParser::new("", &mut violations).optional_id(field, value, MAX_ID_LEN);
    violations
        .into_result(id)
        .map_err(ServiceError::invalid_fields)
}

/// Longest client request id (AIP-155).
const MAX_REQUEST_ID_LEN: usize = 128;

/// A client's optional `request_id` (AIP-155): empty for none, else 1-128
/// printable characters.
pub fn optional_request_id_text(text: &str) -> Result<Option<&str>, ServiceError> {
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > MAX_REQUEST_ID_LEN || text.chars().any(char::is_control) {
        return Err(ServiceError::invalid_field(
            "request_id",
            format!("request_id must be 1-{MAX_REQUEST_ID_LEN} printable characters"),
        ));
    }
    Ok(Some(text))
}

/// The idempotency key of a create (AIP-155): its `request_id` (if any)
/// and a digest of the rest of the request, `body`, which a retry must
/// repeat.
pub fn idempotency_key<M: prost::Message>(
    request_id_text: &str,
    method: &'static str,
    body: &M,
) -> Result<Option<IdempotencyKey>, ServiceError> {
    Ok(optional_request_id_text(request_id_text)?
        .map(|id| IdempotencyKey::new(id, method, &body.encode_to_vec())))
}
