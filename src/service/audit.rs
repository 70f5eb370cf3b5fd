//! The use case behind `AuditService`: reading the audit trail. Nothing
//! writes it through the API; every other use case appends its own events
//! in its own transaction.

use crate::{
    domain::audit::{AuditEvent, AuditFilter},
    error::ServiceError,
    service::consistency::{read_preference, ReadNeed},
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
    /// it is settled by the scope table alone (`kpi.audit.read`). On a
    /// standby within the lag bound, or where the client's consistency
    /// token allows (see `service::consistency`).
    pub async fn list_events(
        &self,
        filter: &AuditFilter,
        limit: u64,
        consistency_token: &str,
    ) -> Result<Vec<AuditEvent>, ServiceError> {
        let limit = limit.min(MAX_EVENTS);
        let preference = read_preference(ReadNeed::ReplicaOk, consistency_token)?;
        Ok(audit::list(self.database.reader(preference), filter, limit).await?)
    }
}
