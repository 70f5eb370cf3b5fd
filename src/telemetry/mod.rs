//! Telemetry: logging through `tracing` (human-readable text or one JSON
//! object per line), the tower layer that observes every gRPC call
//! (`calls`), and the Prometheus metrics (`metrics`) served on their own
//! listener (`scrape`).

pub mod calls;
pub mod codes;
pub mod metrics;
pub mod scrape;

use tracing_subscriber::{fmt, EnvFilter};

use crate::configuration::{LogFormat, TelemetrySettings};

/// Installs the global subscriber. `RUST_LOG`, when set, overrides the
/// configured filter. Call once, from `main`.
pub fn init(settings: &TelemetrySettings) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(settings.log_filter.as_str()));
    // Colour codes only for a person at a terminal, not for log collectors.
    let colours = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = fmt()
        .with_env_filter(filter)
        .with_target(true)
        .with_ansi(colours);
    match settings.log_format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Text => builder.init(),
    }
}
