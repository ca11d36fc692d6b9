//! verify() natively: reasons, claims at a given time, JWKS selection, garbage.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use authlane_verify::verify::{verify, Failure, Key, Options};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

const NOW: u64 = 1_700_000_000;

fn hs(alg: Algorithm, secret: &[u8], kid: Option<&str>, claims: Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_string);
    encode(&header, &claims, &EncodingKey::from_secret(secret)).unwrap()
}

fn opts(key: Key, algs: &[Algorithm]) -> Options {
    Options {
        key,
        algorithms: algs.to_vec(),
        issuer: vec![],
        audience: vec![],
        leeway: 0,
    }
}

fn secret() -> Key {
    Key::Secret(b"s3cret".to_vec())
}

#[test]
fn hmac_algorithms_verify_and_return_the_payload() {
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        let t = hs(
            alg,
            b"s3cret",
            None,
            json!({ "sub": "42", "name": "Zoë", "exp": NOW + 60 }),
        );
        let payload = verify(&t, &opts(secret(), &[alg]), NOW).unwrap();
        assert_eq!(payload["name"], "Zoë");
    }
}

#[test]
fn every_failure_has_its_reason() {
    let good = hs(
        Algorithm::HS256,
        b"s3cret",
        None,
        json!({ "exp": NOW + 60, "nbf": NOW - 1, "iss": "me", "aud": ["api", "x"] }),
    );
    let o = opts(secret(), &[Algorithm::HS256]);
    let mut tampered = good.clone();
    tampered.pop();
    tampered.push(if good.ends_with('A') { 'B' } else { 'A' });
    assert_eq!(
        verify(&tampered, &o, NOW),
        Err(Failure::Rejected("signature"))
    );
    assert_eq!(
        verify(
            &good,
            &opts(Key::Secret(b"other".to_vec()), &[Algorithm::HS256]),
            NOW
        ),
        Err(Failure::Rejected("signature"))
    );
    assert_eq!(
        verify(&good, &opts(secret(), &[Algorithm::HS512]), NOW),
        Err(Failure::Rejected("algorithm"))
    );
    assert_eq!(
        verify(&good, &o, NOW + 61),
        Err(Failure::Rejected("expired"))
    );
    assert!(verify(
        &good,
        &Options {
            leeway: 5,
            ..opts(secret(), &[Algorithm::HS256])
        },
        NOW + 61
    )
    .is_ok());
    assert_eq!(
        verify(&good, &o, NOW - 10),
        Err(Failure::Rejected("notBefore"))
    );
    let iss = Options {
        issuer: vec!["other".into()],
        ..opts(secret(), &[Algorithm::HS256])
    };
    assert_eq!(verify(&good, &iss, NOW), Err(Failure::Rejected("issuer")));
    let aud = Options {
        audience: vec!["web".into()],
        ..opts(secret(), &[Algorithm::HS256])
    };
    assert_eq!(verify(&good, &aud, NOW), Err(Failure::Rejected("audience")));
    let aud_ok = Options {
        audience: vec!["x".into()],
        issuer: vec!["a".into(), "me".into()],
        ..opts(secret(), &[Algorithm::HS256])
    };
    assert!(verify(&good, &aud_ok, NOW).is_ok());
}

#[test]
fn alg_none_and_garbage_never_verify() {
    let o = opts(secret(), &[Algorithm::HS256]);
    let none = "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.";
    assert_eq!(verify(none, &o, NOW), Err(Failure::Rejected("algorithm")));
    for bad in [
        "",
        "a.b",
        "a.b.c",
        "....",
        "eyJhbGciOiJIUzI1NiJ9.!!!.x",
        "\u{0}.\u{0}.\u{0}",
    ] {
        assert!(
            matches!(
                verify(bad, &o, NOW),
                Err(Failure::Malformed(_) | Failure::Rejected(_))
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn a_jwks_is_matched_by_kid() {
    let set: JwkSet = serde_json::from_value(json!({ "keys": [
        { "kty": "oct", "kid": "one", "k": "b25lLXNlY3JldA", "alg": "HS256" },
        { "kty": "oct", "kid": "two", "k": "dHdvLXNlY3JldA", "alg": "HS256" }
    ]}))
    .unwrap();
    let o = opts(Key::Set(set), &[Algorithm::HS256]);
    let two = hs(
        Algorithm::HS256,
        b"two-secret",
        Some("two"),
        json!({ "sub": "2" }),
    );
    assert_eq!(verify(&two, &o, NOW).unwrap()["sub"], "2");
    let unknown = hs(Algorithm::HS256, b"two-secret", Some("three"), json!({}));
    assert_eq!(verify(&unknown, &o, NOW), Err(Failure::Rejected("key")));
    let no_kid = hs(Algorithm::HS256, b"two-secret", None, json!({}));
    assert_eq!(
        verify(&no_kid, &o, NOW),
        Err(Failure::Rejected("key")),
        "two keys fit: a kid is needed"
    );
}
