//! Telemetry: logging through `tracing` (human-readable text, or one JSON
//! object per line with every field at the top level: `json_log`), the
//! tower layer that observes every gRPC call (`calls`, with the served
//! methods in `methods`), and the Prometheus metrics (`metrics`, `process`)
//! served with the probes on their own listener (`scrape`).

mod call_headers;
pub mod calls;
pub mod codes;
pub mod json_log;
pub mod methods;
pub mod metrics;
pub mod otlp;
pub mod process;
pub mod scrape;

use std::time::Duration;

use tracing_subscriber::{
    filter::filter_fn, fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter, Layer,
};

use crate::configuration::{LogFormat, TelemetrySettings};

/// What `init` set up that needs care at the end: the trace exporter.
pub struct Telemetry {
    otlp: Option<otlp::OtlpExport>,
}

impl Telemetry {
    /// Sends the spans still queued (call it before the process exits).
    pub async fn flush(&self) {
        if let Some(export) = &self.otlp {
            export.flush(Duration::from_secs(5)).await;
        }
    }
}

/// Installs the global subscriber, and the OTLP trace export when
/// `telemetry.otlp_endpoint` is set. `RUST_LOG`, when set, overrides the
/// configured filter. Call once, from `main`, inside the tokio runtime.
pub fn init(settings: &TelemetrySettings) -> Telemetry {
    let (otlp, layer, failure) = match settings.otlp_endpoint() {
        None => (None, None, None),
        Some(endpoint) => match otlp::OtlpExport::start(endpoint) {
            Ok((export, layer)) => (Some(export), Some(layer), None),
            Err(error) => (None, None, Some(error)),
        },
    };
    init_logs(settings.log_format, &settings.log_filter, layer);
    if let Some(error) = failure {
        tracing::error!(%error, "traces are not exported: telemetry.otlp_endpoint is unusable");
    }
    Telemetry { otlp }
}

/// For a start that failed before the settings could be read: logs in the
/// format `KPI__TELEMETRY__LOG_FORMAT` asks for (so that a JSON deployment
/// gets its fatal error as one JSON line), text otherwise.
pub fn init_before_settings() {
    let format = match std::env::var("KPI__TELEMETRY__LOG_FORMAT").as_deref() {
        Ok("json") => LogFormat::Json,
        _ => LogFormat::Text,
    };
    init_logs(format, "info", None);
}

fn init_logs(format: LogFormat, filter: &str, otlp: Option<otlp::OtlpLayer>) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter));
    // The exporter looks at the calls' spans only, whatever the log filter.
    let traces = otlp.map(|layer| {
        layer.with_filter(filter_fn(|metadata| {
            metadata.is_span() && metadata.name() == "call"
        }))
    });
    let registry = tracing_subscriber::registry().with(traces);
    match format {
        LogFormat::Json => registry
            .with(json_log::JsonLog::new(std::io::stdout).with_filter(filter))
            .init(),
        LogFormat::Text => {
            // Colour codes only for a person at a terminal, not for log collectors.
            let colours = std::io::IsTerminal::is_terminal(&std::io::stdout());
            registry
                .with(
                    fmt::layer()
                        .with_target(true)
                        .with_ansi(colours)
                        .with_filter(filter),
                )
                .init()
        }
    }
}
