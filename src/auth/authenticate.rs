//! Credentials in, principal out, by `auth.mode`.

use tonic::{
    codegen::http,
    transport::server::{TcpConnectInfo, TlsConnectInfo},
};

use super::{jwt::JwtVerifier, mtls::PrincipalDirectory, Principal, Reason};
use crate::configuration::{AuthMode, Settings};

enum Mode {
    None,
    Jwt(JwtVerifier),
    Mtls(PrincipalDirectory),
}

/// Authenticates calls according to the settings.
pub struct Authenticator {
    mode: Mode,
    /// A client CA is configured: clients without a certificate reach only
    /// what is open.
    client_certificates_required: bool,
    /// Serve reflection without credentials.
    pub open_reflection: bool,
}

impl Authenticator {
    /// Builds the authenticator; in mode `jwt` the JWK Set must load.
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        let mode = match settings.auth.mode {
            AuthMode::None => {
                tracing::warn!(
                    address = %settings.server.listen_addr,
                    "auth.mode = none: every caller is anonymous with every scope; \
                     use jwt or mtls for anything but local development"
                );
                Mode::None
            }
            AuthMode::Jwt => Mode::Jwt(JwtVerifier::new(&settings.auth.jwt)?),
            AuthMode::Mtls => Mode::Mtls(PrincipalDirectory::new(&settings.auth.principals)),
        };
        Ok(Self {
            mode,
            client_certificates_required: settings.tls.client_ca_file.is_some(),
            open_reflection: settings.auth.open_reflection,
        })
    }

    /// The principal of a call, from its headers and connection.
    pub fn authenticate<B>(&self, request: &http::Request<B>) -> Result<Principal, Reason> {
        let client_certificate = request
            .extensions()
            .get::<TlsConnectInfo<TcpConnectInfo>>()
            .and_then(|info| info.peer_certs())
            .and_then(|certificates| certificates.first().map(|first| first.to_vec()));
        if self.client_certificates_required && client_certificate.is_none() {
            return Err("CLIENT_CERTIFICATE_MISSING");
        }
        match &self.mode {
            Mode::None => Ok(Principal::anonymous()),
            Mode::Jwt(verifier) => {
                let header = request
                    .headers()
                    .get(http::header::AUTHORIZATION)
                    .ok_or("CREDENTIALS_MISSING")?;
                let value = header.to_str().map_err(|_| "CREDENTIALS_MALFORMED")?;
                let token = value
                    .strip_prefix("Bearer ")
                    .or_else(|| value.strip_prefix("bearer "))
                    .ok_or("CREDENTIALS_MALFORMED")?;
                verifier.verify(token.trim())
            }
            Mode::Mtls(directory) => {
                let certificate = client_certificate.ok_or("CLIENT_CERTIFICATE_MISSING")?;
                directory.principal(&certificate)
            }
        }
    }
}
