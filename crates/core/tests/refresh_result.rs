//! What a refresh call's result means, natively: the rules of `refresh_result` that the JS
//! binding feeds (which statuses end the session, which keep it, which token fields count), and
//! that no message carries a token.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use authlane_core::env::{Attempt, TokenSet};
use authlane_core::error::Code;
use authlane_core::refresh_result::{classify, thrown_ends_session, token_set, Field, Reply};

const ACCESS: &str = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1In0.sig";

fn parse(t: &str) -> f64 {
    t.trim().parse().unwrap_or(f64::NAN)
}

fn body(fields: &[(&str, Field)]) -> Result<TokenSet, &'static str> {
    let field = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| *key == k)
            .map_or(Field::Other, |(_, v)| v.clone())
    };
    token_set(true, field, parse)
}

fn text(t: &str) -> Field {
    Field::Text(t.to_string())
}

fn http(status: u16, oauth_error: Option<&str>, oauth2: bool) -> Attempt {
    classify(
        Reply::Http {
            status,
            oauth_error: oauth_error.map(str::to_string),
            date: Some(1_000.0),
            retry_after_ms: Some(2_000.0),
            body: body(&[("access_token", text(ACCESS))]),
        },
        oauth2,
    )
}

/// The kind of attempt, its code and the status it reports.
fn kind(a: &Attempt) -> (&'static str, Option<Code>, Option<u16>) {
    match a {
        Attempt::Tokens(..) => ("tokens", None, None),
        Attempt::Definitive(e, ans) => ("definitive", Some(e.code()), ans.status),
        Attempt::Misconfigured(e, ans) => ("misconfigured", Some(e.code()), ans.status),
        Attempt::Transient(e, _, ans) => ("transient", Some(e.code()), ans.status),
        Attempt::Unusable(e, ans) => ("unusable", Some(e.code()), ans.status),
        Attempt::Adopted(_) => ("adopted", None, None),
        Attempt::Renewed => ("renewed", None, None),
    }
}

#[test]
fn access_token_fields_in_order_and_expires_in_as_number_or_numeric_string() {
    let set = body(&[
        ("token", text("third")),
        ("access_token", text("second")),
        ("refresh_token", text("r1")),
        ("expires_in", text("3600")),
    ])
    .unwrap();
    assert_eq!(set.access, "second", "access_token wins over token");
    assert_eq!(set.refresh.as_deref(), Some("r1"));
    assert_eq!(set.expires_in, Some(3600.0), "Firebase's numeric string");

    let set = body(&[
        ("accessToken", text("first")),
        ("access_token", text("second")),
        ("expiresIn", Field::Number(60.0)),
        ("expires_in", Field::Number(3600.0)),
    ])
    .unwrap();
    assert_eq!((set.access.as_str(), set.expires_in), ("first", Some(60.0)));
    assert_eq!(set.refresh, None, "no refresh token: the old one is kept");

    for bad in [text("soon"), Field::Number(0.0), Field::Number(-5.0)] {
        let set = body(&[("authToken", text("a")), ("expires_in", bad)]).unwrap();
        assert_eq!(
            set.expires_in, None,
            "no usable lifetime: the JWT's exp decides"
        );
    }
}

#[test]
fn unusable_token_sets_say_why_without_the_value() {
    assert_eq!(
        token_set(false, |_| Field::Other, parse).unwrap_err(),
        "was not a JSON object"
    );
    let cases: [&[(&str, Field)]; 4] = [
        &[("access_token", Field::Number(12.0))],
        &[("access_token", text(""))],
        &[("access_token", text("two words"))],
        &[
            ("access_token", text(ACCESS)),
            ("refresh_token", text("r\u{e9}")),
        ],
    ];
    for fields in cases {
        let why = body(fields).unwrap_err();
        assert!(!why.contains(ACCESS) && !why.contains("two words"), "{why}");
    }
}

#[test]
fn statuses_without_oauth2() {
    assert!(matches!(http(200, None, false), Attempt::Tokens(_, Some(d)) if d == 1_000.0));
    for s in [400, 401, 403] {
        assert_eq!(
            kind(&http(s, None, false)),
            ("definitive", Some(Code::SessionExpired), Some(s))
        );
        // Without grant: "oauth2" an error field is only echoed, never a reason to keep the session.
        assert_eq!(
            kind(&http(s, Some("invalid_client"), false)).0,
            "definitive"
        );
    }
    for s in [0, 404, 408, 429, 500, 502, 503] {
        let a = http(s, None, false);
        assert_eq!(kind(&a), ("transient", Some(Code::RefreshFailed), Some(s)));
        assert!(
            matches!(a, Attempt::Transient(_, Some(ms), _) if ms == 2_000.0),
            "Retry-After kept"
        );
    }
}

#[test]
fn oauth2_invalid_grant_ends_the_session_other_errors_keep_it() {
    for s in [400, 401] {
        assert_eq!(kind(&http(s, Some("invalid_grant"), true)).0, "definitive");
        assert_eq!(kind(&http(s, None, true)).0, "definitive", "a proxy's page");
        let a = http(s, Some("invalid_client"), true);
        assert_eq!(
            kind(&a),
            ("misconfigured", Some(Code::RefreshFailed), Some(s))
        );
        match a {
            Attempt::Misconfigured(e, ans) => {
                assert_eq!(ans.oauth_error.as_deref(), Some("invalid_client"));
                assert!(
                    e.message().contains(&format!("HTTP {s} invalid_client")),
                    "{}",
                    e.message()
                );
            }
            _ => unreachable!(),
        }
    }
}

#[test]
fn an_oauth_error_that_is_not_a_plain_code_is_neither_echoed_nor_trusted() {
    // A token-shaped or long `error` must not reach messages or actions, and does not make the
    // answer "misconfigured" (which would keep a refused session alive).
    for junk in [ACCESS.replace('.', " "), "x".repeat(65), String::new()] {
        match http(400, Some(&junk), true) {
            Attempt::Definitive(e, ans) => {
                assert_eq!(ans.oauth_error, None);
                assert_eq!(e.message(), "the refresh endpoint answered HTTP 400");
            }
            other => panic!("{:?}", kind(&other)),
        }
    }
}

#[test]
fn a_2xx_without_a_usable_token_is_unusable_and_keeps_the_session() {
    let a = classify(
        Reply::Http {
            status: 200,
            oauth_error: None,
            date: None,
            retry_after_ms: None,
            body: body(&[("token_type", text("Bearer"))]),
        },
        true,
    );
    assert_eq!(
        kind(&a),
        ("unusable", Some(Code::BadRefreshResponse), Some(200))
    );
}

#[test]
fn a_refresh_function_null_ends_the_session_and_its_tokens_are_read_like_a_body() {
    let a = classify(Reply::Function(None), false);
    assert_eq!(kind(&a), ("definitive", Some(Code::SessionExpired), None));
    let a = classify(Reply::Function(Some(body(&[("token", text("t"))]))), false);
    assert!(matches!(a, Attempt::Tokens(set, None) if set.access == "t"));
    let a = classify(Reply::Function(Some(body(&[]))), false);
    assert_eq!(kind(&a), ("unusable", Some(Code::BadRefreshResponse), None));
}

#[test]
fn a_thrown_status_ends_the_session_only_for_400_401_403() {
    for s in [400, 401, 403] {
        assert!(thrown_ends_session(Some(s)));
    }
    for s in [None, Some(0), Some(404), Some(500)] {
        assert!(!thrown_ends_session(s));
    }
}
