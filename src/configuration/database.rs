//! The database connection pool.

use serde::Deserialize;

use super::SettingsError;

/// The database connection pool.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://path?mode=rwc` (embedded default) or `postgres://...`.
    pub url: String,
    pub max_connections: u32,
    pub min_connections: u32,
    /// How long a call waits for a pooled connection before UNAVAILABLE.
    pub acquire_timeout_seconds: u64,
    /// How long opening a connection may take before UNAVAILABLE.
    pub connect_timeout_seconds: u64,
    /// Apply pending migrations at start-up (otherwise run `kpi-service migrate`).
    pub migrate_on_start: bool,
    /// Seconds between database health probes.
    pub health_check_interval_seconds: u64,
    /// Stop at start-up (exit 1) when the database cannot be reached or
    /// migrated. Off: start NOT_SERVING and keep trying in the background.
    pub fail_fast_at_start: bool,
}

impl DatabaseSettings {
    pub(super) fn validate(&self) -> Result<(), SettingsError> {
        if !(self.url.starts_with("sqlite:") || self.url.starts_with("postgres")) {
            return Err(SettingsError::invalid(
                "database.url",
                "expected a sqlite:// or postgres:// URL",
            ));
        }
        if self.max_connections == 0 || self.min_connections > self.max_connections {
            return Err(SettingsError::invalid(
                "database.max_connections",
                "must be >= 1 and >= database.min_connections",
            ));
        }
        Ok(())
    }
}
