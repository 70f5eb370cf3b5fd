//! Certificates and tokens made in the test: a CA with server and client
//! certificates (rcgen), a JWK Set with an ES256 key made here and an RS256
//! test key (tests/api/keys; ring cannot generate RSA keys), and tokens
//! signed with them (jsonwebtoken).

use std::{
    path::{Path, PathBuf},
    sync::atomic::{AtomicU32, Ordering},
    time::{SystemTime, UNIX_EPOCH},
};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use kpi_service::configuration::{AuthMode, Settings};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use tonic::{
    metadata::MetadataValue,
    transport::{Certificate, ClientTlsConfig, Identity},
};

pub const ISSUER: &str = "https://id.kpi.test";
pub const AUDIENCE: &str = "kpi-service";
const RSA_PRIVATE_KEY: &str = include_str!("keys/rs256-test-key.pem");
const RSA_PUBLIC_JWK: &str = include_str!("keys/rs256-test-key.jwk.json");

/// A scratch directory, removed on drop.
pub struct ScratchDir(pub PathBuf);

impl ScratchDir {
    pub fn new(what: &str) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "kpi-{what}-{}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            now()
        ));
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A test certificate authority.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    pub pem: String,
}

/// Which name a client certificate carries.
pub enum ClientName<'a> {
    Uri(&'a str),
    Dns(&'a str),
}

impl TestCa {
    pub fn new(name: &str) -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let certificate = params.self_signed(&key).unwrap();
        Self {
            pem: certificate.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A server certificate for `localhost` and 127.0.0.1: (cert PEM, key PEM).
    pub fn server(&self) -> (String, String) {
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let certificate = params.signed_by(&key, &self.issuer).unwrap();
        (certificate.pem(), key.serialize_pem())
    }

    /// A client identity named `name`.
    pub fn client(&self, name: ClientName<'_>) -> Identity {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.subject_alt_names = vec![match name {
            ClientName::Uri(uri) => SanType::URI(uri.try_into().unwrap()),
            ClientName::Dns(dns) => SanType::DnsName(dns.try_into().unwrap()),
        }];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let certificate = params.signed_by(&key, &self.issuer).unwrap();
        Identity::from_pem(certificate.pem(), key.serialize_pem())
    }

    /// Client TLS trusting this CA, for the server name `localhost`.
    pub fn client_tls(&self) -> ClientTlsConfig {
        ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(&self.pem))
            .domain_name("localhost")
    }
}

/// Server TLS files in `dir`, made by `ca`; with `client_ca`, mutual TLS.
pub fn write_server_tls(dir: &ScratchDir, ca: &TestCa, client_ca: Option<&TestCa>) {
    let (cert, key) = ca.server();
    std::fs::write(dir.file("server.pem"), cert).unwrap();
    std::fs::write(dir.file("server.key"), key).unwrap();
    if let Some(client_ca) = client_ca {
        std::fs::write(dir.file("clients-ca.pem"), &client_ca.pem).unwrap();
    }
}

/// Points the settings at the TLS files of [`write_server_tls`].
pub fn use_server_tls(settings: &mut Settings, dir: &Path, mutual: bool) {
    settings.tls.cert_file = Some(dir.join("server.pem"));
    settings.tls.key_file = Some(dir.join("server.key"));
    if mutual {
        settings.tls.client_ca_file = Some(dir.join("clients-ca.pem"));
    }
    settings.tls.reload_interval_seconds = 1;
}

/// Signs tokens; its JWK Set file lists an ES256 and an RS256 key.
pub struct TokenIssuer {
    ec_key_pem: String,
    pub jwks_file: PathBuf,
}

/// The algorithm a token is signed with.
#[derive(Clone, Copy, Debug)]
pub enum Alg {
    Es256,
    Rs256,
}

fn ec_jwk(key: &KeyPair, kid: &str) -> serde_json::Value {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    // Uncompressed point: 0x04 || x || y.
    let point = key.public_key_raw();
    serde_json::json!({
        "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": kid,
        "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
        "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
    })
}

