//! How a storage failure reads to a caller: unavailable, busy, a conflict
//! that survived retries, or an internal error (logged here, never sent).

use crate::{
    error::ServiceError,
    storage::{directory::AgentUpsertError, StorageError},
};

impl From<StorageError> for ServiceError {
    fn from(error: StorageError) -> Self {
        match &error {
            StorageError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "database unavailable");
                ServiceError::Unavailable
            }
            StorageError::Busy(cause) => {
                tracing::warn!(error = %cause, "no database connection became free in time");
                ServiceError::DatabaseBusy
            }
            StorageError::Conflict(cause) => {
                tracing::warn!(error = %cause, "write conflict survived retries");
                ServiceError::Aborted
            }
            StorageError::Internal(cause) => {
                tracing::error!(error = %cause, "database error");
                ServiceError::Internal
            }
            StorageError::Corrupt(what) => {
                tracing::error!(error = %what, "corrupt stored value");
                ServiceError::Internal
            }
        }
    }
}

impl From<AgentUpsertError> for ServiceError {
    fn from(error: AgentUpsertError) -> Self {
        match error {
            AgentUpsertError::UnknownTeam(team_id) => ServiceError::invalid_field(
                "agent.team_id",
                format!("team {team_id:?} is not in the directory; create it first"),
            ),
            AgentUpsertError::PeriodClosed {
                month,
                effective_from,
            } => ServiceError::period_closed("a team move", effective_from, &month),
            AgentUpsertError::Storage(storage) => storage.into(),
        }
    }
}
