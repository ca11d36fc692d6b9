//! API.md "Offline", natively: offline no refresh call is made and no retry burnt (a request
//! that needs a refresh fails at once with NETWORK_ERROR, caused by the shell's offline error),
//! nothing ends a session; back online a due refresh runs at once with auto refresh on; a
//! `logout()` offline keeps its revocation in storage, which is sent once when online, also by
//! a client started later on that storage.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "native/mod.rs"]
#[allow(dead_code)] // shared with the other native tests
mod native;

use authlane_core::effect::Answer;
use authlane_core::error::{Cause, Code, Host};
use native::harness::{
    config, harness, harness_with, Got, Plan, API, KEYS, PENDING_KEY, REFRESH_KEY,
};

fn offline_failure(got: &Got) -> bool {
    matches!(got, Got::Failed(e) if e.code() == Code::NetworkError
        && e.cause() == Some(&Cause::Host(Host::Offline)))
}

#[test]
fn offline_a_request_that_needs_a_refresh_fails_at_once_and_the_session_stays() {
    for seed in 0..20 {
        let mut h = harness(seed, -1_000.0); // the stored token has expired
        h.online(0, false);
        let results = h.burst(5, &format!("{API}/x"));
        assert!(
            results.iter().all(|(_, r)| offline_failure(r)),
            "{results:?}"
        );
        assert_eq!(h.w.refresh_count(), 0, "no refresh call offline");
        assert_eq!(h.w.has_action("refreshStarted"), 0);
        assert!(
            KEYS.iter().all(|k| h.w.storage.contains_key(k)),
            "tokens kept"
        );
        assert!(h.session(0).authenticated);
        // refresh() and getAccessToken() say the same.
        let r = h.refresh(0);
        let t = h.access_token(0);
        h.run();
        for id in [r, t] {
            let e = h.answer(0, id).unwrap().unwrap_err();
            assert_eq!(e.code(), Code::NetworkError);
        }
        // Online again: the next request refreshes and goes.
        h.online(0, true);
        let results = h.burst(3, &format!("{API}/x"));
        assert!(results.iter().all(|(_, r)| r.status() == Some(200)));
        assert_eq!(h.w.refresh_count(), 1);
        h.check_invariants();
    }
}

#[test]
fn going_offline_ends_a_refresh_waiting_to_retry_without_burning_its_retries() {
    let mut h = harness(1, -1_000.0);
    h.w.plans.push_back(Plan::Transient);
    let id = h.fetch(0, &format!("{API}/x"));
    // Run until the first call failed and the refresh waits to retry, then go offline.
    while !(h.w.refresh_count() == 1 && h.quiet()) {
        assert!(h.step_next(), "the refresh waits to retry");
    }
    assert_eq!(h.w.refresh_count(), 1);
    h.online(0, false);
    h.run();
    assert!(
        offline_failure(&h.result(0, id).unwrap()),
        "{:?}",
        h.result(0, id)
    );
    assert_eq!(h.w.refresh_count(), 1, "no retry offline");
    assert_eq!(h.w.has_action("refreshFailed"), 1);
    assert_eq!(h.w.has_action("sessionExpired"), 0);
    assert!(KEYS.iter().all(|k| h.w.storage.contains_key(k)));
}

#[test]
fn with_auto_refresh_a_long_offline_stretch_makes_no_call_and_online_refreshes_at_once() {
    let mut h = harness(2, 120_000.0); // due in a minute (leeway 60 s)
    h.auto_refresh(0, true);
    h.online(0, false);
    h.advance(600_000.0); // ten minutes offline: the token expires meanwhile
    assert_eq!(h.w.refresh_count(), 0, "no refresh call offline");
    assert_eq!(h.w.has_action("refreshFailed"), 0, "no refreshFailed storm");
    assert!(h.session(0).authenticated, "nothing ends a session offline");
    h.online(0, true);
    assert_eq!(
        h.w.has_action("refreshStarted"),
        1,
        "back online, the due refresh starts at once"
    );
    h.run();
    assert_eq!(h.w.refresh_count(), 1);
    assert_eq!(h.w.has_action("refreshSucceeded"), 1);
}

#[test]
fn a_logout_offline_keeps_its_revocation_and_sends_it_once_online() {
    let mut h = harness_with(3, 0.0, 300_000.0, |c, _| {
        c.revoke_url = Some(format!("{API}/revoke"));
    });
    let refresh = h.w.storage[REFRESH_KEY].clone();
    h.online(0, false);
    let logout = h.logout(0);
    h.run();
    assert_eq!(
        h.answer(0, logout),
        Some(Ok(Answer::LoggedOut {
            revoked: false,
            pending: true
        }))
    );
    assert!(!h.session(0).authenticated, "the session ended at once");
    assert!(KEYS.iter().all(|k| !h.w.storage.contains_key(k)));
    assert!(
        h.w.storage[PENDING_KEY].contains(&refresh),
        "kept in storage"
    );
    assert!(h.w.revocations.is_empty(), "nothing sent offline");
    h.online(0, true);
    h.run();
    assert_eq!(h.w.revocations.len(), 1);
    assert!(h.w.revocations[0]
        .1
        .body
        .as_deref()
        .unwrap()
        .contains(&refresh));
    assert!(
        !h.w.storage.contains_key(PENDING_KEY),
        "sent, then forgotten"
    );
    // Flapping sends nothing again.
    for online in [false, true, false, true] {
        h.online(0, online);
        h.run();
    }
    assert_eq!(h.w.revocations.len(), 1, "never twice");
}

#[test]
fn a_revocation_kept_before_a_restart_is_sent_by_the_next_client_once() {
    let mut h = harness_with(4, 0.0, 300_000.0, |c, _| {
        c.revoke_url = Some(format!("{API}/revoke"));
    });
    h.online(0, false);
    h.logout(0);
    h.run();
    h.dispose(0);
    assert!(h.w.storage.contains_key(PENDING_KEY));
    let mut c = config();
    c.revoke_url = Some(format!("{API}/revoke"));
    h.open(c.clone());
    h.run();
    assert_eq!(h.w.revocations.len(), 1, "the restarted app sends it");
    assert!(!h.w.storage.contains_key(PENDING_KEY));
    h.open(c);
    h.run();
    assert_eq!(h.w.revocations.len(), 1, "and only once");
}
