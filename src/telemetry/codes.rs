//! Canonical gRPC status code names, as the gRPC specification and every
//! other language's logs spell them (`INVALID_ARGUMENT`, not `InvalidArgument`).

/// Every canonical code name, by value (0 = `OK` ... 16 = `UNAUTHENTICATED`).
pub const CANONICAL_NAMES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// The canonical name of a `grpc-status` value; `UNKNOWN` for values
/// outside the specification.
pub fn canonical_name(code: i32) -> &'static str {
    usize::try_from(code)
        .ok()
        .and_then(|index| CANONICAL_NAMES.get(index))
        .copied()
        .unwrap_or("UNKNOWN")
}

/// Whether a code means the server failed, as OpenTelemetry's RPC
/// conventions class gRPC server codes: `UNKNOWN`, `DEADLINE_EXCEEDED`,
/// `UNIMPLEMENTED`, `INTERNAL`, `UNAVAILABLE` and `DATA_LOSS`. The others
/// (a bad argument, a missing scope, a client that cancelled or went away)
/// are the caller's outcome, not a failure of the service.
pub fn is_server_error(code: &str) -> bool {
    matches!(
        code,
        "UNKNOWN"
            | "DEADLINE_EXCEEDED"
            | "UNIMPLEMENTED"
            | "INTERNAL"
            | "UNAVAILABLE"
            | "DATA_LOSS"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Code;

    #[test]
    fn names_match_tonic_codes() {
        assert_eq!(canonical_name(Code::Ok as i32), "OK");
        assert_eq!(
            canonical_name(Code::InvalidArgument as i32),
            "INVALID_ARGUMENT"
        );
        assert_eq!(
            canonical_name(Code::ResourceExhausted as i32),
            "RESOURCE_EXHAUSTED"
        );
        assert_eq!(
            canonical_name(Code::Unauthenticated as i32),
            "UNAUTHENTICATED"
        );
        assert_eq!(canonical_name(99), "UNKNOWN");
        assert_eq!(canonical_name(-1), "UNKNOWN");
        assert_eq!(canonical_name(Code::DataLoss as i32), "DATA_LOSS");
    }
}
