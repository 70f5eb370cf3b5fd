//! The one mapping from [`ServiceError`] to `tonic::Status`: code, a message
//! that stands on its own, and the details (ErrorInfo always; BadRequest,
//! ResourceInfo, RetryInfo where they apply). Internal causes were logged
//! where they happened and are never sent.

use std::{collections::HashMap, time::Duration};

use tonic::{metadata::MetadataValue, Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use super::{CursorRefusal, ServiceError};

/// The error domain of every ErrorInfo.
pub const ERROR_DOMAIN: &str = "kpi.v1";
/// How long a client should wait before retrying an UNAVAILABLE or shed call.
pub const RETRY_DELAY: Duration = Duration::from_secs(1);
/// The response metadata key that mirrors RetryInfo for gRPC retry policies.
pub const RETRY_PUSHBACK_KEY: &str = "grpc-retry-pushback-ms";
/// Violations quoted in the plain-text message (all are in the details).
const VIOLATIONS_IN_MESSAGE: usize = 3;
/// Longest violation description sent, in bytes.
const MAX_DESCRIPTION_BYTES: usize = 300;
/// Longest message sent, in bytes: trailers stay far below every client's
/// metadata limit, whatever a caller put in a field.
const MAX_MESSAGE_BYTES: usize = 900;

/// `text` cut to at most `max_bytes` (on a character boundary).
fn bounded(mut text: String, max_bytes: usize) -> String {
    if text.len() > max_bytes {
        let mut end = max_bytes.saturating_sub(3);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str("...");
    }
    text
}

/// A status whose details carry RetryInfo, mirrored in the pushback metadata.
fn retryable(code: Code, message: &str, mut details: ErrorDetails) -> Status {
    details.set_retry_info(Some(RETRY_DELAY));
    let mut status = Status::with_error_details(code, message, details);
    status.metadata_mut().insert(
        RETRY_PUSHBACK_KEY,
        MetadataValue::from(RETRY_DELAY.as_millis() as u64),
    );
    status
}

impl From<ServiceError> for Status {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::InvalidArgument { reason, violations } => {
                let mut details = error_info(reason);
                let mut message =
                    format!("the request has {} invalid field(s): ", violations.len());
                let quoted: Vec<String> = violations
                    .iter()
                    .take(VIOLATIONS_IN_MESSAGE)
                    .map(ToString::to_string)
                    .collect();
                message.push_str(&quoted.join("; "));
                if violations.len() > VIOLATIONS_IN_MESSAGE {
                    message.push_str("; ... (all are listed in the BadRequest detail)");
                }
                for violation in violations {
                    details.add_bad_request_violation(
                        bounded(violation.field, MAX_DESCRIPTION_BYTES),
                        bounded(violation.description, MAX_DESCRIPTION_BYTES),
                    );
                }
                Status::with_error_details(
                    Code::InvalidArgument,
                    bounded(message, MAX_MESSAGE_BYTES),
                    details,
                )
            }
            ServiceError::Unauthenticated { reason } => Status::with_error_details(
                Code::Unauthenticated,
                format!("the call needs valid credentials ({reason})"),
                error_info(reason),
            ),
            ServiceError::PermissionDenied { scope } => {
                let mut details = ErrorDetails::new();
                details.set_error_info(
                    "SCOPE_MISSING",
                    ERROR_DOMAIN,
                    HashMap::from([("scope".to_owned(), scope.clone())]),
                );
                Status::with_error_details(
                    Code::PermissionDenied,
                    format!("the caller's credentials lack the scope {scope:?}"),
                    details,
                )
            }
            ServiceError::NotFound {
                reason,
                resource_type,
                name,
            } => {
                let name = bounded(name, MAX_DESCRIPTION_BYTES);
                let mut details = error_info(reason);
                details.set_resource_info(resource_type, name.clone(), "", "not found");
                Status::with_error_details(
                    Code::NotFound,
                    format!("{resource_type} {name:?} was not found"),
                    details,
                )
            }
            ServiceError::FailedPrecondition {
                reason,
                message,
                month,
            } => {
                let mut details = ErrorDetails::new();
                details.set_error_info(
                    reason,
                    ERROR_DOMAIN,
                    HashMap::from([("month".to_owned(), month)]),
                );
                Status::with_error_details(Code::FailedPrecondition, message, details)
            }
            ServiceError::Unavailable => retryable(
                Code::Unavailable,
                "the service's database is unavailable; nothing was written, retry later",
                error_info("DATABASE_UNAVAILABLE"),
            ),
            ServiceError::Overloaded { heavy: false } => retryable(
                Code::ResourceExhausted,
                "the service is running as many calls as it allows; nothing was done, \
                 retry after the delay",
                error_info("TOO_MANY_REQUESTS"),
            ),
            ServiceError::Overloaded { heavy: true } => retryable(
                Code::ResourceExhausted,
                "the service is running as many organisation-wide scorecard and breach \
                 calls as it allows; nothing was done, retry after the delay",
                error_info("TOO_MANY_HEAVY_REQUESTS"),
            ),
            ServiceError::DatabaseBusy => retryable(
                Code::ResourceExhausted,
                "no database connection became free in time: the service is busy; \
                 nothing was written, retry after the delay",
                error_info("DATABASE_BUSY"),
            ),
            ServiceError::MessageTooLarge { limit_bytes } => Status::with_error_details(
                Code::ResourceExhausted,
                format!(
                    "the request message is larger than the {limit_bytes} bytes the service \
                     accepts; send smaller batches"
                ),
                error_info("MESSAGE_TOO_LARGE"),
            ),
            ServiceError::Timeout { limit } => Status::with_error_details(
                Code::DeadlineExceeded,
                format!(
                    "the call did not finish within the server's limit of {} s; \
                     a write may or may not have been committed, retrying is safe",
                    limit.as_secs()
                ),
                error_info("REQUEST_TIMEOUT"),
            ),
            ServiceError::Aborted => Status::with_error_details(
                Code::Aborted,
                "a concurrent write to the same records conflicted; retry the call",
                error_info("WRITE_CONFLICT"),
            ),
            ServiceError::ListingChanged => Status::with_error_details(
                Code::Aborted,
                "the numbers changed since the first page of this listing; restart it from the \
                 first page, or page by agent id or a closed month, which never skip or repeat \
                 an agent",
                error_info("DATA_CHANGED"),
            ),
            ServiceError::Internal => Status::with_error_details(
                Code::Internal,
                "internal error; nothing was written",
                error_info("INTERNAL"),
            ),
            ServiceError::Cursor { refusal, cursor } => cursor_status(refusal, cursor),
            ServiceError::Unimplemented { path } => Status::with_error_details(
                Code::Unimplemented,
                bounded(
                    format!("this server has no method {path:?}"),
                    MAX_MESSAGE_BYTES,
                ),
                error_info("METHOD_NOT_FOUND"),
            ),
        }
    }
}

