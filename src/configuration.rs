//! Typed, layered settings: built-in defaults, then an optional TOML file,
//! then environment variables prefixed `KPI__` with `__` between levels
//! (`KPI__SERVER__LISTEN_ADDR`, `KPI__DATABASE__URL`, ...). Validated once,
//! at load.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    str::FromStr,
    time::Duration,
};

use serde::Deserialize;

/// Every setting of the service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub ingest: IngestSettings,
    pub reporting: ReportingSettings,
    pub telemetry: TelemetrySettings,
    /// Transport security; TLS is off unless `tls.cert_file` is set.
    pub tls: TlsSettings,
    /// Who may call what.
    pub auth: AuthSettings,
}

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
    /// Calls running at once across all connections; more wait.
    pub max_concurrent_requests: usize,
    /// Per-call timeout in seconds, below the clients' own deadlines.
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
}

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
}

/// Limits on what ingestion accepts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestSettings {
    /// Most items in one ingest batch.
    pub max_batch_size: usize,
    /// Most agents one batch may add to the directory on first sight.
    pub max_new_agents_per_batch: usize,
    /// How far in the future a record's timestamps may lie (clock skew).
    pub future_tolerance_seconds: i64,
}

/// How periods are cut.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportingSettings {
    /// IANA time zone of calendar days, weeks and months, e.g. `Europe/Berlin`.
    pub time_zone: String,
}

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

/// TLS on the gRPC listener (rustls). Files are PEM; they are re-read when
/// they change (polled) or on SIGHUP, without dropping open connections.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    /// The server's certificate chain. Setting it (with `key_file`) turns TLS on.
    pub cert_file: Option<PathBuf>,
    /// The server's private key (PKCS#8, PKCS#1 or SEC1).
    pub key_file: Option<PathBuf>,
    /// CA certificates that sign client certificates. When set, a client
    /// certificate must chain to them; a client without one reaches health only.
    pub client_ca_file: Option<PathBuf>,
    /// Seconds between checks of the files for changes.
    pub reload_interval_seconds: u64,
}

/// How callers are authenticated.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// Everyone is an anonymous principal with every scope.
    None,
    /// A bearer JWT in `authorization` metadata.
    Jwt,
    /// The client certificate's URI SAN, else its DNS SAN.
    Mtls,
}

/// Authentication and authorization.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// `none` (default, loopback only), `jwt` or `mtls`.
    pub mode: AuthMode,
    /// Lets `none` serve on a non-loopback address.
    pub allow_unauthenticated: bool,
    /// Serves reflection without credentials.
    pub open_reflection: bool,
    pub jwt: JwtSettings,
    /// Scopes of mTLS principals.
    #[serde(default)]
    pub principals: Vec<PrincipalSettings>,
}

/// Bearer-token verification.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtSettings {
    /// A JWK Set (JSON) with the issuer's RS256 / ES256 public keys; re-read
    /// when it changes.
    pub jwks_file: Option<PathBuf>,
    /// Fetching the JWK Set over HTTPS is not implemented; setting it is
    /// refused at start rather than silently ignored.
    pub jwks_url: Option<String>,
    /// Required `iss`.
    pub issuer: Option<String>,
    /// Required `aud` (one of the token's audiences).
    pub audience: Option<String>,
    /// Clock leeway for `exp` and `nbf`, in seconds.
    pub leeway_seconds: u64,
}