impl TokenIssuer {
    /// A new ES256 key (kid `test-ec`) and the RS256 test key (`test-rsa`),
    /// their JWK Set written to `dir/jwks.json`.
    pub fn new(dir: &ScratchDir) -> Self {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let jwks_file = dir.file("jwks.json");
        let rsa: serde_json::Value = serde_json::from_str(RSA_PUBLIC_JWK).unwrap();
        let set = serde_json::json!({ "keys": [ec_jwk(&key, "test-ec"), rsa] });
        std::fs::write(&jwks_file, set.to_string()).unwrap();
        Self {
            ec_key_pem: key.serialize_pem(),
            jwks_file,
        }
    }

    /// Replaces the ES256 key (same kid) and rewrites the JWK Set: tokens of
    /// the old key stop verifying once the service re-reads the file.
    pub fn rotate(&mut self) {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let rsa: serde_json::Value = serde_json::from_str(RSA_PUBLIC_JWK).unwrap();
        let set = serde_json::json!({ "keys": [ec_jwk(&key, "test-ec"), rsa] });
        std::fs::write(&self.jwks_file, set.to_string()).unwrap();
        self.ec_key_pem = key.serialize_pem();
    }

    /// Signs `claims` as they are.
    pub fn sign(&self, alg: Alg, claims: &serde_json::Value) -> String {
        let (header, key) = match alg {
            Alg::Es256 => {
                let mut header = Header::new(Algorithm::ES256);
                header.kid = Some("test-ec".into());
                (
                    header,
                    EncodingKey::from_ec_pem(self.ec_key_pem.as_bytes()).unwrap(),
                )
            }
            Alg::Rs256 => {
                let mut header = Header::new(Algorithm::RS256);
                header.kid = Some("test-rsa".into());
                (
                    header,
                    EncodingKey::from_rsa_pem(RSA_PRIVATE_KEY.as_bytes()).unwrap(),
                )
            }
        };
        jsonwebtoken::encode(&header, claims, &key).unwrap()
    }

    /// Claims of a token valid for ten minutes.
    pub fn claims(subject: &str, scopes: &[&str]) -> serde_json::Value {
        serde_json::json!({
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": subject,
            "scope": scopes.join(" "),
            "iat": now(),
            "nbf": now() - 5,
            "exp": now() + 600,
        })
    }

    /// A valid ES256 token for `subject` with `scopes`.
    pub fn token(&self, subject: &str, scopes: &[&str]) -> String {
        self.sign(Alg::Es256, &Self::claims(subject, scopes))
    }

    /// A token whose claims were changed by `change`.
    pub fn token_with(
        &self,
        alg: Alg,
        subject: &str,
        scopes: &[&str],
        change: impl FnOnce(&mut serde_json::Value),
    ) -> String {
        let mut claims = Self::claims(subject, scopes);
        change(&mut claims);
        self.sign(alg, &claims)
    }
}

/// Every scope.
pub const ALL_SCOPES: &[&str] = &[
    "kpi.ingest:*",
    "kpi.read",
    "kpi.directory.write",
    "kpi.policy.write",
    "kpi.audit.read",
];

/// Switches the settings to mode `jwt` with `issuer`'s keys.
pub fn use_jwt(settings: &mut Settings, issuer: &TokenIssuer) {
    settings.auth.mode = AuthMode::Jwt;
    settings.auth.jwt.jwks_file = Some(issuer.jwks_file.clone());
    settings.auth.jwt.issuer = Some(ISSUER.into());
    settings.auth.jwt.audience = Some(AUDIENCE.into());
}

/// A request carrying `token` (if any) and `request_id` (if any).
pub fn request<T>(message: T, token: Option<&str>, request_id: Option<&str>) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Some(token) = token {
        let value: MetadataValue<_> = format!("Bearer {token}").parse().unwrap();
        request.metadata_mut().insert("authorization", value);
    }
    if let Some(request_id) = request_id {
        request
            .metadata_mut()
            .insert("x-request-id", request_id.parse().unwrap());
    }
    request
}

/// The ErrorInfo (reason, metadata) of a status.
pub fn error_info(status: &tonic::Status) -> (String, std::collections::HashMap<String, String>) {
    use tonic_types::StatusExt;
    let info = status
        .get_details_error_info()
        .unwrap_or_else(|| panic!("no ErrorInfo in {status:?}"));
    assert_eq!(info.domain, "kpi.v1");
    (info.reason, info.metadata)
}
