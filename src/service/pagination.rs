//! Page sizes and opaque page tokens (AIP-158). A token carries the last key
//! returned and a digest of the request's other fields, so that a token
//! reused with a different filter is rejected instead of silently skipping
//! or repeating rows.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sha2::{Digest, Sha256};

use crate::error::ServiceError;

/// Page size when the request says 0.
pub const DEFAULT_PAGE_SIZE: u64 = 100;
/// Largest page; bigger requests are lowered to it.
pub const MAX_PAGE_SIZE: u64 = 1_000;

/// The page size to use for a requested `page_size` (default 100, at most 1,000).
pub fn page_size(requested: i32) -> Result<u64, ServiceError> {
    page_size_within(requested, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
}

/// The page size to use for a requested `page_size`, with the list's own
/// default and maximum.
pub fn page_size_within(requested: i32, default: u64, max: u64) -> Result<u64, ServiceError> {
    match requested {
        size if size < 0 => Err(ServiceError::invalid_field(
            "page_size",
            format!("page_size must be >= 0 (0 means the default of {default})"),
        )),
        0 => Ok(default),
        size => Ok((size as u64).min(max)),
    }
}

/// Decodes a token that carries an offset into a computed list.
pub fn decode_offset(token: &str, fingerprint: &str) -> Result<usize, ServiceError> {
    match decode_token(token, fingerprint)? {
        None => Ok(0),
        Some(offset) => offset.parse().map_err(|_| {
            ServiceError::invalid_field(
                "page_token",
                "page_token is not a token this service issued",
            )
        }),
    }
}

/// The page `[offset, offset + size)` of `items` and the next page's token.
pub fn page_of<T>(
    mut items: Vec<T>,
    offset: usize,
    size: u64,
    fingerprint: &str,
) -> (Vec<T>, String) {
    let end = offset.saturating_add(size as usize).min(items.len());
    let next = if end < items.len() {
        encode_token(fingerprint, &end.to_string())
    } else {
        String::new()
    };
    let page = if offset < items.len() {
        items.drain(offset..end).collect()
    } else {
        Vec::new()
    };
    (page, next)
}

/// A short digest of the request fields a token is bound to.
pub fn request_fingerprint(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize()[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Encodes the position after `last_key` for requests with `fingerprint`.
pub fn encode_token(fingerprint: &str, last_key: &str) -> String {
    let payload = serde_json::json!({ "f": fingerprint, "k": last_key });
    URL_SAFE_NO_PAD.encode(payload.to_string())
}

/// Decodes a token: `None` for the first page, or the last key returned.
pub fn decode_token(token: &str, fingerprint: &str) -> Result<Option<String>, ServiceError> {
    if token.is_empty() {
        return Ok(None);
    }
    let invalid = |why: &str| ServiceError::invalid_field("page_token", why.to_owned());
    let bytes = URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| invalid("page_token is not a token this service issued"))?;
    let payload: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|_| invalid("page_token is not a token this service issued"))?;
    if payload["f"].as_str() != Some(fingerprint) {
        return Err(invalid(
            "page_token was issued for a request with other parameters; keep them unchanged between pages",
        ));
    }
    payload["k"]
        .as_str()
        .map(|key| Some(key.to_owned()))
        .ok_or_else(|| invalid("page_token is not a token this service issued"))
}

/// For keyset pages fetched with one row more than `limit`: trims the extra
/// row and returns the next page's token (the key of the last row kept), or
/// an empty string on the last page.
pub fn trim_page<T>(
    rows: &mut Vec<T>,
    limit: u64,
    fingerprint: &str,
    key: impl Fn(&T) -> String,
) -> String {
    if rows.len() as u64 <= limit {
        return String::new();
    }
    rows.truncate(limit as usize);
    rows.last()
        .map(|last| encode_token(fingerprint, &key(last)))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_follow_aip_158() {
        assert_eq!(page_size(0).ok(), Some(DEFAULT_PAGE_SIZE));
        assert_eq!(page_size(5).ok(), Some(5));
        assert_eq!(page_size(50_000).ok(), Some(MAX_PAGE_SIZE));
        assert!(page_size(-1).is_err());
    }

    #[test]
    fn a_token_round_trips_and_is_bound_to_its_request() {
        let fingerprint = request_fingerprint(&["team-a"]);
        let token = encode_token(&fingerprint, "agent-17");
        assert_eq!(
            decode_token(&token, &fingerprint).ok().flatten().as_deref(),
            Some("agent-17")
        );
        let other = request_fingerprint(&["team-b"]);
        assert!(decode_token(&token, &other).is_err());
        assert!(decode_token("not a token", &fingerprint).is_err());
    }
}
