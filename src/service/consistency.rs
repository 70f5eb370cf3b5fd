//! Where a read runs: each use case names what its read needs, and a
//! client's consistency token (returned by its write) can change that.
//!
//! - Reads that need no read-your-writes (lists, breaches, trends of any
//!   subject, audit listings) are [`ReadNeed::ReplicaOk`]: a standby
//!   within the lag bound may serve them.
//! - An agent's or a team's scorecard (with its peers), drill-down and an
//!   agent's records are [`ReadNeed::Primary`]: a client that has just
//!   written expects to see it there.
//! - A read carrying a token is served by a standby that has replayed past
//!   the token's write, or else by the primary, whatever its need: it sees
//!   that write wherever it runs.

use crate::{
    error::ServiceError,
    storage::{ConsistencyToken, ReadPreference},
};

/// The request field that carries a consistency token.
pub const CONSISTENCY_TOKEN_FIELD: &str = "consistency_token";

/// What a use case's read needs, before any token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadNeed {
    /// Every acknowledged write must be visible.
    Primary,
    /// A bounded staleness is fine.
    ReplicaOk,
}

/// The preference a read runs with: its need, or the token's write when
/// the client sent one (an empty token is none). INVALID_ARGUMENT on field
/// `consistency_token` for a token this service did not issue.
pub fn read_preference(need: ReadNeed, token: &str) -> Result<ReadPreference, ServiceError> {
    if token.is_empty() {
        return Ok(match need {
            ReadNeed::Primary => ReadPreference::Primary,
            ReadNeed::ReplicaOk => ReadPreference::ReplicaOk,
        });
    }
    ConsistencyToken::parse(token)
        .map(ReadPreference::After)
        .map_err(|error| ServiceError::invalid_field(CONSISTENCY_TOKEN_FIELD, error.to_string()))
}

/// The token of what a write just committed, as the API carries it (empty
/// where there is nothing to wait for: SQLite). A failure to read it only
/// costs the client a primary read, so it is logged, not returned.
pub async fn token_after_write(database: &crate::storage::Database) -> String {
    match database.consistency_token().await {
        Ok(token) => token.map(ConsistencyToken::encode).unwrap_or_default(),
        Err(error) => {
            tracing::warn!(%error, "the consistency token could not be read after a write");
            String::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_decides_where_any_read_runs() {
        let token = ConsistencyToken::at(0x2A).encode();
        for need in [ReadNeed::Primary, ReadNeed::ReplicaOk] {
            assert!(matches!(
                read_preference(need, &token),
                Ok(ReadPreference::After(read)) if read.lsn() == 0x2A
            ));
        }
        assert_eq!(
            read_preference(ReadNeed::Primary, "").ok(),
            Some(ReadPreference::Primary)
        );
        assert_eq!(
            read_preference(ReadNeed::ReplicaOk, "").ok(),
            Some(ReadPreference::ReplicaOk)
        );
        assert!(read_preference(ReadNeed::ReplicaOk, "garbage").is_err());
    }
}
