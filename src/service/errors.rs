//! How a storage failure reads to a caller: unavailable, busy, a conflict
//! that survived retries, or an internal error (logged here, never sent).

use crate::{
    error::ServiceError,
    storage::{MaybeConflict, StorageError},
};

/// A use case's transaction is retried while it ends in a write conflict
/// (`Database::with_retries`).
impl MaybeConflict for ServiceError {
    fn is_conflict(&self) -> bool {
        matches!(self, ServiceError::Aborted)
    }
}

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
                tracing::warn!(error = %cause, "write conflict");
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
