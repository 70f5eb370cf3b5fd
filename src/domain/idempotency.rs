//! Client request ids for creates that are not naturally idempotent
//! (AIP-155): a request id, the method it was sent to and a digest of the
//! request's body. The adapter builds it from the protobuf request; the
//! use case keeps the first response under it (`storage::idempotency`).

use sha2::{Digest, Sha256};

/// A request id, the method it was sent to and a digest of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    pub request_id: String,
    pub method: &'static str,
    pub body_digest: String,
}

impl IdempotencyKey {
    /// The key of `body` (the request's encoded bytes without its id).
    pub fn new(request_id: &str, method: &'static str, body: &[u8]) -> Self {
        let digest = Sha256::digest(body);
        Self {
            request_id: request_id.to_owned(),
            method,
            body_digest: digest.iter().map(|byte| format!("{byte:02x}")).collect(),
        }
    }
}
