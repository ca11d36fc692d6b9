//! The pure verification: signature and algorithm by jsonwebtoken, the standard claims here, at
//! a given time. No JS in it: tested natively.

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{decode, decode_header, errors::ErrorKind, Algorithm, DecodingKey, Validation};

use serde_json::Value;

/// The key to verify with.
pub enum Key {
    /// An HMAC secret.
    Secret(Vec<u8>),
    /// One JWK.
    Jwk(Box<Jwk>),
    /// A JWKS; the token's `kid` picks the key.
    Set(JwkSet),
}

/// Validated options.
pub struct Options {
    /// The key.
    pub key: Key,
    /// Accepted algorithms.
    pub algorithms: Vec<Algorithm>,
    /// Accepted issuers (empty: not checked).
    pub issuer: Vec<String>,
    /// Accepted audiences (empty: not checked).
    pub audience: Vec<String>,
    /// Seconds of tolerance for `exp` and `nbf`.
    pub leeway: u64,
}

/// Why verification failed.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// The token is malformed (`INVALID_TOKEN`).
    Malformed(&'static str),
    /// An option is wrong (`INVALID_CONFIG`).
    Config(&'static str),
    /// A check failed (`SIGNATURE_INVALID`) with its reason.
    Rejected(&'static str),
}

/// The algorithm named `name`, if it is one this module verifies.
pub fn algorithm(name: &str) -> Option<Algorithm> {
    let all = [
        ("HS256", Algorithm::HS256),
        ("HS384", Algorithm::HS384),
        ("HS512", Algorithm::HS512),
        ("RS256", Algorithm::RS256),
        ("RS384", Algorithm::RS384),
        ("RS512", Algorithm::RS512),
        ("PS256", Algorithm::PS256),
        ("PS384", Algorithm::PS384),
        ("PS512", Algorithm::PS512),
        ("ES256", Algorithm::ES256),
        ("ES384", Algorithm::ES384),
        ("EdDSA", Algorithm::EdDSA),
    ];
    all.into_iter().find(|(n, _)| *n == name).map(|(_, a)| a)
}

fn jwk_fits(jwk: &Jwk, alg: Algorithm) -> bool {
    let declared = jwk
        .common
        .key_algorithm
        .and_then(|ka| algorithm(&ka.to_string()));
    declared.is_none_or(|d| d == alg)
        && DecodingKey::from_jwk(jwk).is_ok_and(|k| k.family() == alg.family())
}

fn decoding_key(key: &Key, alg: Algorithm, kid: Option<&str>) -> Result<DecodingKey, Failure> {
    match key {
        Key::Secret(bytes) => Ok(DecodingKey::from_secret(bytes)),
        Key::Jwk(jwk) => {
            if !jwk_fits(jwk, alg) {
                return Err(Failure::Rejected("algorithm"));
            }
            DecodingKey::from_jwk(jwk).map_err(|_| Failure::Config("key is not a usable JWK"))
        }
        Key::Set(set) => {
            let jwk = match kid {
                Some(kid) => set
                    .keys
                    .iter()
                    .find(|k| k.common.key_id.as_deref() == Some(kid)),
                None => {
                    let mut fitting = set.keys.iter().filter(|k| jwk_fits(k, alg));
                    match (fitting.next(), fitting.next()) {
                        (Some(only), None) => Some(only),
                        _ => None,
                    }
                }
            };
            let jwk = jwk.ok_or(Failure::Rejected("key"))?;
            if !jwk_fits(jwk, alg) {
                return Err(Failure::Rejected("algorithm"));
            }
            DecodingKey::from_jwk(jwk)
                .map_err(|_| Failure::Config("key holds a JWK that is not usable"))
        }
    }
}

/// Verifies `token` at `now` (seconds since the epoch); returns its payload.
pub fn verify(token: &str, options: &Options, now: u64) -> Result<Value, Failure> {
    if token.split('.').count() != 3 {
        return Err(Failure::Malformed("a JWT has three parts"));
    }
    let header = decode_header(token).map_err(|_| match declared_alg(token) {
        // A header that parses but names an algorithm we do not verify ("none", "HS1"...).
        Some(_) => Failure::Rejected("algorithm"),
        None => Failure::Malformed("invalid header (part #1)"),
    })?;
    if !options.algorithms.contains(&header.alg) {
        return Err(Failure::Rejected("algorithm"));
    }
    let key = decoding_key(&options.key, header.alg, header.kid.as_deref())?;
    if key.family() != header.alg.family() {
        return Err(Failure::Rejected("algorithm"));
    }
    let mut validation = Validation::new(header.alg);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let payload = decode::<Value>(token, &key, &validation)
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidSignature => Failure::Rejected("signature"),
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                Failure::Rejected("algorithm")
            }
            ErrorKind::Base64(_)
            | ErrorKind::Json(_)
            | ErrorKind::Utf8(_)
            | ErrorKind::InvalidToken => Failure::Malformed("invalid base64 or JSON"),
            _ => Failure::Rejected("signature"),
        })?
        .claims;
    check_claims(&payload, options, now)?;
    Ok(payload)
}

/// The `alg` a token's header names, when the header is readable JSON.
fn declared_alg(token: &str) -> Option<String> {
    use base64::Engine;
    let part = token.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .ok()?;
    let header: Value = serde_json::from_slice(&bytes).ok()?;
    header.get("alg")?.as_str().map(str::to_string)
}

fn check_claims(payload: &Value, options: &Options, now: u64) -> Result<(), Failure> {
    let number = |k: &str| payload.get(k).and_then(Value::as_f64);
    let now = now as f64;
    let leeway = options.leeway as f64;
    if number("exp").is_some_and(|exp| now > exp + leeway) {
        return Err(Failure::Rejected("expired"));
    }
    if number("nbf").is_some_and(|nbf| now + leeway < nbf) {
        return Err(Failure::Rejected("notBefore"));
    }
    if !options.issuer.is_empty() {
        let iss = payload.get("iss").and_then(Value::as_str);
        if !iss.is_some_and(|i| options.issuer.iter().any(|want| want == i)) {
            return Err(Failure::Rejected("issuer"));
        }
    }
    if !options.audience.is_empty() {
        let matches = |a: &Value| {
            a.as_str()
                .is_some_and(|a| options.audience.iter().any(|want| want == a))
        };
        let ok = match payload.get("aud") {
            Some(Value::Array(list)) => list.iter().any(matches),
            Some(a) => matches(a),
            None => false,
        };
        if !ok {
            return Err(Failure::Rejected("audience"));
        }
    }
    Ok(())
}
