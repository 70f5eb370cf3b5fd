//! Logs and the metrics listener.

use std::{net::SocketAddr, str::FromStr};

use serde::Deserialize;

use super::SettingsError;

/// Log output.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySettings {
    /// `text` or `json`.
    pub log_format: LogFormat,
    /// `tracing` filter directives, e.g. `info,kpi_service=debug`;
    /// `RUST_LOG` overrides it.
    pub log_filter: String,
    /// Address of the Prometheus `/metrics` listener, e.g. `0.0.0.0:9090`;
    /// empty = no metrics listener.
    pub metrics_addr: String,
    /// An OpenTelemetry collector's OTLP/gRPC address, e.g.
    /// `http://otel-collector:4317`: every call is exported as a server
    /// span; empty = no trace export.
    pub otlp_endpoint: String,
}

/// Log line format.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl TelemetrySettings {
    /// The trace collector's address; `None` when traces are not exported.
    pub fn otlp_endpoint(&self) -> Option<&str> {
        let endpoint = self.otlp_endpoint.trim();
        (!endpoint.is_empty()).then_some(endpoint)
    }

    /// The metrics listener's address; `None` when metrics are off.
    pub fn metrics_addr(&self) -> Option<Result<SocketAddr, std::net::AddrParseError>> {
        let address = self.metrics_addr.trim();
        (!address.is_empty()).then(|| SocketAddr::from_str(address))
    }
}

impl TelemetrySettings {
    pub(super) fn validate(&self) -> Result<(), SettingsError> {
        if let Some(Err(_)) = self.metrics_addr() {
            return Err(SettingsError::invalid(
                "telemetry.metrics_addr",
                "expected host:port, e.g. 0.0.0.0:9090, or empty for none",
            ));
        }
        if let Some(endpoint) = self.otlp_endpoint() {
            let host = endpoint.strip_prefix("http://").unwrap_or_default();
            if host.is_empty() || host.contains('/') {
                return Err(SettingsError::invalid(
                    "telemetry.otlp_endpoint",
                    "expected http://host:port of an OTLP/gRPC collector, e.g. \
                     http://otel-collector:4317, or empty for none",
                ));
            }
        }
        Ok(())
    }
}