/// One mTLS principal and its scopes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrincipalSettings {
    /// The certificate's URI SAN (e.g. `spiffe://example.org/payroll`) or DNS SAN.
    pub name: String,
    /// Scopes, e.g. `["kpi.read"]`.
    pub scopes: Vec<String>,
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
    ("server.max_concurrent_requests", "256"),
    ("server.request_timeout_seconds", "30"),
    ("server.reflection", "true"),
    ("server.shutdown_grace_seconds", "20"),
    ("server.keepalive_interval_seconds", "60"),
    ("server.keepalive_timeout_seconds", "20"),
    ("server.max_connection_age_seconds", "600"),
    ("database.url", "sqlite://kpi-service.db?mode=rwc"),
    ("database.max_connections", "16"),
    ("database.min_connections", "1"),
    ("database.acquire_timeout_seconds", "5"),
    ("database.connect_timeout_seconds", "5"),
    ("database.migrate_on_start", "true"),
    ("database.health_check_interval_seconds", "5"),
    ("ingest.max_batch_size", "1000"),
    ("ingest.max_new_agents_per_batch", "100"),
    ("ingest.future_tolerance_seconds", "300"),
    ("reporting.time_zone", "UTC"),
    ("telemetry.log_format", "text"),
    ("telemetry.log_filter", "info"),
    ("telemetry.metrics_addr", ""),
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

    fn validate(&self) -> Result<(), SettingsError> {
        let invalid = |key, reason: &str| SettingsError::Invalid {
            key,
            reason: reason.to_owned(),
        };
        SocketAddr::from_str(&self.server.listen_addr).map_err(|_| {
            invalid(
                "server.listen_addr",
                "expected host:port, e.g. 0.0.0.0:50051",
            )
        })?;
        chrono_tz::Tz::from_str(&self.reporting.time_zone)
            .map_err(|_| invalid("reporting.time_zone", "expected an IANA time zone name"))?;
        if !(self.database.url.starts_with("sqlite:") || self.database.url.starts_with("postgres"))
        {
            return Err(invalid(
                "database.url",
                "expected a sqlite:// or postgres:// URL",
            ));
        }
        if self.ingest.max_batch_size == 0 || self.ingest.max_batch_size > 10_000 {
            return Err(invalid("ingest.max_batch_size", "must be 1-10000"));
        }
        if self.ingest.max_new_agents_per_batch > 10_000 {
            return Err(invalid(
                "ingest.max_new_agents_per_batch",
                "must be 0-10000",
            ));
        }
        if self.ingest.future_tolerance_seconds < 0 {
            return Err(invalid("ingest.future_tolerance_seconds", "must be >= 0"));
        }
        if self.database.max_connections == 0
            || self.database.min_connections > self.database.max_connections
        {
            return Err(invalid(
                "database.max_connections",
                "must be >= 1 and >= database.min_connections",
            ));
        }
        if self.server.max_concurrent_requests == 0 {
            return Err(invalid("server.max_concurrent_requests", "must be >= 1"));
        }
        self.validate_trust()?;
        self.validate_operations()
    }

    /// The TLS and auth settings hang together, and `none` is not served
    /// beyond loopback unless explicitly allowed. `Application::build`
    /// checks this again, so settings built in code cannot skip it.
    pub fn validate_trust(&self) -> Result<(), SettingsError> {
        let invalid = |key, reason: &str| SettingsError::Invalid {
            key,
            reason: reason.to_owned(),
        };
        let tls = &self.tls;
        if tls.cert_file.is_some() != tls.key_file.is_some() {
            return Err(invalid(
                "tls.cert_file",
                "tls.cert_file and tls.key_file go together",
            ));
        }
        if tls.client_ca_file.is_some() && tls.cert_file.is_none() {
            return Err(invalid(
                "tls.client_ca_file",
                "mutual TLS needs tls.cert_file and tls.key_file",
            ));
        }
        if tls.reload_interval_seconds == 0 {
            return Err(invalid("tls.reload_interval_seconds", "must be >= 1"));
        }
        let auth = &self.auth;
        match auth.mode {
            AuthMode::None => {
                if !self.server.listen_addr().ip().is_loopback() && !auth.allow_unauthenticated {
                    return Err(invalid(
                        "auth.mode",
                        "mode none serves everyone with every scope; on a non-loopback \
                         server.listen_addr choose jwt or mtls, or set \
                         auth.allow_unauthenticated = true",
                    ));
                }
            }
            AuthMode::Jwt => {
                if auth.jwt.jwks_url.is_some() {
                    return Err(invalid(
                        "auth.jwt.jwks_url",
                        "not supported yet; publish the JWK Set as a file and set auth.jwt.jwks_file",
                    ));
                }
                if auth.jwt.jwks_file.is_none() {
                    return Err(invalid(
                        "auth.jwt.jwks_file",
                        "required when auth.mode = jwt",
                    ));
                }
                if auth.jwt.issuer.as_deref().unwrap_or("").is_empty() {
                    return Err(invalid("auth.jwt.issuer", "required when auth.mode = jwt"));
                }
                if auth.jwt.audience.as_deref().unwrap_or("").is_empty() {
                    return Err(invalid(
                        "auth.jwt.audience",
                        "required when auth.mode = jwt",
                    ));
                }
            }
            AuthMode::Mtls => {
                if tls.client_ca_file.is_none() {
                    return Err(invalid(
                        "tls.client_ca_file",
                        "required when auth.mode = mtls",
                    ));
                }
            }
        }
        for principal in &auth.principals {
            if principal.name.is_empty() {
                return Err(invalid("auth.principals", "every principal needs a name"));
            }
        }
        Ok(())
    }

    /// The operators' settings: metrics listener and connection lifetimes.
    fn validate_operations(&self) -> Result<(), SettingsError> {
        if let Some(Err(_)) = self.telemetry.metrics_addr() {
            return Err(SettingsError::Invalid {
                key: "telemetry.metrics_addr",
                reason: "expected host:port, e.g. 0.0.0.0:9090, or empty for none".into(),
            });
        }
        if self.server.keepalive_interval_seconds > 0 && self.server.keepalive_timeout_seconds == 0
        {
            return Err(SettingsError::Invalid {
                key: "server.keepalive_timeout_seconds",
                reason: "must be >= 1 when keepalive pings are on".into(),
            });
        }
        Ok(())
    }
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

