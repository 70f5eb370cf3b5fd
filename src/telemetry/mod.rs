//! Telemetry: logging through `tracing` (human-readable text, or one JSON
//! object per line with every field at the top level: `json_log`), the
//! tower layer that observes every gRPC call (`calls`, with the served
//! methods in `methods`), and the Prometheus metrics (`metrics`, `process`)
//! served with the probes on their own listener (`scrape`).

pub mod calls;
pub mod codes;
pub mod json_log;
pub mod methods;
pub mod metrics;
pub mod process;
pub mod scrape;

use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter, Layer};

use crate::configuration::{LogFormat, TelemetrySettings};

/// Installs the global subscriber. `RUST_LOG`, when set, overrides the
/// configured filter. Call once, from `main`.
pub fn init(settings: &TelemetrySettings) {
    init_logs(settings.log_format, &settings.log_filter);
}

/// For a start that failed before the settings could be read: logs in the
/// format `KPI__TELEMETRY__LOG_FORMAT` asks for (so that a JSON deployment
/// gets its fatal error as one JSON line), text otherwise.
pub fn init_before_settings() {
    let format = match std::env::var("KPI__TELEMETRY__LOG_FORMAT").as_deref() {
        Ok("json") => LogFormat::Json,
        _ => LogFormat::Text,
    };
    init_logs(format, "info");
}

fn init_logs(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter));
    match format {
        LogFormat::Json => tracing_subscriber::registry()
            .with(json_log::JsonLog::new(std::io::stdout).with_filter(filter))
            .init(),
        LogFormat::Text => {
            // Colour codes only for a person at a terminal, not for log collectors.
            let colours = std::io::IsTerminal::is_terminal(&std::io::stdout());
            fmt()
                .with_env_filter(filter)
                .with_target(true)
                .with_ansi(colours)
                .init()
        }
    }
}
