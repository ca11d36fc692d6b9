//! What a refresh call's result means, natively: the rules of `reply` that judge what the shell
//! reports (which statuses end the session, which keep it, which token fields count, which OAuth
//! 2.0 errors are trusted), and that no message carries a token.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use authlane_core::error::{Code, Error};
use authlane_core::input::Reply;
use authlane_core::json::Json;
use authlane_core::reply::{classify, is_error_code, token_set, token_set_text, Outcome, TokenSet};

const ACCESS: &str = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1In0.sig";

fn body(json: &str) -> Result<TokenSet, &'static str> {
    token_set(&Json::parse(json).unwrap())
}

/// A refresh endpoint's answer with `status` and `body` (its `Date` at 1 s, `Retry-After` 2 s).
fn http(status: u16, body: &str, oauth2: bool) -> Outcome {
    classify(
        Reply::Http {
            status,
            body: Some(body),
            date: Some(1_000.0),
            retry_after_ms: Some(2_000.0),
            nonce: None,
        },
        oauth2,
    )
}

fn tokens_body() -> String {
    format!(r#"{{"access_token":"{ACCESS}"}}"#)
}

/// A 4xx body with this OAuth 2.0 `error`.
fn error_body(error: &str) -> String {
    let mut out = String::from(r#"{"error":"#);
    authlane_core::json::write_str(&mut out, error);
    out.push('}');
    out
}

/// The kind of outcome, its code and the status it reports.
fn kind(o: &Outcome) -> (&'static str, Option<Code>, Option<u16>) {
    match o {
        Outcome::Tokens(..) => ("tokens", None, None),
        Outcome::Definitive(e, ans) => ("definitive", Some(e.code()), ans.status),
        Outcome::Misconfigured(e, ans) => ("misconfigured", Some(e.code()), ans.status),
        Outcome::Transient {
            error, answered, ..
        } => ("transient", Some(error.code()), answered.status),
        Outcome::Unusable(e, ans) => ("unusable", Some(e.code()), ans.status),
    }
}

fn error_of(o: &Outcome) -> &Error {
    match o {
        Outcome::Definitive(e, _) | Outcome::Misconfigured(e, _) | Outcome::Unusable(e, _) => e,
        Outcome::Transient { error, .. } => error,
        Outcome::Tokens(..) => panic!("tokens"),
    }
}

#[test]
fn access_token_fields_in_order_and_expires_in_as_number_or_numeric_string() {
    let set = body(
        r#"{"token":"third","access_token":"second","refresh_token":"r1","expires_in":"3600"}"#,
    )
    .unwrap();
    assert_eq!(set.access, "second", "access_token wins over token");
    assert_eq!(set.refresh.as_deref(), Some("r1"));
    assert_eq!(set.expires_in, Some(3600.0), "Firebase's numeric string");

    let set =
        body(r#"{"accessToken":"first","access_token":"second","expiresIn":60,"expires_in":3600}"#)
            .unwrap();
    assert_eq!((set.access.as_str(), set.expires_in), ("first", Some(60.0)));
    assert_eq!(set.refresh, None, "no refresh token: the old one is kept");
    let set = body(r#"{"authToken":"a","refreshToken":"r","refresh_token":"s"}"#).unwrap();
    assert_eq!(
        (set.access.as_str(), set.refresh.as_deref()),
        ("a", Some("r"))
    );

    for bad in [r#""soon""#, "0", "-5", "null", "true"] {
        let set = body(&format!(r#"{{"authToken":"a","expires_in":{bad}}}"#)).unwrap();
        assert_eq!(
            set.expires_in, None,
            "no usable lifetime: the JWT's exp decides"
        );
    }
}

#[test]
fn unusable_token_sets_say_why_without_the_value() {
    assert_eq!(body("[1]").unwrap_err(), "was not a JSON object");
    assert_eq!(
        token_set_text("not json").unwrap_err(),
        "was not a JSON object"
    );
    assert_eq!(token_set_text("").unwrap_err(), "was not a JSON object");
    let cases = [
        r#"{"access_token":12}"#.to_string(),
        r#"{"access_token":""}"#.to_string(),
        r#"{"access_token":"two words"}"#.to_string(),
        format!(r#"{{"access_token":"{ACCESS}","refresh_token":"r\u00e9"}}"#),
        r#"{"refresh_token":"r"}"#.to_string(),
    ];
    for fields in cases {
        let why = body(&fields).unwrap_err();
        assert!(!why.contains(ACCESS) && !why.contains("two words"), "{why}");
    }
}

#[test]
fn statuses_without_oauth2() {
    assert!(
        matches!(http(200, &tokens_body(), false), Outcome::Tokens(set, Some(d)) if d == 1_000.0 && set.access == ACCESS)
    );
    for s in [400, 401, 403] {
        assert_eq!(
            kind(&http(s, "", false)),
            ("definitive", Some(Code::SessionExpired), Some(s))
        );
        // Without grant: "oauth2" an error field is only echoed, never a reason to keep the session.
        let o = http(s, &error_body("invalid_client"), false);
        assert_eq!(kind(&o).0, "definitive");
        assert!(
            matches!(o, Outcome::Definitive(_, ans) if ans.oauth_error.as_deref() == Some("invalid_client"))
        );
    }
    for s in [0, 404, 408, 429, 500, 502, 503] {
        let o = http(s, "", false);
        assert_eq!(kind(&o), ("transient", Some(Code::RefreshFailed), Some(s)));
        assert!(
            matches!(o, Outcome::Transient { retry_after_ms: Some(ms), maybe_reached: false, .. } if ms == 2_000.0),
            "Retry-After kept; an HTTP answer says the call reached the server"
        );
    }
}

#[test]
fn oauth2_invalid_grant_ends_the_session_other_errors_keep_it() {
    for s in [400, 401] {
        assert_eq!(
            kind(&http(s, &error_body("invalid_grant"), true)).0,
            "definitive"
        );
        assert_eq!(kind(&http(s, "", true)).0, "definitive", "a proxy's page");
        assert_eq!(
            kind(&http(s, "<html>", true)).0,
            "definitive",
            "a proxy's page"
        );
        let o = http(s, &error_body("invalid_client"), true);
        assert_eq!(
            kind(&o),
            ("misconfigured", Some(Code::RefreshFailed), Some(s))
        );
        match o {
            Outcome::Misconfigured(e, ans) => {
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
    // A 5xx's `error` is not read.
    let o = http(503, &error_body("temporarily_unavailable"), true);
    assert!(matches!(o, Outcome::Transient { answered, .. } if answered.oauth_error.is_none()));
}

#[test]
fn an_oauth_error_that_is_not_a_plain_code_is_neither_echoed_nor_trusted() {
    // A token-shaped or long `error` must not reach messages or actions, and does not make the
    // answer "misconfigured" (which would keep a refused session alive).
    for junk in [ACCESS.replace('.', " "), "x".repeat(65), String::new()] {
        assert!(!is_error_code(&junk));
        match http(400, &error_body(&junk), true) {
            Outcome::Definitive(e, ans) => {
                assert_eq!(ans.oauth_error, None);
                assert_eq!(e.message(), "the refresh endpoint answered HTTP 400");
            }
            other => panic!("{:?}", kind(&other)),
        }
    }
    assert!(is_error_code("invalid_grant") && is_error_code(&"x".repeat(64)));
}

#[test]
fn a_2xx_without_a_usable_token_is_unusable_and_keeps_the_session() {
    for text in [Some(r#"{"token_type":"Bearer"}"#), Some("not json"), None] {
        let o = classify(
            Reply::Http {
                status: 200,
                body: text,
                date: None,
                retry_after_ms: None,
                nonce: None,
            },
            true,
        );
        assert_eq!(
            kind(&o),
            ("unusable", Some(Code::BadRefreshResponse), Some(200))
        );
        assert!(error_of(&o).message().starts_with("the refresh response "));
    }
}

#[test]
fn a_refresh_function_null_ends_the_session_and_its_tokens_are_read_like_a_body() {
    let o = classify(Reply::Function(None), false);
    assert_eq!(kind(&o), ("definitive", Some(Code::SessionExpired), None));
    let o = classify(Reply::Function(Some(r#"{"token":"t"}"#)), false);
    assert!(matches!(o, Outcome::Tokens(set, None) if set.access == "t"));
    for unusable in ["{}", ""] {
        let o = classify(Reply::Function(Some(unusable)), false);
        assert_eq!(kind(&o), ("unusable", Some(Code::BadRefreshResponse), None));
    }
}

#[test]
fn a_thrown_status_ends_the_session_only_for_400_401_403() {
    for s in [400, 401, 403] {
        let o = classify(
            Reply::Threw {
                status: Some(s),
                timeout: None,
            },
            false,
        );
        assert_eq!(
            kind(&o),
            ("definitive", Some(Code::SessionExpired), Some(s))
        );
    }
    for s in [None, Some(0), Some(404), Some(500)] {
        let o = classify(
            Reply::Threw {
                status: s,
                timeout: None,
            },
            false,
        );
        assert_eq!(kind(&o).0, "transient", "{s:?}");
    }
}

/// A timeout or a network error of the shell's own may have reached the server (which then
/// rotated the refresh token): the session's end after it says `lost_rotation`. What a refresh
/// function threw says nothing of the kind.
#[test]
fn a_timeout_or_network_error_may_have_reached_the_server() {
    for (timeout, reached, what) in [
        (Some(true), true, "timed out"),
        (Some(false), true, "could not be sent"),
        (None, false, "threw"),
    ] {
        let o = classify(
            Reply::Threw {
                status: None,
                timeout,
            },
            false,
        );
        match o {
            Outcome::Transient {
                error,
                maybe_reached,
                ..
            } => {
                assert_eq!(maybe_reached, reached, "{timeout:?}");
                assert!(error.message().contains(what), "{}", error.message());
            }
            other => panic!("{:?}", kind(&other)),
        }
    }
}
