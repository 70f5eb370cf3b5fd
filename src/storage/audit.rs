//! The append-only audit trail. Rows are inserted, never updated or
//! deleted (the schema's triggers refuse both).

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::{entities::audit_event, instant, now_micros, Database, StorageError};
use crate::domain::audit::{AuditActor, AuditChange, AuditEvent, AuditFilter};

/// Appends one event on `connection` (the pool or the transaction that
/// makes the change).
pub async fn append(
    connection: &impl ConnectionTrait,
    actor: &AuditActor,
    change: &AuditChange,
) -> Result<(), StorageError> {
    let details = serde_json::to_string(change)
        .map_err(|error| StorageError::Corrupt(format!("audit details: {error}")))?;
    audit_event::Entity::insert(audit_event::ActiveModel {
        id: sea_orm::ActiveValue::NotSet,
        occurred_at_us: Set(now_micros()),
        principal: Set(actor.principal.chars().take(256).collect()),
        method: Set(actor.method.chars().take(128).collect()),
        request_id: Set(actor.request_id.chars().take(128).collect()),
        kind: Set(change.kind().as_str().to_owned()),
        details: Set(details),
    })
    .exec_without_returning(connection)
    .await?;
    Ok(())
}

fn from_row(row: audit_event::Model) -> Result<AuditEvent, StorageError> {
    let change: AuditChange = serde_json::from_str(&row.details)
        .map_err(|_| StorageError::Corrupt(format!("audit event {} details", row.id)))?;
    Ok(AuditEvent {
        id: row.id,
        occurred_at: instant(row.occurred_at_us)?,
        actor: AuditActor {
            principal: row.principal,
            method: row.method,
            request_id: row.request_id,
        },
        change,
    })
}

/// Appends one event in a transaction of its own (a refusal, which
/// changes nothing else).
pub async fn append_alone(
    database: &Database,
    actor: &AuditActor,
    change: &AuditChange,
) -> Result<(), StorageError> {
    database
        .with_retries(|| async {
            let transaction = database.begin_write().await?;
            append(&transaction, actor, change).await?;
            transaction.commit().await
        })
        .await
}

/// Up to `limit` events matching `filter`, newest (highest id) first.
pub async fn list(
    connection: &impl ConnectionTrait,
    filter: &AuditFilter,
    limit: u64,
) -> Result<Vec<AuditEvent>, StorageError> {
    let mut query = audit_event::Entity::find().order_by_desc(audit_event::Column::Id);
    if let Some(from_us) = filter.from_us {
        query = query.filter(audit_event::Column::OccurredAtUs.gte(from_us));
    }
    if let Some(to_us) = filter.to_us {
        query = query.filter(audit_event::Column::OccurredAtUs.lt(to_us));
    }
    if let Some(principal) = &filter.principal {
        query = query.filter(audit_event::Column::Principal.eq(principal.as_str()));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(audit_event::Column::Kind.eq(kind.as_str()));
    }
    if let Some(before_id) = filter.before_id {
        query = query.filter(audit_event::Column::Id.lt(before_id));
    }
    query
        .limit(limit)
        .all(connection)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}
