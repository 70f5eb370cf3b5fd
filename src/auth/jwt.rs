//! Bearer tokens: RS256 / ES256 JWTs verified against a JWK Set file that
//! is re-read when it changes (its modification time or size, looked at
//! most once a second), so keys rotate without a restart.

use std::{
    path::PathBuf,
    sync::{Mutex, RwLock},
    time::{Duration, Instant, SystemTime},
};

use anyhow::Context;
use jsonwebtoken::{
    decode, decode_header, errors::ErrorKind, jwk::JwkSet, Algorithm, DecodingKey, Validation,
};
use serde::Deserialize;

use super::{Principal, Reason};
use crate::configuration::JwtSettings;

/// How often the JWK Set file is looked at for changes, at most.
const RECHECK_INTERVAL: Duration = Duration::from_secs(1);
/// Longest token accepted, in bytes: more is not a token of ours.
const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Verifies bearer tokens.
pub struct JwtVerifier {
    path: PathBuf,
    issuer: String,
    audience: String,
    leeway_seconds: u64,
    keys: RwLock<Vec<VerificationKey>>,
    /// (modification time, size) of the file as loaded, and when it was
    /// last looked at.
    seen: Mutex<(Option<(SystemTime, u64)>, Instant)>,
}

/// One key of the set, ready to verify with.
struct VerificationKey {
    kid: Option<String>,
    key: DecodingKey,
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    #[serde(default)]
    scope: String,
}

fn file_stamp(path: &PathBuf) -> Option<(SystemTime, u64)> {
    let metadata = std::fs::metadata(path).ok()?;
    Some((metadata.modified().ok()?, metadata.len()))
}

/// Reads and parses the whole set; one unusable key rejects the file.
fn read_keys(path: &PathBuf) -> anyhow::Result<Vec<VerificationKey>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the JWK Set {}", path.display()))?;
    let set: JwkSet = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a JWK Set", path.display()))?;
    set.keys
        .iter()
        .map(|jwk| {
            let key = DecodingKey::from_jwk(jwk)
                .with_context(|| format!("{} holds a key that cannot verify", path.display()))?;
            Ok(VerificationKey {
                kid: jwk.common.key_id.clone(),
                key,
            })
        })
        .collect()
}

impl JwtVerifier {
    /// Loads the JWK Set; a missing or broken file stops start-up.
    pub fn new(settings: &JwtSettings) -> anyhow::Result<Self> {
        let path = settings
            .jwks_file
            .clone()
            .context("auth.jwt.jwks_file is required")?;
        let stamp = file_stamp(&path);
        let keys = read_keys(&path)?;
        tracing::info!(keys = keys.len(), file = %path.display(), "JWK Set loaded");
        Ok(Self {
            issuer: settings.issuer.clone().unwrap_or_default(),
            audience: settings.audience.clone().unwrap_or_default(),
            leeway_seconds: settings.leeway_seconds,
            keys: RwLock::new(keys),
            seen: Mutex::new((stamp, Instant::now())),
            path,
        })
    }

    /// Re-reads the JWK Set if the file changed; a broken new file is logged
    /// and the old keys stay.
    fn refresh(&self) {
        let Ok(mut seen) = self.seen.lock() else {
            return;
        };
        if seen.1.elapsed() < RECHECK_INTERVAL {
            return;
        }
        seen.1 = Instant::now();
        let stamp = file_stamp(&self.path);
        if stamp == seen.0 {
            return;
        }
        match read_keys(&self.path) {
            Ok(keys) => {
                tracing::info!(keys = keys.len(), "JWK Set changed: reloaded");
                if let Ok(mut current) = self.keys.write() {
                    *current = keys;
                }
                seen.0 = stamp;
            }
            Err(error) => {
                tracing::error!(error = %format!("{error:#}"), "JWK Set changed but cannot be used; keeping the old keys");
            }
        }
    }

    /// The principal of a bearer token, or why it is refused.
    pub fn verify(&self, token: &str) -> Result<Principal, Reason> {
        if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
            return Err("TOKEN_MALFORMED");
        }
        self.refresh();
        let header = decode_header(token).map_err(|_| "TOKEN_MALFORMED")?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err("TOKEN_ALGORITHM_NOT_ALLOWED");
        }
        let key = {
            let keys = self.keys.read().map_err(|_| "TOKEN_KEY_UNKNOWN")?;
            let found = match &header.kid {
                Some(kid) => keys.iter().find(|key| key.kid.as_deref() == Some(kid)),
                // Without a key id, only a set of one key is unambiguous.
                None if keys.len() == 1 => keys.first(),
                None => None,
            };
            found.ok_or("TOKEN_KEY_UNKNOWN")?.key.clone()
        };
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[self.issuer.as_str()]);
        validation.set_audience(&[self.audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = self.leeway_seconds;
        let data =
            decode::<Claims>(token, &key, &validation).map_err(|error| match error.kind() {
                ErrorKind::ExpiredSignature => "TOKEN_EXPIRED",
                ErrorKind::ImmatureSignature => "TOKEN_NOT_YET_VALID",
                ErrorKind::InvalidIssuer => "TOKEN_WRONG_ISSUER",
                ErrorKind::InvalidAudience => "TOKEN_WRONG_AUDIENCE",
                ErrorKind::InvalidSignature | ErrorKind::Crypto(_) => "TOKEN_BAD_SIGNATURE",
                ErrorKind::InvalidAlgorithm => "TOKEN_ALGORITHM_NOT_ALLOWED",
                ErrorKind::MissingRequiredClaim(_) => "TOKEN_CLAIM_MISSING",
                _ => "TOKEN_MALFORMED",
            })?;
        let claims = data.claims;
        if claims.sub.is_empty() {
            return Err("TOKEN_CLAIM_MISSING");
        }
        Ok(Principal::new(
            claims.sub,
            claims.scope.split_whitespace().map(str::to_owned),
        ))
    }
}
