//! The one place where failures become `tonic::Status`. Every status carries
//! a `google.rpc.ErrorInfo` with a stable reason and the domain `kpi.v1`;
//! messages stand on their own and never contain SQL or internal causes
//! (those are logged here instead).
//!
//! | code               | reasons                                  | details      |
//! |--------------------|------------------------------------------|--------------|
//! | INVALID_ARGUMENT   | INVALID_FIELDS, BATCH_TOO_LARGE          | BadRequest   |
//! | UNAUTHENTICATED    | CREDENTIALS_MISSING, TOKEN_EXPIRED, ...  |              |
//! | PERMISSION_DENIED  | SCOPE_MISSING (metadata `scope`)         |              |
//! | NOT_FOUND          | TEAM_NOT_FOUND, AGENT_NOT_FOUND, ...     | ResourceInfo |
//! | RESOURCE_EXHAUSTED | TOO_MANY_REQUESTS, TOO_MANY_HEAVY_REQUESTS, DATABASE_BUSY | RetryInfo |
//! | RESOURCE_EXHAUSTED | MESSAGE_TOO_LARGE                        |              |
//! | UNAVAILABLE        | DATABASE_UNAVAILABLE                     | RetryInfo    |
//! | DEADLINE_EXCEEDED  | REQUEST_TIMEOUT                          |              |
//! | ABORTED            | WRITE_CONFLICT                           |              |
//! | INTERNAL           | INTERNAL                                 |              |
//!
//! Every RetryInfo is mirrored in the `grpc-retry-pushback-ms` response
//! metadata, which gRPC clients with a retry policy honour. Messages and
//! violation descriptions are capped in length, whatever produced them.

use std::{collections::HashMap, time::Duration};

