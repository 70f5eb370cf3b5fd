//! The service's error vocabulary: every failure a call can report, with
//! its stable reason. `status` is the one place where it becomes a
//! `tonic::Status`. Every status carries
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
//! | UNIMPLEMENTED      | METHOD_NOT_FOUND                         |              |
//! | FAILED_PRECONDITION | CURSOR_EXPIRED (metadata `oldest_cursor`) |             |
//! | OUT_OF_RANGE       | CURSOR_IN_FUTURE (metadata `latest_cursor`) |            |
//! | RESOURCE_EXHAUSTED | SLOW_READER (metadata `last_cursor`), TOO_MANY_STREAMS | RetryInfo |
//! | UNAVAILABLE        | SERVER_DRAINING (metadata `last_cursor`) | RetryInfo    |
//!
//! Every RetryInfo is mirrored in the `grpc-retry-pushback-ms` response
//! metadata, which gRPC clients with a retry policy honour. Messages and
//! violation descriptions are capped in length, whatever produced them.

mod status;

pub use status::{ERROR_DOMAIN, RETRY_DELAY, RETRY_PUSHBACK_KEY};

use std::time::Duration;

use crate::domain::violations::FieldViolation;

impl ServiceError {
    /// FAILED_PRECONDITION (PERIOD_CLOSED): a change effective on `day`
    /// would alter the closed month `month`.
    pub fn period_closed(what: &str, day: chrono::NaiveDate, month: &str) -> Self {
        ServiceError::FailedPrecondition {
            reason: "PERIOD_CLOSED",
            message: format!(
                "{what} effective {day} would change the closed pay period {month}; closed pay \
                 periods never change silently: make it effective after the latest closed pay \
                 period, or restate it"
            ),
            month: month.to_owned(),
        }
    }
}

/// Every failure an RPC can report.
#[derive(Debug)]
pub enum ServiceError {
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
    /// The path names no method this server serves (an unknown service,
    /// or a method a newer client knows and this server does not).
    Unimplemented { path: String },
    /// A change-feed refusal or stream ending that names a cursor.
    Cursor {
        refusal: CursorRefusal,
        cursor: String,
    },
}

/// Why a change-feed call was refused or a stream ended (see
/// [`ServiceError::Cursor`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CursorRefusal {
    /// The cursor is older than the retention; `cursor` is the oldest one
    /// still available.
    Expired,
    /// The cursor lies after the latest change; `cursor` is the latest.
    Future,
    /// The reader fell behind its buffer; `cursor` is the last one sent.
    SlowReader,
    /// The server is draining; `cursor` is the last one sent.
    Draining,
    /// As many streams are open as the limit allows (`cursor` is empty).
    TooManyStreams,
}

impl ServiceError {
    /// INVALID_ARGUMENT with reason INVALID_FIELDS.
    pub fn invalid_fields(violations: Vec<FieldViolation>) -> Self {
        ServiceError::InvalidArgument {
            reason: "INVALID_FIELDS",
            violations,
        }
    }

    /// NOT_FOUND for an agent id.
    pub fn agent_not_found(agent_id: impl Into<String>) -> Self {
        ServiceError::NotFound {
            reason: "AGENT_NOT_FOUND",
            resource_type: "agent",
            name: agent_id.into(),
        }
    }

    /// NOT_FOUND for a team id.
    pub fn team_not_found(team_id: impl Into<String>) -> Self {
        ServiceError::NotFound {
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
