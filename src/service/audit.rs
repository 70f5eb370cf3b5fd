//! The use case behind `AuditService`: reading the audit trail. Nothing
//! writes it through the API; every other use case appends its own events
//! in its own transaction.

use crate::{
    domain::audit::{AuditEvent, AuditFilter},
    error::ServiceError,
    storage::{audit, Database},
};

/// Most events one call returns (the adapter asks for one more than a
/// page, to know whether another page follows).
const MAX_EVENTS: u64 = 1_001;

/// Reading the audit trail.
#[derive(Clone)]
pub struct AuditTrail {
    database: Database,
}

impl AuditTrail {
    pub fn new(database: Database) -> Self {
        Self { database }
    }

    /// Up to `limit` events matching `filter`, newest first. Who may call
    /// it is settled by the scope table alone (`kpi.audit.read`).
    pub async fn list_events(
        &self,
        filter: &AuditFilter,
        limit: u64,
    ) -> Result<Vec<AuditEvent>, ServiceError> {
        let limit = limit.min(MAX_EVENTS);
        Ok(audit::list(self.database.connection(), filter, limit).await?)
    }
}