use tonic::{metadata::MetadataValue, Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::{
    domain::violations::FieldViolation,
    storage::{directory::AgentUpsertError, ingest::IngestError, StorageError},
};

impl ApiError {
    /// FAILED_PRECONDITION (PERIOD_CLOSED): a change effective on `day`
    /// would alter the closed month `month`.
    pub fn period_closed(what: &str, day: chrono::NaiveDate, month: &str) -> Self {
        ApiError::FailedPrecondition {
            reason: "PERIOD_CLOSED",
            message: format!(
                "{what} effective {day} would change the closed month {month}; closed months \
                 never change silently: make it effective after the latest closed month, or \
                 restate the month"
            ),
            month: month.to_owned(),
        }
    }
}

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

/// Every failure an RPC can report.
#[derive(Debug)]
pub enum ApiError {
    /// Bad input; `violations` says which fields and why.
    InvalidArgument {
        reason: &'static str,
        violations: Vec<FieldViolation>,
    },
    /// No or bad credentials; `reason` says which (never the credential).
    Unauthenticated { reason: &'static str },
    /// The caller lacks `scope` (checked before existence).
    PermissionDenied { scope: String },
    /// A named resource does not exist.
    NotFound {
        reason: &'static str,
        resource_type: &'static str,
        name: String,
    },
    /// Refused because of a month's state (closed, or not over yet); the
    /// ErrorInfo metadata names the month.
    FailedPrecondition {
        reason: &'static str,
        message: String,
        month: String,
    },
    /// The database cannot be reached; retry later.
    Unavailable,
    /// Shed: the service already runs as many calls as its limit allows.
    /// `heavy` names the smaller limit of organisation-wide calls.
    Overloaded { heavy: bool },
    /// No database connection became free in time: the service is busy.
    DatabaseBusy,
    /// A request message larger than the service decodes.
    MessageTooLarge { limit_bytes: usize },
    /// The call ran past the server's own time limit.
    Timeout { limit: Duration },
    /// A concurrent write won; retry the call.
    Aborted,
    /// The numbers a paginated listing pages changed since its first page.
    ListingChanged,
    /// A bug; nothing internal is told to the caller.
    Internal,
}

impl ApiError {
    /// INVALID_ARGUMENT with reason INVALID_FIELDS.
    pub fn invalid_fields(violations: Vec<FieldViolation>) -> Self {
        ApiError::InvalidArgument {
            reason: "INVALID_FIELDS",
            violations,
        }
    }

    /// NOT_FOUND for an agent id.
    pub fn agent_not_found(agent_id: impl Into<String>) -> Self {
        ApiError::NotFound {
            reason: "AGENT_NOT_FOUND",
            resource_type: "agent",
            name: agent_id.into(),
        }
    }

    /// NOT_FOUND for a team id.
    pub fn team_not_found(team_id: impl Into<String>) -> Self {
        ApiError::NotFound {
            reason: "TEAM_NOT_FOUND",
            resource_type: "team",
            name: team_id.into(),
        }
    }

    /// INVALID_ARGUMENT about a single field.
    pub fn invalid_field(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::invalid_fields(vec![FieldViolation {
            field: field.into(),
            description: description.into(),
        }])
    }
}

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

impl From<ApiError> for Status {
    fn from(error: ApiError) -> Self {
        match error {
            ApiError::InvalidArgument { reason, violations } => {
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
            ApiError::Unauthenticated { reason } => Status::with_error_details(
                Code::Unauthenticated,
                format!("the call needs valid credentials ({reason})"),
                error_info(reason),
            ),
            ApiError::PermissionDenied { scope } => {
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
            ApiError::NotFound {
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
            ApiError::FailedPrecondition {
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
            ApiError::Unavailable => retryable(
                Code::Unavailable,
                "the service's database is unavailable; nothing was written, retry later",
                error_info("DATABASE_UNAVAILABLE"),
            ),
            ApiError::Overloaded { heavy: false } => retryable(
                Code::ResourceExhausted,
                "the service is running as many calls as it allows; nothing was done, \
                 retry after the delay",
                error_info("TOO_MANY_REQUESTS"),
            ),
            ApiError::Overloaded { heavy: true } => retryable(
                Code::ResourceExhausted,
                "the service is running as many organisation-wide scorecard and breach \
                 calls as it allows; nothing was done, retry after the delay",
                error_info("TOO_MANY_HEAVY_REQUESTS"),
            ),
            ApiError::DatabaseBusy => retryable(
                Code::ResourceExhausted,
                "no database connection became free in time: the service is busy; \
                 nothing was written, retry after the delay",
                error_info("DATABASE_BUSY"),
            ),
            ApiError::MessageTooLarge { limit_bytes } => Status::with_error_details(
                Code::ResourceExhausted,
                format!(
                    "the request message is larger than the {limit_bytes} bytes the service \
                     accepts; send smaller batches"
                ),
                error_info("MESSAGE_TOO_LARGE"),
            ),
            ApiError::Timeout { limit } => Status::with_error_details(
                Code::DeadlineExceeded,
                format!(
                    "the call did not finish within the server's limit of {} s; \
                     a write may or may not have been committed, retrying is safe",
                    limit.as_secs()
                ),
                error_info("REQUEST_TIMEOUT"),
            ),
            ApiError::Aborted => Status::with_error_details(
                Code::Aborted,
                "a concurrent write to the same records conflicted; retry the call",
                error_info("WRITE_CONFLICT"),
            ),
            ApiError::ListingChanged => Status::with_error_details(
                Code::Aborted,
                "the numbers changed since the first page of this listing; restart it from the \
                 first page, or page by agent id or a closed month, which never skip or repeat \
                 an agent",
                error_info("DATA_CHANGED"),
            ),
            ApiError::Internal => Status::with_error_details(
                Code::Internal,
                "internal error; nothing was written",
                error_info("INTERNAL"),
            ),
        }
    }
}

fn error_info(reason: &str) -> ErrorDetails {
    let mut details = ErrorDetails::new();
    details.set_error_info(reason, ERROR_DOMAIN, HashMap::<String, String>::new());
    details
}

impl From<StorageError> for ApiError {
    fn from(error: StorageError) -> Self {
        match &error {
            StorageError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "database unavailable");
                ApiError::Unavailable
            }
            StorageError::Busy(cause) => {
                tracing::warn!(error = %cause, "no database connection became free in time");
                ApiError::DatabaseBusy
            }
            StorageError::Conflict(cause) => {
                tracing::warn!(error = %cause, "write conflict survived retries");
                ApiError::Aborted
            }
            StorageError::Internal(cause) => {
                tracing::error!(error = %cause, "database error");
                ApiError::Internal
            }
            StorageError::Corrupt(what) => {
                tracing::error!(error = %what, "corrupt stored value");
                ApiError::Internal
            }
        }
    }
}

impl From<IngestError> for ApiError {
    fn from(error: IngestError) -> Self {
        match error {
            IngestError::Invalid(violations) => ApiError::invalid_fields(violations),
            IngestError::Storage(storage) => storage.into(),
        }
    }
}

impl From<AgentUpsertError> for ApiError {
    fn from(error: AgentUpsertError) -> Self {
        match error {
            AgentUpsertError::UnknownTeam(team_id) => ApiError::invalid_field(
                "agent.team_id",
                format!("team {team_id:?} is not in the directory; create it first"),
            ),
            AgentUpsertError::PeriodClosed {
                month,
                effective_from,
            } => ApiError::period_closed("a team move", effective_from, &month),
            AgentUpsertError::Storage(storage) => storage.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use tonic_types::StatusExt;

    use super::*;

    #[test]
    fn every_retry_info_is_mirrored_in_the_pushback_metadata() {
        for error in [
            ApiError::Unavailable,
            ApiError::DatabaseBusy,
            ApiError::Overloaded { heavy: false },
            ApiError::Overloaded { heavy: true },
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
        let status = Status::from(ApiError::Internal);
        assert!(status.metadata().get(RETRY_PUSHBACK_KEY).is_none());
    }

    #[test]
    fn huge_descriptions_are_capped_whatever_produced_them() {
        let status = Status::from(ApiError::invalid_field("period.day", "é".repeat(50_000)));
        assert!(
            status.message().len() <= MAX_MESSAGE_BYTES,
            "{}",
            status.message().len()
        );
        let violations = status.get_details_bad_request().unwrap().field_violations;
        assert!(violations[0].description.len() <= MAX_DESCRIPTION_BYTES);
    }
}
