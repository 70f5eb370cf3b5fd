//! Transport security and who may call what: TLS files, the authentication
//! mode and its settings, and the rule that `none` stays on loopback.

use std::path::PathBuf;

use serde::Deserialize;

use super::{Settings, SettingsError};

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

impl TlsSettings {
    /// True when the listener speaks TLS.
    pub fn enabled(&self) -> bool {
        self.cert_file.is_some()
    }
}

impl Settings {
    /// The TLS and auth settings hang together, and `none` is not served
    /// beyond loopback unless explicitly allowed. `Application::build`
    /// checks this again, so settings built in code cannot skip it.
    pub fn validate_trust(&self) -> Result<(), SettingsError> {
        let invalid = |key, reason: &str| SettingsError::invalid(key, reason);
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
}
