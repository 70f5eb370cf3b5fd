//! Canonical gRPC status code names, as the gRPC specification and every
//! other language's logs spell them (`INVALID_ARGUMENT`, not `InvalidArgument`).

/// The canonical name of a `grpc-status` value; `UNKNOWN` for values
/// outside the specification.
pub fn canonical_name(code: i32) -> &'static str {
    match code {
        0 => "OK",
        1 => "CANCELLED",
        2 => "UNKNOWN",
        3 => "INVALID_ARGUMENT",
        4 => "DEADLINE_EXCEEDED",
        5 => "NOT_FOUND",
        6 => "ALREADY_EXISTS",
        7 => "PERMISSION_DENIED",
        8 => "RESOURCE_EXHAUSTED",
        9 => "FAILED_PRECONDITION",
        10 => "ABORTED",
        11 => "OUT_OF_RANGE",
        12 => "UNIMPLEMENTED",
        13 => "INTERNAL",
        14 => "UNAVAILABLE",
        15 => "DATA_LOSS",
        16 => "UNAUTHENTICATED",
        _ => "UNKNOWN",
    }
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
    }
}
