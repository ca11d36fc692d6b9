//! Standard backends' decisions, natively (API.md: "OAuth 2.0 token endpoint", "Refresh token in
//! an HttpOnly cookie", "Revocation on logout", "No refresh storms", the end reasons): a
//! configuration error keeps the session, a lost rotation says so, a cookie session needs no
//! refresh token, an API that refuses valid tokens costs one refresh per cooldown. And the
//! requests the client makes itself, which the core describes (`Effect::Call`, `Effect::Revoke`)
//! and the shell sends as they are: RFC 6749 section 6 forms with the client's authentication,
//! JSON otherwise, RFC 7009 revocations.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "native/mod.rs"]
#[allow(dead_code)] // shared with the other native tests
mod native;

use authlane_core::action::{Action, EndReason};
use authlane_core::calls::base64;
use authlane_core::effect::{Answer, Call, Header, Revoke};
use authlane_core::error::Code;
use native::harness::{
    config_from, harness, harness_with, Plan, Sim, ACCESS_KEY, API, KEYS, REFRESH_KEY,
};

fn ended_with(h: &Sim, reason: EndReason) -> bool {
    h.w.actions
        .iter()
        .any(|(_, a)| *a == Action::SessionExpired(reason))
}

#[test]
fn a_configuration_error_keeps_the_tokens_and_is_not_retried() {
    for seed in 0..50 {
        // The endpoint speaks OAuth 2.0: `invalid_client` is a configuration error only there.
        let mut h = harness_with(seed, 0.0, -1_000.0, |config, _| config.oauth2 = true);
        h.w.plans.push_back(Plan::Misconfigured);
        let results = h.burst(5, &format!("{API}/x"));
        assert!(results
            .iter()
            .all(|(_, r)| r.code() == Some(Code::RefreshFailed)));
        assert_eq!(h.w.refresh_count(), 1, "not retried");
        assert!(
            KEYS.iter().all(|k| h.w.storage.contains_key(k)),
            "tokens kept"
        );
        assert_eq!(h.w.has_action("sessionExpired"), 0);
        assert!(h.w.actions.iter().any(|(_, a)| matches!(
            a,
            Action::RefreshFailed { transient: false, answered, .. }
                if answered.oauth_error.as_deref() == Some("invalid_client")
        )));
        // The next request tries again (and this time the endpoint answers).
        assert!(h
            .burst(1, &format!("{API}/x"))
            .iter()
            .all(|(_, r)| r.status() == Some(200)));
    }
}

#[test]
fn a_refusal_after_a_lost_answer_says_lost_rotation() {
    let mut h = harness(3, -1_000.0);
    h.w.plans.extend([Plan::Hang, Plan::Definitive]);
    let results = h.burst(2, &format!("{API}/x"));
    assert!(results
        .iter()
        .all(|(_, r)| r.code() == Some(Code::SessionExpired)));
    assert_eq!(h.w.refresh_count(), 2);
    assert!(ended_with(&h, EndReason::LostRotation), "{:?}", h.w.actions);
}

#[test]
fn a_rotation_whose_answer_was_lost_ends_as_lost_rotation() {
    let mut h = harness(7, -1_000.0);
    h.w.plans.push_back(Plan::Lost);
    let results = h.burst(3, &format!("{API}/x"));
    assert!(results
        .iter()
        .all(|(_, r)| r.code() == Some(Code::SessionExpired)));
    assert_eq!(h.w.reuses, 1, "the retry presented the rotated token");
    assert!(ended_with(&h, EndReason::LostRotation), "{:?}", h.w.actions);
}

#[test]
fn each_end_of_a_session_says_why() {
    let mut h = harness(4, -1_000.0);
    h.w.plans.push_back(Plan::Definitive);
    h.burst(1, &format!("{API}/x"));
    assert!(ended_with(&h, EndReason::RefreshRejected));

    let mut h = harness_with(5, 0.0, -1_000.0, |_, w| {
        w.storage.remove(REFRESH_KEY);
    });
    h.burst(1, &format!("{API}/x"));
    assert!(ended_with(&h, EndReason::NoRefreshToken));

    let mut h = harness_with(6, 0.0, 900_000.0, |_, w| {
        w.storage.remove(REFRESH_KEY);
        w.revoke_all_access();
    });
    h.burst(1, &format!("{API}/x"));
    assert!(ended_with(&h, EndReason::AccessRejected));
}

