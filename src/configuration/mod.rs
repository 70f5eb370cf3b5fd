//! Typed, layered settings: built-in defaults, then an optional TOML file,
//! then environment variables prefixed `KPI__` with `__` between levels
//! (`KPI__SERVER__LISTEN_ADDR`, `KPI__DATABASE__URL`, ...). Validated once,
//! at load.

mod changes;
mod database;
mod payroll;
mod records;
mod server;
mod telemetry;
mod trust;

pub use changes::ChangeSettings;
pub use database::DatabaseSettings;
pub use payroll::PayrollSettings;
pub use records::{IngestSettings, ReportingSettings};
pub use server::ServerSettings;
pub use telemetry::{LogFormat, TelemetrySettings};
pub use trust::{AuthMode, AuthSettings, JwtSettings, PrincipalSettings, TlsSettings};

use std::path::Path;

use serde::Deserialize;

/// Every setting of the service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub ingest: IngestSettings,
    pub reporting: ReportingSettings,
    /// Which periods payroll closes.
    pub payroll: PayrollSettings,
    pub telemetry: TelemetrySettings,
    /// Transport security; TLS is off unless `tls.cert_file` is set.
    pub tls: TlsSettings,
    /// Who may call what.
    pub auth: AuthSettings,
    /// The scorecard change feed.
    pub changes: ChangeSettings,
}

/// A setting that failed validation or could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("could not read settings: {0}")]
    Load(#[from] config::ConfigError),
    #[error("invalid setting {key}: {reason}")]
    Invalid { key: &'static str, reason: String },
    /// A key no setting has: a typo in the file or in a `KPI__` variable.
    #[error(
        "unknown setting: {0} (check the settings file and the KPI__<SECTION>__<KEY> \
         environment variables for a typo)"
    )]
    UnknownSetting(String),
}

const DEFAULTS: &[(&str, &str)] = &[
    ("server.listen_addr", "127.0.0.1:50051"),
    ("server.max_decode_message_bytes", "16777216"),
    ("server.max_encode_message_bytes", "16777216"),
    ("server.max_concurrent_requests", "16"),
    ("server.max_concurrent_heavy_requests", "4"),
    ("server.request_timeout_seconds", "30"),
    ("server.reflection", "true"),
    ("server.shutdown_grace_seconds", "20"),
    ("server.keepalive_interval_seconds", "60"),
    ("server.keepalive_timeout_seconds", "20"),
    ("server.max_connection_age_seconds", "600"),
    ("server.grpc_web", "false"),
    ("database.url", "sqlite://kpi-service.db?mode=rwc"),
    ("database.max_connections", "16"),
    ("database.min_connections", "1"),
    ("database.acquire_timeout_seconds", "5"),
    ("database.connect_timeout_seconds", "5"),
    ("database.migrate_on_start", "true"),
    ("database.health_check_interval_seconds", "5"),
    ("database.fail_fast_at_start", "false"),
    ("database.max_replica_lag_ms", "2000"),
    ("ingest.max_batch_size", "1000"),
    ("ingest.max_new_agents_per_batch", "100"),
    ("ingest.future_tolerance_seconds", "300"),
    ("reporting.time_zone", "UTC"),
    ("payroll.pay_period", "month"),
    ("payroll.two_weeks_first_monday", ""),
    ("changes.record_ingest", "false"),
    ("changes.retention_seconds", "1209600"),
    ("changes.prune_interval_seconds", "3600"),
    ("changes.max_streams", "100"),
    ("changes.heartbeat_seconds", "15"),
    ("changes.stream_buffer_messages", "64"),
    ("changes.slow_reader_grace_millis", "5000"),
    ("changes.changes_per_message", "100"),
    ("telemetry.log_format", "text"),
    ("telemetry.log_filter", "info"),
    ("telemetry.metrics_addr", ""),
    ("telemetry.otlp_endpoint", ""),
    ("tls.reload_interval_seconds", "10"),
    ("auth.mode", "none"),
    ("auth.allow_unauthenticated", "false"),
    ("auth.open_reflection", "false"),
    ("auth.jwt.leeway_seconds", "30"),
];

impl Settings {
    /// Loads the defaults, then `file` if given, then `KPI__*` variables.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        Self::load_with_environment(file, None)
    }

    /// Like [`Settings::load`], with `environment` standing in for the
    /// process's variables when given (so tests need not touch them).
    fn load_with_environment(
        file: Option<&Path>,
        environment: Option<config::Map<String, String>>,
    ) -> Result<Self, SettingsError> {
        let mut builder = config::Config::builder();
        for (key, value) in DEFAULTS {
            builder = builder.set_default(*key, *value)?;
        }
        if let Some(path) = file {
            builder = builder.add_source(config::File::from(path).required(true));
        }
        builder = builder.add_source(
            config::Environment::with_prefix("KPI")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true)
                .list_separator(",")
                .with_list_parse_key("server.cors_allowed_origins")
                .with_list_parse_key("database.read_replica_urls")
                .source(environment),
        );
        let settings: Settings = builder
            .build()?
            .try_deserialize()
            .map_err(unknown_setting_hint)?;
        settings.validate()?;
        Ok(settings)
    }

    /// The defaults alone, for tests that then override a few fields.
    pub fn defaults() -> Result<Self, SettingsError> {
        Self::load(None)
    }

    /// Every section checks its own settings; trust settings also look
    /// across sections.
    fn validate(&self) -> Result<(), SettingsError> {
        self.server.validate()?;
        self.reporting.validate()?;
        self.payroll.validate()?;
        self.database.validate()?;
        self.ingest.validate()?;
        self.changes.validate()?;
        self.telemetry.validate()?;
        self.validate_trust()
    }
}

impl SettingsError {
    fn invalid(key: &'static str, reason: &str) -> Self {
        SettingsError::Invalid {
            key,
            reason: reason.to_owned(),
        }
    }
}

/// Serde names an unknown field but not where it came from; say both.
fn unknown_setting_hint(error: config::ConfigError) -> SettingsError {
    let message = error.to_string();
    if !message.contains("unknown field") {
        return SettingsError::Load(error);
    }
    SettingsError::UnknownSetting(message)
}

#[cfg(test)]
mod tests;
