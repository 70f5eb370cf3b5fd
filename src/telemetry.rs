//! Logging through `tracing`: human-readable text or one JSON object per line.

use tracing_subscriber::{fmt, EnvFilter};

use crate::configuration::{LogFormat, TelemetrySettings};

/// Installs the global subscriber. `RUST_LOG`, when set, overrides the
/// configured filter. Call once, from `main`.
pub fn init(settings: &TelemetrySettings) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(settings.log_filter.as_str()));
    let builder = fmt().with_env_filter(filter).with_target(true);
    match settings.log_format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Text => builder.init(),
    }
}
