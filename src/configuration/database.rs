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
    /// PostgreSQL streaming standbys of `url` (`postgres://...`), for reads
    /// that need not see the caller's own latest writes (organisation
    /// lists, breaches, trends, audit listings). In the environment: a
    /// comma-separated list. Empty: every read on `url`.
    #[serde(default)]
    pub read_replica_urls: Vec<String>,
    /// How far behind the primary a standby may be and still serve reads,
    /// in milliseconds: a standby is used only while it is known to hold
    /// everything the primary had committed this long ago; otherwise reads
    /// fall back to the primary.
    pub max_replica_lag_ms: u64,
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
        if !self.read_replica_urls.is_empty() && !self.url.starts_with("postgres") {
            return Err(SettingsError::invalid(
                "database.read_replica_urls",
                "read replicas are PostgreSQL standbys: database.url must be a postgres:// URL",
            ));
        }
        if self
            .read_replica_urls
            .iter()
            .any(|url| !url.starts_with("postgres"))
        {
            return Err(SettingsError::invalid(
                "database.read_replica_urls",
                "each replica is a postgres:// URL",
            ));
        }
        if self.max_replica_lag_ms == 0 {
            return Err(SettingsError::invalid(
                "database.max_replica_lag_ms",
                "must be >= 1",
            ));
        }
        Ok(())
    }
}