#[test]
fn an_api_that_refuses_valid_tokens_costs_one_refresh_per_cooldown() {
    for seed in 0..50 {
        let mut h = harness(seed, 900_000.0);
        h.w.api_refuses = Some(None);
        for _ in 0..3 {
            let results = h.burst(10, &format!("{API}/x"));
            assert!(
                results.iter().all(|(_, r)| r.status() == Some(401)),
                "returned as they are"
            );
        }
        assert_eq!(h.w.refresh_count(), 1, "seed {seed}: {:?}", h.w.actions);
        h.advance(10_001.0);
        h.burst(10, &format!("{API}/x"));
        h.burst(10, &format!("{API}/x"));
        assert_eq!(h.w.refresh_count(), 2, "one more after refreshCooldownMs");
        assert_eq!(h.w.has_action("sessionExpired"), 0);
    }
}

#[test]
fn a_token_revoked_by_the_server_is_refreshed_at_its_first_rejection_even_after_a_refresh() {
    let mut h = harness(8, 900_000.0);
    h.w.revoke_all_access();
    assert!(h
        .burst(3, &format!("{API}/x"))
        .iter()
        .all(|(_, r)| r.status() == Some(200)));
    // The fresh token is revoked a moment later: its first rejection still refreshes.
    h.w.revoke_all_access();
    assert!(h
        .burst(3, &format!("{API}/x"))
        .iter()
        .all(|(_, r)| r.status() == Some(200)));
    assert_eq!(h.w.refresh_count(), 2);
}

#[test]
fn insufficient_scope_never_starts_a_refresh() {
    let mut h = harness(9, 900_000.0);
    h.w.api_refuses = Some(Some(
        r#"Bearer error="insufficient_scope", scope="write""#.into(),
    ));
    for _ in 0..3 {
        h.burst(5, &format!("{API}/x"));
    }
    assert_eq!(h.w.refresh_count(), 0);
}

#[test]
fn a_cookie_session_needs_no_refresh_token_and_never_touches_its_key() {
    for seed in 0..50 {
        let mut h = harness_with(seed, 0.0, -1_000.0, |config, w| {
            config.cookie = true;
            w.cookie = w.storage.remove(REFRESH_KEY);
        });
        assert!(h.session(0).authenticated, "an access token is a session");
        let results = h.burst(5, &format!("{API}/x"));
        assert!(
            results.iter().all(|(_, r)| r.status() == Some(200)),
            "seed {seed}: {results:?}"
        );
        assert_eq!(h.w.refresh_count(), 1);
        assert_eq!(h.w.calls[0].1.token, None, "the cookie carries it");
        assert!(
            !h.w.storage.contains_key(REFRESH_KEY),
            "nothing written to the refresh key"
        );
        assert!(!h.w.writes.contains(&REFRESH_KEY));
        assert!(h.w.violations.is_empty(), "{:?}", h.w.violations);
    }
}

#[test]
fn in_cookie_mode_refresh_asks_the_cookie_for_a_session() {
    let mut h = harness_with(10, 0.0, 900_000.0, |config, w| {
        config.cookie = true;
        w.cookie = w.storage.remove(REFRESH_KEY);
        w.storage.remove(ACCESS_KEY);
    });
    assert!(!h.session(0).authenticated);
    let call = h.refresh(0);
    h.run();
    assert_eq!(h.answer(0, call), Some(Ok(Answer::Session)));
    assert!(h.session(0).authenticated, "the cookie granted a session");
    // A cookie the server no longer knows: refused, and with no session before, no sessionExpired.
    let mut h = harness_with(11, 0.0, 900_000.0, |config, w| {
        config.cookie = true;
        w.storage.clear();
        w.cookie = Some("unknown".into());
    });
    let call = h.refresh(0);
    h.run();
    let e = h.answer(0, call).unwrap().unwrap_err();
    assert_eq!(e.code(), Code::SessionExpired);
    assert_eq!(h.w.has_action("sessionExpired"), 0);
    assert_eq!(h.w.has_action("refreshFailed"), 1);
}

#[test]
fn logout_revokes_the_refresh_token_after_ending_the_session() {
    let mut h = harness_with(12, 0.0, 900_000.0, |config, _| {
        config.revoke_url = Some(format!("{API}/revoke"));
    });
    let refresh = h.w.storage[REFRESH_KEY].clone();
    let logout = h.logout(0);
    h.run();
    assert_eq!(
        h.answer(0, logout),
        Some(Ok(Answer::LoggedOut {
            revoked: true,
            pending: false
        }))
    );
    assert_eq!(h.w.revocations.len(), 1);
    assert!(
        !h.w.refresh_valid.contains(&refresh),
        "the server no longer knows it"
    );
    assert!(h.w.storage.is_empty(), "removed first");
    let revoked = h.w.logged("revoke").unwrap();
    assert!(h.w.logged("remove authlane.refreshToken").unwrap() < revoked);
    assert!(h.w.logged("dispatch loggedOut").unwrap() < revoked);
    assert_eq!(h.w.actions.last().unwrap().1, Action::LoggedOut);
}

// The requests the client makes itself.

const FUNCTION: &str = r#"{"\u0000":"function"}"#;

