//! The headers the call layer (`calls`) reads and writes: the client's
//! request id, W3C trace context, and the final gRPC status.

use http::{HeaderMap, HeaderValue};

/// The request-id header, read from requests and echoed in responses.
pub const REQUEST_ID: &str = "x-request-id";
/// The W3C trace-context header.
pub const TRACEPARENT: &str = "traceparent";
/// Longest client request id accepted; longer ones are replaced.
const MAX_REQUEST_ID_LEN: usize = 128;

/// The client's request id if usable, else a new UUID; either way it ends
/// up in the request's headers.
pub(super) fn request_id_of(headers: &mut HeaderMap) -> HeaderValue {
    let usable = headers.get(REQUEST_ID).filter(|value| {
        let bytes = value.as_bytes();
        !bytes.is_empty()
            && bytes.len() <= MAX_REQUEST_ID_LEN
            && bytes.iter().all(|byte| byte.is_ascii_graphic())
    });
    if let Some(value) = usable {
        return value.clone();
    }
    let generated = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("unknown"));
    headers.insert(REQUEST_ID, generated.clone());
    generated
}

/// `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`, ids not all zero
/// (W3C Trace Context, version 00; later versions may append fields).
pub(super) fn is_valid_traceparent(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let is_hex = |part: &str, len: usize| {
        part.len() == len
            && part
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
    };
    let not_zero = |part: &str| part.bytes().any(|byte| byte != b'0');
    parts.len() >= 4
        && is_hex(parts[0], 2)
        && parts[0] != "ff"
        && (parts[0] != "00" || parts.len() == 4)
        && is_hex(parts[1], 32)
        && not_zero(parts[1])
        && is_hex(parts[2], 16)
        && not_zero(parts[2])
        && is_hex(parts[3], 2)
}

/// The `grpc-status` of a response's headers or trailers.
pub(super) fn grpc_status(headers: &HeaderMap) -> Option<i32> {
    headers
        .get("grpc-status")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_follows_the_w3c_format() {
        assert!(is_valid_traceparent(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        ));
        for invalid in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        ] {
            assert!(!is_valid_traceparent(invalid), "{invalid:?} accepted");
        }
    }

    #[test]
    fn a_usable_request_id_is_kept_and_anything_else_replaced() {
        let mut headers = HeaderMap::new();
        headers.insert(REQUEST_ID, HeaderValue::from_static("req-42"));
        assert_eq!(request_id_of(&mut headers), "req-42");

        for unusable in ["", "has space", &"x".repeat(MAX_REQUEST_ID_LEN + 1)] {
            let mut headers = HeaderMap::new();
            headers.insert(REQUEST_ID, HeaderValue::from_str(unusable).unwrap());
            let generated = request_id_of(&mut headers);
            assert_eq!(generated.len(), 36, "a UUID replaces {unusable:?}");
            assert_eq!(
                headers.get(REQUEST_ID),
                Some(&generated),
                "the request carries the id the handlers will see"
            );
        }
    }
}
