//! Standard backends' decisions, natively (API.md: "OAuth 2.0 token endpoint", "Refresh token in
//! an HttpOnly cookie", "Revocation on logout", "No refresh storms", the end reasons): a
//! configuration error keeps the session, a lost rotation says so, a cookie session needs no
//! refresh token, an API that refuses valid tokens costs one refresh per cooldown.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "native/fake.rs"]
#[allow(dead_code)] // shared with the other native tests
mod fake;
#[path = "native/harness.rs"]
#[allow(dead_code)] // shared with the other native tests
mod harness;

use authlane_core::error::Code;
use fake::RefreshPlan;
use harness::{code, harness, harness_with, API};

const KEYS: [&str; 2] = ["authlane.accessToken", "authlane.refreshToken"];

#[test]
fn a_configuration_error_keeps_the_tokens_and_is_not_retried() {
    for seed in 0..50 {
        let mut h = harness(seed, -1_000.0);
        h.w.borrow_mut().plans.push_back(RefreshPlan::Misconfigured);
        let results = h.burst(5, &format!("{API}/x"));
        assert!(results
            .iter()
            .all(|(_, r)| code(r) == Some(Code::RefreshFailed)));
        let w = h.w.borrow();
        assert_eq!(w.refresh_count(), 1, "not retried");
        assert!(
            KEYS.iter().all(|k| w.storage.contains_key(k)),
            "tokens kept"
        );
        assert_eq!(w.has_action("SessionExpired"), 0);
        assert!(w
            .actions
            .iter()
            .any(|a| a.starts_with("RefreshFailed") && a.contains("transient: false")));
        drop(w);
        // The next request tries again (and this time the endpoint answers).
        assert!(h
            .burst(1, &format!("{API}/x"))
            .iter()
            .all(|(_, r)| r.as_ref().ok() == Some(&200)));
    }
}

#[test]
fn a_refusal_after_a_lost_answer_says_lost_rotation() {
    let mut h = harness(3, -1_000.0);
    h.w.borrow_mut()
        .plans
        .extend([RefreshPlan::Hang, RefreshPlan::Definitive]);
    let results = h.burst(2, &format!("{API}/x"));
    assert!(results
        .iter()
        .all(|(_, r)| code(r) == Some(Code::SessionExpired)));
    let w = h.w.borrow();
    assert_eq!(w.refresh_count(), 2);
    assert!(
        w.actions
            .iter()
            .any(|a| a == "SessionExpired(LostRotation)"),
        "{:?}",
        w.actions
    );
}

#[test]
fn a_rotation_whose_answer_was_lost_ends_as_lost_rotation() {
    let mut h = harness(7, -1_000.0);
    h.w.borrow_mut().plans.push_back(RefreshPlan::Lost);
    let results = h.burst(3, &format!("{API}/x"));
    assert!(results
        .iter()
        .all(|(_, r)| code(r) == Some(Code::SessionExpired)));
    let w = h.w.borrow();
    assert_eq!(w.reuses, 1, "the retry presented the rotated token");
    assert!(
        w.actions
            .iter()
            .any(|a| a == "SessionExpired(LostRotation)"),
        "{:?}",
        w.actions
    );
}

#[test]
fn each_end_of_a_session_says_why() {
    let mut h = harness(4, -1_000.0);
    h.w.borrow_mut().plans.push_back(RefreshPlan::Definitive);
    h.burst(1, &format!("{API}/x"));
    assert!(h
        .w
        .borrow()
        .actions
        .iter()
        .any(|a| a == "SessionExpired(RefreshRejected)"));

    let mut h = harness_with(5, 0.0, -1_000.0, |_, w| {
        w.storage.remove(KEYS[1]);
    });
    h.burst(1, &format!("{API}/x"));
    assert!(h
        .w
        .borrow()
        .actions
        .iter()
        .any(|a| a == "SessionExpired(NoRefreshToken)"));

    let mut h = harness_with(6, 0.0, 900_000.0, |_, w| {
        w.storage.remove(KEYS[1]);
        w.revoke_all_access();
    });
    h.burst(1, &format!("{API}/x"));
    assert!(h
        .w
        .borrow()
        .actions
        .iter()
        .any(|a| a == "SessionExpired(AccessRejected)"));
}

