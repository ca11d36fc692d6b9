//! DPoP (RFC 9449): what the core decides of a proof (when one is needed is `requests.rs`'s and
//! `flight.rs`'s): its header and claims, the key's thumbprint, unique `jti`s, the latest nonce of
//! each origin. The signature is the shell's (WebCrypto, or the Rust signer in React Native): the
//! core hands it the signing input and gets the signature back.

use crate::json::{write_num, write_str};
use crate::sha256::{base64url, sha256};

/// The public key proofs are signed with (P-256, the JWK's `x` and `y`, base64url).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    /// The JWK's `x`.
    pub x: String,
    /// The JWK's `y`.
    pub y: String,
}

impl PublicKey {
    /// The key's RFC 7638 thumbprint: base64url(SHA-256) of its required members, in order.
    ///
    /// ```
    /// use authlane_core::dpop::PublicKey;
    /// let key = PublicKey { x: "x".into(), y: "y".into() };
    /// assert_eq!(key.thumbprint().len(), 43);
    /// ```
    pub fn thumbprint(&self) -> String {
        let mut members = String::from("{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":");
        write_str(&mut members, &self.x);
        members.push_str(",\"y\":");
        write_str(&mut members, &self.y);
        members.push('}');
        base64url(&sha256(members.as_bytes()))
    }

    /// The proof's JOSE header, base64url: `typ` dpop+jwt, `alg` ES256, the public `jwk`.
    fn header(&self) -> String {
        let mut h = String::from("{\"typ\":\"dpop+jwt\",\"alg\":\"ES256\",\"jwk\":{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":");
        write_str(&mut h, &self.x);
        h.push_str(",\"y\":");
        write_str(&mut h, &self.y);
        h.push_str("}}");
        base64url(h.as_bytes())
    }
}

/// What one proof says.
#[derive(Clone, Debug, PartialEq)]
pub struct Claims<'a> {
    /// The request's method.
    pub htm: &'a str,
    /// The request's URL (its query and fragment are dropped, section 4.2).
    pub htu: &'a str,
    /// Server seconds.
    pub iat: f64,
    /// A unique id.
    pub jti: &'a str,
    /// The access token the request carries (`ath` is its hash), for a resource server.
    pub access_token: Option<&'a str>,
    /// The server's nonce.
    pub nonce: Option<&'a str>,
}

/// The URL as `htu` names it: without query and fragment.
///
/// ```
/// assert_eq!(authlane_core::dpop::htu("https://a.example/p?q=1#f"), "https://a.example/p");
/// ```
pub fn htu(url: &str) -> &str {
    // Bytes, not str patterns: those cost kilobytes of wasm.
    let end = url
        .bytes()
        .position(|b| b == b'?' || b == b'#')
        .unwrap_or(url.len());
    url.get(..end).unwrap_or(url)
}

/// A token's `ath`: base64url(SHA-256(its ASCII)).
pub fn ath(access_token: &str) -> String {
    base64url(&sha256(access_token.as_bytes()))
}

/// The JWS signing input of a proof (`header.payload`), to be signed with ES256; the proof is
/// `input.signature`.
pub fn signing_input(key: &PublicKey, claims: &Claims<'_>) -> String {
    let mut p = String::from("{\"jti\":");
    write_str(&mut p, claims.jti);
    p.push_str(",\"htm\":");
    write_str(&mut p, claims.htm);
    p.push_str(",\"htu\":");
    write_str(&mut p, htu(claims.htu));
    p.push_str(",\"iat\":");
    write_num(&mut p, claims.iat.floor());
    if let Some(token) = claims.access_token {
        p.push_str(",\"ath\":");
        write_str(&mut p, &ath(token));
    }
    if let Some(nonce) = claims.nonce {
        p.push_str(",\"nonce\":");
        write_str(&mut p, nonce);
    }
    p.push('}');
    let mut input = key.header();
    input.push('.');
    input.push_str(&base64url(p.as_bytes()));
    input
}

/// Unique, unpredictable `jti`s: SHA-256 of a secret seed (from `crypto.getRandomValues`, given
/// at creation) and a counter.
#[derive(Clone, Debug, Default)]
pub struct Jtis {
    seed: Vec<u8>,
    counter: u64,
}

impl Jtis {
    /// From the shell's random seed.
    pub fn new(seed: &[u8]) -> Jtis {
        Jtis {
            seed: seed.to_vec(),
            counter: 0,
        }
    }

