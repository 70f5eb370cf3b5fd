//! The one place where failures become `tonic::Status`. Every status carries
//! a `google.rpc.ErrorInfo` with a stable reason and the domain `kpi.v1`;
//! messages stand on their own and never contain SQL or internal causes
//! (those are logged here instead).
//!
//! | code             | reasons                                  | details        |
//! |------------------|------------------------------------------|----------------|
//! | INVALID_ARGUMENT | INVALID_FIELDS, BATCH_TOO_LARGE          | BadRequest     |
//! | UNAUTHENTICATED  | CREDENTIALS_MISSING, TOKEN_EXPIRED, ...  |                |
//! | PERMISSION_DENIED| SCOPE_MISSING (metadata `scope`)         |                |
//! | NOT_FOUND        | TEAM_NOT_FOUND, AGENT_NOT_FOUND, ...     | ResourceInfo   |
//! | UNAVAILABLE      | DATABASE_UNAVAILABLE                     | RetryInfo      |
//! | ABORTED          | WRITE_CONFLICT                           |                |
//! | INTERNAL         | INTERNAL                                 |                |

use std::{collections::HashMap, time::Duration};

use tonic::{Code, Status};
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
/// How long a client should wait before retrying an UNAVAILABLE call.
const RETRY_DELAY: Duration = Duration::from_secs(1);
/// Violations quoted in the plain-text message (all are in the details).
const VIOLATIONS_IN_MESSAGE: usize = 3;

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
                    details.add_bad_request_violation(violation.field, violation.description);
                }
                Status::with_error_details(Code::InvalidArgument, message, details)
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
            ApiError::Unavailable => {
                let mut details = error_info("DATABASE_UNAVAILABLE");
                details.set_retry_info(Some(RETRY_DELAY));
                Status::with_error_details(
                    Code::Unavailable,
                    "the service's database is unavailable; nothing was written, retry later",
                    details,
                )
            }
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
            AgentUpsertError::Storage(storage) => storage.into(),
        }
    }
}