#[test]
fn an_api_that_refuses_valid_tokens_costs_one_refresh_per_cooldown() {
    for seed in 0..50 {
        let mut h = harness(seed, 900_000.0);
        h.w.borrow_mut().api_refuses = Some(None);
        for _ in 0..3 {
            let results = h.burst(10, &format!("{API}/x"));
            assert!(
                results.iter().all(|(_, r)| r.as_ref().ok() == Some(&401)),
                "returned as they are"
            );
        }
        assert_eq!(
            h.w.borrow().refresh_count(),
            1,
            "seed {seed}: {:?}",
            h.w.borrow().actions
        );
        h.w.borrow_mut().local_ms += 10_001.0;
        h.burst(10, &format!("{API}/x"));
        h.burst(10, &format!("{API}/x"));
        assert_eq!(
            h.w.borrow().refresh_count(),
            2,
            "one more after refreshCooldownMs"
        );
        assert_eq!(h.w.borrow().has_action("SessionExpired"), 0);
    }
}

#[test]
fn a_token_revoked_by_the_server_is_refreshed_at_its_first_rejection_even_after_a_refresh() {
    let mut h = harness(8, 900_000.0);
    h.w.borrow_mut().revoke_all_access();
    assert!(h
        .burst(3, &format!("{API}/x"))
        .iter()
        .all(|(_, r)| r.as_ref().ok() == Some(&200)));
    // The fresh token is revoked a moment later: its first rejection still refreshes.
    h.w.borrow_mut().revoke_all_access();
    assert!(h
        .burst(3, &format!("{API}/x"))
        .iter()
        .all(|(_, r)| r.as_ref().ok() == Some(&200)));
    assert_eq!(h.w.borrow().refresh_count(), 2);
}

#[test]
fn insufficient_scope_never_starts_a_refresh() {
    let mut h = harness(9, 900_000.0);
    h.w.borrow_mut().api_refuses = Some(Some(
        r#"Bearer error="insufficient_scope", scope="write""#.into(),
    ));
    for _ in 0..3 {
        h.burst(5, &format!("{API}/x"));
    }
    assert_eq!(h.w.borrow().refresh_count(), 0);
}

#[test]
fn a_cookie_session_needs_no_refresh_token_and_never_touches_its_key() {
    for seed in 0..50 {
        let mut h = harness_with(seed, 0.0, -1_000.0, |config, w| {
            config.cookie = true;
            let cookie = w.storage.remove(KEYS[1]);
            w.cookie = cookie;
        });
        assert!(
            h.core.session().authenticated,
            "an access token is a session"
        );
        let results = h.burst(5, &format!("{API}/x"));
        assert!(
            results.iter().all(|(_, r)| r.as_ref().ok() == Some(&200)),
            "seed {seed}: {results:?}"
        );
        let w = h.w.borrow();
        assert_eq!(w.refresh_count(), 1);
        assert!(
            !w.storage.contains_key(KEYS[1]),
            "nothing written to the refresh key"
        );
        assert!(!w.writes_after.contains(&KEYS[1]));
    }
}

#[test]
fn in_cookie_mode_refresh_asks_the_cookie_for_a_session() {
    let mut h = harness_with(10, 0.0, 900_000.0, |config, w| {
        config.cookie = true;
        w.cookie = w.storage.remove(KEYS[1]);
        w.storage.remove(KEYS[0]);
    });
    assert!(!h.core.session().authenticated);
    let core = h.core.clone();
    h.pool
        .run_until(async move { core.force_refresh()?.wait().await })
        .unwrap();
    assert!(
        h.core.session().authenticated,
        "the cookie granted a session"
    );
    // A cookie the server no longer knows: refused, and with no session before, no sessionExpired.
    let mut h = harness_with(11, 0.0, 900_000.0, |config, w| {
        config.cookie = true;
        w.storage.clear();
        w.cookie = Some("unknown".into());
    });
    let core = h.core.clone();
    let e = h
        .pool
        .run_until(async move { core.force_refresh()?.wait().await })
        .unwrap_err();
    assert_eq!(e.code(), Code::SessionExpired);
    assert_eq!(h.w.borrow().has_action("SessionExpired"), 0);
    assert_eq!(h.w.borrow().has_action("RefreshFailed"), 1);
}

#[test]
fn logout_revokes_the_refresh_token_after_ending_the_session() {
    let mut h = harness_with(12, 0.0, 900_000.0, |config, _| config.revoke = true);
    let refresh = h.w.borrow().storage[KEYS[1]].clone();
    let core = h.core.clone();
    let revoked = h
        .pool
        .run_until(async move { core.logout().await })
        .unwrap();
    let w = h.w.borrow();
    assert!(revoked);
    assert_eq!(w.revocations, 1);
    assert!(
        !w.refresh_valid.contains(&refresh),
        "the server no longer knows it"
    );
    assert!(w.storage.is_empty(), "removed first");
    assert!(w.actions.last().unwrap().starts_with("LoggedOut"));
}