    /// The next `jti` (128 bits, base64url).
    pub fn next_jti(&mut self) -> String {
        self.counter += 1;
        let mut data = self.seed.clone();
        data.extend_from_slice(&self.counter.to_be_bytes());
        let digest = sha256(&data);
        base64url(digest.get(..16).unwrap_or(&digest))
    }
}

/// The latest `DPoP-Nonce` each origin (the authorization server's, each resource server's) sent.
#[derive(Clone, Debug, Default)]
pub struct Nonces {
    by_origin: Vec<(String, String)>,
}

impl Nonces {
    /// The nonce to send to `origin`.
    pub fn get(&self, origin: &str) -> Option<&str> {
        self.by_origin
            .iter()
            .find(|(o, _)| o == origin)
            .map(|(_, n)| n.as_str())
    }

    /// `origin` sent `nonce`; true when it is new.
    pub fn set(&mut self, origin: &str, nonce: &str) -> bool {
        match self.by_origin.iter_mut().find(|(o, _)| o == origin) {
            Some((_, n)) if n == nonce => false,
            Some((_, n)) => {
                *n = nonce.to_string();
                true
            }
            None => {
                self.by_origin.push((origin.to_string(), nonce.to_string()));
                true
            }
        }
    }
}

/// True when a `WWW-Authenticate` challenge is DPoP's `use_dpop_nonce` (RFC 9449 section 9).
///
/// ```
/// use authlane_core::dpop::asks_nonce;
/// assert!(asks_nonce(r#"DPoP error="use_dpop_nonce", error_description="x""#));
/// assert!(!asks_nonce(r#"Bearer error="invalid_token""#));
/// ```
pub fn asks_nonce(challenge: &str) -> bool {
    let c = challenge.as_bytes().trim_ascii_start();
    let needle = b"use_dpop_nonce";
    c.get(..4).is_some_and(|s| s.eq_ignore_ascii_case(b"dpop"))
        && c.windows(needle.len()).any(|w| w == needle)
}

/// True when a token response's `token_type` says the access token is DPoP-bound.
pub fn bound_type(token_type: Option<&str>) -> bool {
    token_type.is_some_and(|t| t.eq_ignore_ascii_case("dpop"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7638_example_thumbprint() {
        // RFC 7638 section 3.1's example is an RSA key; RFC 9449's examples use this EC key
        // (section 4.1, its thumbprint in section 6.1).
        let key = PublicKey {
            x: "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs".into(),
            y: "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA".into(),
        };
        assert_eq!(
            key.thumbprint(),
            "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
        );
    }

    #[test]
    fn the_rfc_9449_example_ath() {
        // Section 7.1: the access token and its ath.
        assert_eq!(
            ath("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
    }

    #[test]
    fn jtis_differ_and_nonces_are_per_origin() {
        let mut j = Jtis::new(b"secret seed");
        let (a, b) = (j.next_jti(), j.next_jti());
        assert_ne!(a, b);
        assert_eq!(a.len(), 22);
        let mut n = Nonces::default();
        assert!(n.set("https://as.example", "n1"));
        assert!(!n.set("https://as.example", "n1"));
        assert!(n.set("https://rs.example", "n2"));
        assert_eq!(n.get("https://as.example"), Some("n1"));
        assert_eq!(n.get("https://other.example"), None);
    }
}
