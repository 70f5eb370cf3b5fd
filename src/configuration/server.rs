//! The gRPC listener: its address, message and concurrency limits,
//! timeouts and connection lifetimes.

use std::{net::SocketAddr, str::FromStr, time::Duration};

use serde::Deserialize;

use super::SettingsError;

/// The gRPC listener and its limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Address to listen on; port 0 picks a free port.
    pub listen_addr: String,
    /// Largest request message the server decodes, in bytes.
    pub max_decode_message_bytes: usize,
    /// Largest response message the server encodes, in bytes.
    pub max_encode_message_bytes: usize,
    /// Calls running at once across all connections; past it a call is
    /// refused at once with RESOURCE_EXHAUSTED (shed, never queued). Health
    /// and reflection do not count. The default equals the default pool
    /// size, so admitted calls do not queue for a database connection.
    pub max_concurrent_requests: usize,
    /// Heavy calls (organisation- or team-wide scorecard lists, breaches,
    /// team scorecards) running at once; each also counts against
    /// `max_concurrent_requests`.
    pub max_concurrent_heavy_requests: usize,
    /// Per-call timeout in seconds, below the clients' own deadlines; a call
    /// that reaches it is answered DEADLINE_EXCEEDED.
    pub request_timeout_seconds: u64,
    /// Serve gRPC server reflection (v1 and v1alpha).
    pub reflection: bool,
    /// How long shutdown waits for in-flight calls before it stops anyway.
    pub shutdown_grace_seconds: u64,
    /// Seconds between HTTP/2 keepalive pings on idle connections; 0 = none.
    pub keepalive_interval_seconds: u64,
    /// Seconds to wait for a keepalive ping's answer before closing.
    pub keepalive_timeout_seconds: u64,
    /// Seconds after which a connection is asked to go away (GOAWAY), so
    /// that clients reconnect and spread over replicas; 0 = never. Calls in
    /// flight get `request_timeout_seconds` more to finish.
    pub max_connection_age_seconds: u64,
    /// Serve gRPC-Web (and HTTP/1.1) on the same port, for browsers; the
    /// calls pass the same authentication, limits, metrics and logs.
    pub grpc_web: bool,
    /// Origins (`https://crm.example.com`: scheme, host and port, no path)
    /// whose pages may call the service through gRPC-Web (CORS). Requests
    /// from any other origin are refused with HTTP 403. In the environment:
    /// a comma-separated list.
    #[serde(default)]
    pub cors_allowed_origins: Vec<String>,
}

impl ServerSettings {
    pub fn listen_addr(&self) -> SocketAddr {
        // Validated at load.
        SocketAddr::from_str(&self.listen_addr).unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_seconds)
    }
}

impl ServerSettings {
    pub(super) fn validate(&self) -> Result<(), SettingsError> {
        let invalid = |key, reason: &str| SettingsError::invalid(key, reason);
        SocketAddr::from_str(&self.listen_addr).map_err(|_| {
            invalid(
                "server.listen_addr",
                "expected host:port, e.g. 0.0.0.0:50051",
            )
        })?;
        if self.max_concurrent_requests == 0 {
            return Err(invalid("server.max_concurrent_requests", "must be >= 1"));
        }
        if self.max_concurrent_heavy_requests == 0
            || self.max_concurrent_heavy_requests > self.max_concurrent_requests
        {
            return Err(invalid(
                "server.max_concurrent_heavy_requests",
                "must be >= 1 and <= server.max_concurrent_requests",
            ));
        }
        if self.request_timeout_seconds == 0 {
            return Err(invalid("server.request_timeout_seconds", "must be >= 1"));
        }
        for origin in &self.cors_allowed_origins {
            if !is_origin(origin) {
                return Err(invalid(
                    "server.cors_allowed_origins",
                    "each origin is scheme://host[:port] with no path, e.g. https://crm.example.com",
                ));
            }
        }
        if !self.cors_allowed_origins.is_empty() && !self.grpc_web {
            return Err(invalid(
                "server.cors_allowed_origins",
                "only browsers' gRPC-Web calls use CORS: set server.grpc_web = true as well",
            ));
        }
        if self.keepalive_interval_seconds > 0 && self.keepalive_timeout_seconds == 0 {
            return Err(invalid(
                "server.keepalive_timeout_seconds",
                "must be >= 1 when keepalive pings are on",
            ));
        }
        Ok(())
    }
}

/// `scheme://host[:port]`, as a browser sends it in `Origin`.
fn is_origin(origin: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    matches!(scheme, "http" | "https")
        && !rest.is_empty()
        && !rest.contains('/')
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}