/// The change feed's refusals and stream endings, each naming a cursor.
fn cursor_status(refusal: CursorRefusal, cursor: String) -> Status {
    let info = |reason: &str, key: &str| {
        let mut details = ErrorDetails::new();
        details.set_error_info(
            reason,
            ERROR_DOMAIN,
            HashMap::from([(key.to_owned(), cursor.clone())]),
        );
        details
    };
    match refusal {
        CursorRefusal::Expired => Status::with_error_details(
            Code::FailedPrecondition,
            format!(
                "the cursor is older than the change retention; the oldest cursor still \
                 available is {cursor:?}: resume from it (changes in between were pruned) or \
                 re-read the scorecards"
            ),
            info("CURSOR_EXPIRED", "oldest_cursor"),
        ),
        CursorRefusal::Future => Status::with_error_details(
            Code::OutOfRange,
            format!(
                "the cursor lies after the latest change {cursor:?}; pass a cursor this \
                 service returned"
            ),
            info("CURSOR_IN_FUTURE", "latest_cursor"),
        ),
        CursorRefusal::SlowReader => retryable(
            Code::ResourceExhausted,
            &format!(
                "the stream fell behind its buffer and was ended; resume from the last cursor \
                 received, {cursor:?}"
            ),
            info("SLOW_READER", "last_cursor"),
        ),
        CursorRefusal::Draining => retryable(
            Code::Unavailable,
            &format!(
                "the server is shutting down; resume from the last cursor received, {cursor:?}, \
                 on another replica or after the restart"
            ),
            info("SERVER_DRAINING", "last_cursor"),
        ),
        CursorRefusal::TooManyStreams => retryable(
            Code::ResourceExhausted,
            "the server has as many change streams open as it allows; retry after the delay",
            error_info("TOO_MANY_STREAMS"),
        ),
    }
}

fn error_info(reason: &str) -> ErrorDetails {
    let mut details = ErrorDetails::new();
    details.set_error_info(reason, ERROR_DOMAIN, HashMap::<String, String>::new());
    details
}

#[cfg(test)]
mod tests {
    use tonic_types::StatusExt;

    use super::*;

    #[test]
    fn every_retry_info_is_mirrored_in_the_pushback_metadata() {
        for error in [
            ServiceError::Unavailable,
            ServiceError::DatabaseBusy,
            ServiceError::Overloaded { heavy: false },
            ServiceError::Overloaded { heavy: true },
        ] {
            let status = Status::from(error);
            assert!(status.get_details_retry_info().is_some(), "{status:?}");
            assert_eq!(
                status
                    .metadata()
                    .get(RETRY_PUSHBACK_KEY)
                    .and_then(|value| value.to_str().ok()),
                Some("1000")
            );
        }
        let status = Status::from(ServiceError::Internal);
        assert!(status.metadata().get(RETRY_PUSHBACK_KEY).is_none());
    }

    #[test]
    fn huge_descriptions_are_capped_whatever_produced_them() {
        let status = Status::from(ServiceError::invalid_field(
            "period.day",
            "é".repeat(50_000),
        ));
        assert!(
            status.message().len() <= MAX_MESSAGE_BYTES,
            "{}",
            status.message().len()
        );
        let violations = status.get_details_bad_request().unwrap().field_violations;
        assert!(violations[0].description.len() <= MAX_DESCRIPTION_BYTES);
    }
}