impl TlsSettings {
    /// True when the listener speaks TLS.
    pub fn enabled(&self) -> bool {
        self.cert_file.is_some()
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

impl TelemetrySettings {
    /// The metrics listener's address; `None` when metrics are off.
    pub fn metrics_addr(&self) -> Option<Result<SocketAddr, std::net::AddrParseError>> {
        let address = self.metrics_addr.trim();
        (!address.is_empty()).then(|| SocketAddr::from_str(address))
    }
}

impl ReportingSettings {
    pub fn time_zone(&self) -> chrono_tz::Tz {
        // Validated at load.
        chrono_tz::Tz::from_str(&self.time_zone).unwrap_or(chrono_tz::UTC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_then_file_then_environment() {
        let file = std::env::temp_dir().join(format!("kpi-settings-{}.toml", std::process::id()));
        std::fs::write(
            &file,
            "[server]\nlisten_addr = \"0.0.0.0:6000\"\n[ingest]\nmax_batch_size = 250\n\
             [reporting]\ntime_zone = \"Europe/Berlin\"\n\
             [auth]\nallow_unauthenticated = true\n",
        )
        .unwrap();
        // The only test in this binary that touches KPI__ variables.
        std::env::set_var("KPI__INGEST__MAX_BATCH_SIZE", "500");
        let settings = Settings::load(Some(&file));
        std::env::remove_var("KPI__INGEST__MAX_BATCH_SIZE");
        let _ = std::fs::remove_file(&file);
        let settings = settings.unwrap();

        assert_eq!(
            settings.server.listen_addr, "0.0.0.0:6000",
            "the file overrides a default"
        );
        assert_eq!(
            settings.ingest.max_batch_size, 500,
            "the environment overrides the file"
        );
        assert_eq!(settings.reporting.time_zone(), chrono_tz::Europe::Berlin);
        assert_eq!(
            settings.database.url, "sqlite://kpi-service.db?mode=rwc",
            "defaults fill the rest"
        );
        assert!(settings.database.migrate_on_start);
    }

    #[test]
    fn unknown_keys_are_refused_with_their_name() {
        let typo_in_environment = config::Map::from([(
            "KPI__SERVER__LISTEN_ADRR".to_owned(),
            "0.0.0.0:6000".to_owned(),
        )]);
        let error = Settings::load_with_environment(None, Some(typo_in_environment))
            .unwrap_err()
            .to_string();
        assert!(error.contains("listen_adrr"), "{error}");
        assert!(error.contains("server"), "{error}");

        let file = std::env::temp_dir().join(format!("kpi-typo-{}.toml", std::process::id()));
        std::fs::write(&file, "[databse]\nurl = \"postgres://db/kpi\"\n").unwrap();
        let result = Settings::load_with_environment(Some(&file), Some(config::Map::new()));
        let _ = std::fs::remove_file(&file);
        let error = result.unwrap_err().to_string();
        assert!(error.contains("databse"), "{error}");

        let typo_in_a_nested_section = config::Map::from([(
            "KPI__AUTH__JWT__ISSUR".to_owned(),
            "https://login.example.com/".to_owned(),
        )]);
        let error = Settings::load_with_environment(None, Some(typo_in_a_nested_section))
            .unwrap_err()
            .to_string();
        assert!(error.contains("issur"), "{error}");

        assert!(
            Settings::load_with_environment(None, Some(config::Map::new())).is_ok(),
            "the defaults alone are valid"
        );
    }

    #[test]
    fn metrics_are_off_by_default_and_need_a_socket_address() {
        let mut settings = Settings::defaults().unwrap();
        assert!(settings.telemetry.metrics_addr().is_none());
        settings.telemetry.metrics_addr = "0.0.0.0:9090".into();
        assert!(settings.validate().is_ok());
        settings.telemetry.metrics_addr = "metrics".into();
        let error = settings.validate().unwrap_err().to_string();
        assert!(error.contains("telemetry.metrics_addr"), "{error}");
    }

    #[test]
    fn invalid_settings_name_the_setting() {
        let mut settings = Settings::defaults().unwrap();
        settings.reporting.time_zone = "Mars/Olympus_Mons".into();
        let error = settings.validate().unwrap_err().to_string();
        assert!(error.contains("reporting.time_zone"), "{error}");

        let mut settings = Settings::defaults().unwrap();
        settings.database.url = "mysql://root@localhost/kpi".into();
        assert!(settings
            .validate()
            .unwrap_err()
            .to_string()
            .contains("database.url"));

        let mut settings = Settings::defaults().unwrap();
        settings.ingest.max_batch_size = 0;
        assert!(settings.validate().is_err());
    }

    #[test]
    fn mode_none_stays_on_loopback_unless_allowed() {
        let mut settings = Settings::defaults().unwrap();
        assert_eq!(settings.auth.mode, AuthMode::None);
        assert!(settings.validate().is_ok(), "the default is loopback");
        settings.server.listen_addr = "0.0.0.0:50051".into();
        let error = settings.validate().unwrap_err().to_string();
        assert!(error.contains("auth.mode"), "{error}");
        settings.auth.allow_unauthenticated = true;
        assert!(settings.validate().is_ok());
    }

    #[test]
    fn jwt_needs_keys_issuer_and_audience() {
        let mut settings = Settings::defaults().unwrap();
        settings.auth.mode = AuthMode::Jwt;
        let error = settings.validate().unwrap_err().to_string();
        assert!(error.contains("auth.jwt.jwks_file"), "{error}");
        settings.auth.jwt.jwks_file = Some("keys.json".into());
        settings.auth.jwt.issuer = Some("https://issuer.example".into());
        let error = settings.validate().unwrap_err().to_string();
        assert!(error.contains("auth.jwt.audience"), "{error}");
        settings.auth.jwt.audience = Some("kpi-service".into());
        assert!(settings.validate().is_ok());
    }
}
