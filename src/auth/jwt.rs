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

use super::Principal;
use crate::configuration::JwtSettings;

/// How often the JWK Set file is looked at for changes, at most.
const RECHECK_INTERVAL: Duration = Duration::from_secs(1);
/// Longest token accepted, in bytes: more is not a token of ours.
const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Why a token was refused: the UNAUTHENTICATED reason, never the token.
pub type Reason = &'static str;

/// Verifies bearer tokens.
pub struct JwtVerifier {
    path: PathBuf,
    issuer: String,
    audience: String,
    leeway_seconds: u64,
    keys: RwLock<JwkSet>,
    /// (modification time, size) of the file as loaded, and when it was
    /// last looked at.
    seen: Mutex<(Option<(SystemTime, u64)>, Instant)>,
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

fn read_keys(path: &PathBuf) -> anyhow::Result<JwkSet> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the JWK Set {}", path.display()))?;
    let keys: JwkSet = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a JWK Set", path.display()))?;
    for key in &keys.keys {
        DecodingKey::from_jwk(key)
            .with_context(|| format!("{} holds a key that cannot verify", path.display()))?;
    }
    Ok(keys)
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
        tracing::info!(keys = keys.keys.len(), file = %path.display(), "JWK Set loaded");
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
                tracing::info!(keys = keys.keys.len(), "JWK Set changed: reloaded");
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
            let jwk = match &header.kid {
                Some(kid) => keys.find(kid),
                // Without a key id, only a set of one key is unambiguous.
                None if keys.keys.len() == 1 => keys.keys.first(),
                None => None,
            };
            let jwk = jwk.ok_or("TOKEN_KEY_UNKNOWN")?;
            DecodingKey::from_jwk(jwk).map_err(|_| "TOKEN_KEY_UNKNOWN")?
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
