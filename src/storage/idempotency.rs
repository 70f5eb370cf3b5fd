//! Client request ids for creates that are not naturally idempotent
//! (AIP-155): the first response is kept under the id, in the same
//! transaction as the change, so a retry gets it back and a reuse of the id
//! for another request is recognised.

use sea_orm::{ConnectionTrait, Statement, Value};

pub use crate::domain::idempotency::IdempotencyKey;

use super::{now_micros, records_key_lock, rollups::maintain::placeholder, StorageError};

/// What is remembered under a request id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replay {
    /// Never seen: do the work.
    New,
    /// The same request again: here is the first response.
    Same(Vec<u8>),
    /// The id was used for another request.
    Reused,
}

/// Locks the request id (on PostgreSQL, so concurrent retries run one after
/// the other) and says whether it was seen.
pub async fn replay(
    connection: &impl ConnectionTrait,
    key: &IdempotencyKey,
) -> Result<Replay, StorageError> {
    records_key_lock(connection, "request_id", &key.request_id).await?;
    let backend = connection.get_database_backend();
    let row = connection
        .query_one(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT method, body_digest, response FROM idempotent_requests \
                 WHERE request_id = {}",
                placeholder(backend, 1)
            ),
            [Value::from(key.request_id.clone())],
        ))
        .await?;
    let Some(row) = row else {
        return Ok(Replay::New);
    };
    let method: String = row.try_get("", "method")?;
    let digest: String = row.try_get("", "body_digest")?;
    if method == key.method && digest == key.body_digest {
        Ok(Replay::Same(row.try_get("", "response")?))
    } else {
        Ok(Replay::Reused)
    }
}

/// Keeps `response` as the answer to `key`.
pub async fn remember(
    connection: &impl ConnectionTrait,
    key: &IdempotencyKey,
    response: Vec<u8>,
) -> Result<(), StorageError> {
    let backend = connection.get_database_backend();
    let p = |index| placeholder(backend, index);
    connection
        .execute(Statement::from_sql_and_values(
            backend,
            format!(
                "INSERT INTO idempotent_requests (request_id, method, body_digest, response, \
                 created_at_us) VALUES ({}, {}, {}, {}, {})",
                p(1),
                p(2),
                p(3),
                p(4),
                p(5)
            ),
            [
                Value::from(key.request_id.clone()),
                Value::from(key.method),
                Value::from(key.body_digest.clone()),
                Value::from(response),
                Value::from(now_micros()),
            ],
        ))
        .await?;
    Ok(())
}