/// The refresh call a client made with `options` (an expired access token stored, and a refresh
/// token, or the cookie's in cookie mode), and the refresh token it had.
fn refresh_call(options: &str) -> (Call, String) {
    let config = config_from(options);
    let mut h = harness_with(1, 0.0, -1_000.0, |c, w| {
        if config.cookie {
            w.cookie = w.storage.remove(REFRESH_KEY);
        }
        *c = config;
    });
    let token =
        h.w.storage
            .get(REFRESH_KEY)
            .cloned()
            .or(h.w.cookie.clone())
            .unwrap();
    h.burst(1, &format!("{API}/x"));
    (h.w.calls[0].1.clone(), token)
}

fn header(name: &'static str, value: &str, force: bool) -> Header {
    Header {
        name,
        value: value.into(),
        force,
    }
}

fn json_type() -> Header {
    header("content-type", "application/json", false)
}

fn form_type() -> [Header; 2] {
    [
        header("content-type", "application/x-www-form-urlencoded", true),
        header("accept", "application/json", false),
    ]
}

#[test]
fn a_json_endpoint_gets_the_refresh_token_as_json() {
    let (call, r) = refresh_call(r#"{"refresh":{"url":"/auth/refresh"}}"#);
    assert_eq!(call.token.as_deref(), Some(r.as_str()));
    assert_eq!(call.body, Some(format!(r#"{{"refreshToken":"{r}"}}"#)));
    assert_eq!(call.headers, [json_type()], "unless refresh.headers says");
    assert_eq!(call.timeout_ms, 10_000.0);
    // In cookie mode the cookie carries it.
    let (call, _) = refresh_call(r#"{"refresh":{"url":"/auth/refresh","cookie":true}}"#);
    assert_eq!((call.token, call.body.as_deref()), (None, Some("{}")));
    assert_eq!(call.headers, [json_type()]);
    // A refresh function gets the token; there is no request to describe.
    let (call, r) = refresh_call(&format!(r#"{{"refresh":{FUNCTION}}}"#));
    assert_eq!(call.token.as_deref(), Some(r.as_str()));
    assert_eq!((call.body, call.headers), (None, vec![]));
}

/// `refresh.body(refreshToken)` makes the JSON body, which the shell sends: as JSON, as v1's
/// transport sent it (found porting the tests to the core that describes the request: the core
/// left out its content type, so fetch would have sent the JSON as `text/plain`).
#[test]
fn a_body_function_makes_a_json_body() {
    let options = format!(r#"{{"refresh":{{"url":"/auth/refresh","body":{FUNCTION}}}}}"#);
    let (call, r) = refresh_call(&options);
    assert_eq!(call.token.as_deref(), Some(r.as_str()), "for refresh.body");
    assert_eq!(call.body, None, "the shell calls refresh.body(token)");
    assert_eq!(call.headers, [json_type()]);
}

#[test]
fn an_oauth2_endpoint_gets_a_form_with_the_clients_authentication() {
    // A public client: its id in the form.
    let (call, r) =
        refresh_call(r#"{"refresh":{"url":"/token","grant":"oauth2","clientId":"app"}}"#);
    assert_eq!(
        call.body,
        Some(format!(
            "grant_type=refresh_token&refresh_token={r}&client_id=app"
        ))
    );
    assert_eq!(call.headers, form_type());
    // A secret: client_secret_basic by default, id and secret form-encoded into Basic, not in
    // the form.
    let (call, r) = refresh_call(
        r#"{"refresh":{"url":"/token","grant":"oauth2","clientId":"my app","clientSecret":"a:b/c"}}"#,
    );
    assert_eq!(
        call.body,
        Some(format!("grant_type=refresh_token&refresh_token={r}"))
    );
    let basic = format!("Basic {}", base64(b"my+app:a%3Ab%2Fc"));
    let [content, accept] = form_type();
    assert_eq!(
        call.headers,
        [header("authorization", &basic, true), content, accept]
    );
    // client_secret_post: both in the form.
    let (call, r) = refresh_call(
        r#"{"refresh":{"url":"/token","grant":"oauth2","clientId":"app","clientSecret":"s","clientAuth":"client_secret_post"}}"#,
    );
    assert_eq!(
        call.body,
        Some(format!(
            "grant_type=refresh_token&refresh_token={r}&client_id=app&client_secret=s"
        ))
    );
    assert_eq!(call.headers, form_type());
    // `scope`, then every `params` entry, which replaces a field of its name where it stands.
    let (call, r) = refresh_call(
        r#"{"refresh":{"url":"/token","grant":"oauth2","clientId":"app","scope":"openid offline_access","params":{"audience":"https://api.example/","scope":"read"}}}"#,
    );
    assert_eq!(
        call.body,
        Some(format!(
            "grant_type=refresh_token&refresh_token={r}&scope=read&audience=https%3A%2F%2Fapi.example%2F&client_id=app"
        ))
    );
    // In cookie mode, no refresh_token field.
    let (call, _) = refresh_call(
        r#"{"refresh":{"url":"/token","grant":"oauth2","clientId":"app","cookie":true}}"#,
    );
    assert_eq!(call.token, None);
    assert_eq!(
        call.body.as_deref(),
        Some("grant_type=refresh_token&client_id=app")
    );
}

/// An OAuth 2.0 token endpoint gets its form whatever `refresh.body` says, as v1's transport
/// did (API.md: with `grant: "oauth2"` it POSTs the form). Found porting the tests: the core
/// handed a `refresh.body` to the shell before it looked at `grant`.
#[test]
fn an_oauth2_endpoint_gets_its_form_even_with_a_body_function() {
    let options = format!(
        r#"{{"refresh":{{"url":"/token","grant":"oauth2","clientId":"app","body":{FUNCTION}}}}}"#
    );
    let (call, r) = refresh_call(&options);
    assert_eq!(
        call.body,
        Some(format!(
            "grant_type=refresh_token&refresh_token={r}&client_id=app"
        ))
    );
    assert_eq!(call.headers, form_type());
}

/// The revocation `logout()` sent with `options` (a valid access token stored, and a refresh
/// token unless `stored_refresh` is false; the cookie's in cookie mode), the logout call's id,
/// and the tokens.
fn revocation(options: &str, stored_refresh: bool) -> (Revoke, u32, String, String) {
    let config = config_from(options);
    let mut h = harness_with(2, 0.0, 900_000.0, |c, w| {
        let refresh = w.storage.remove(REFRESH_KEY);
        if config.cookie {
            w.cookie = refresh;
        } else if stored_refresh {
            w.storage.insert(REFRESH_KEY, refresh.unwrap());
        }
        *c = config;
    });
    let access = h.w.storage[ACCESS_KEY].clone();
    let refresh = h.w.storage.get(REFRESH_KEY).cloned().unwrap_or_default();
    let id = h.logout(0);
    h.run();
    assert_eq!(
        h.answer(0, id),
        Some(Ok(Answer::LoggedOut {
            revoked: true,
            pending: false
        }))
    );
    assert_eq!(h.w.revocations.len(), 1);
    (h.w.revocations[0].1.clone(), id, access, refresh)
}

#[test]
fn logout_revokes_with_json_a_form_or_the_cookie() {
    let (revoke, id, _, r) = revocation(
        r#"{"refresh":{"url":"/auth/refresh"},"revoke":{"url":"/auth/revoke"}}"#,
        true,
    );
    assert_eq!(revoke.id, id, "the shell reports with it");
    assert_eq!(revoke.body, Some(format!(r#"{{"refreshToken":"{r}"}}"#)));
    assert_eq!(revoke.headers, [json_type()]);
    assert_eq!(revoke.timeout_ms, 10_000.0, "refreshTimeoutMs");
    // Without a refresh token, the access token.
    let (revoke, _, a, _) = revocation(
        r#"{"refresh":{"url":"/auth/refresh"},"revoke":{"url":"/auth/revoke"}}"#,
        false,
    );
    assert_eq!(revoke.body, Some(format!(r#"{{"refreshToken":"{a}"}}"#)));
    // An OAuth 2.0 server: RFC 7009's form with the client's authentication.
    let (revoke, _, _, r) = revocation(
        r#"{"refresh":{"url":"/token","grant":"oauth2","clientId":"app","clientSecret":"s","clientAuth":"client_secret_post"},"revoke":{"url":"/revoke"}}"#,
        true,
    );
    assert_eq!(
        revoke.body,
        Some(format!(
            "token={r}&token_type_hint=refresh_token&client_id=app&client_secret=s"
        ))
    );
    assert_eq!(revoke.headers, form_type());
    let (revoke, _, a, _) = revocation(
        r#"{"refresh":{"url":"/token","grant":"oauth2","clientId":"app","clientSecret":"s"},"revoke":{"url":"/revoke"}}"#,
        false,
    );
    assert_eq!(
        revoke.body,
        Some(format!("token={a}&token_type_hint=access_token"))
    );
    let [content, accept] = form_type();
    let basic = format!("Basic {}", base64(b"app:s"));
    assert_eq!(
        revoke.headers,
        [header("authorization", &basic, true), content, accept]
    );
    // Cookie mode: an empty POST (with credentials: the shell's part).
    let (revoke, _, _, _) = revocation(
        r#"{"refresh":{"url":"/auth/refresh","cookie":true},"revoke":{"url":"/auth/revoke"}}"#,
        true,
    );
    assert_eq!((revoke.body, revoke.headers), (None, vec![]));
}
