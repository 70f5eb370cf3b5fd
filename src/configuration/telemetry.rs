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
}

/// Log line format.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl TelemetrySettings {
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
        Ok(())
    }
}
