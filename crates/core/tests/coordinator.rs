//! The refresh coordinator and request pipeline, natively, against a fake world: single flight
//! under many seeded interleavings, the straggler rule, resend-once, the outcome table, logout and
//! login during a refresh, abort of one waiter (clock and token lifetimes: tests/clock.rs).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "native/mod.rs"]
#[allow(dead_code)] // shared with the other native tests
mod native;

use authlane_core::action::Action;
use authlane_core::effect::Answer;
use authlane_core::error::Code;
use native::harness::{harness, harness_with, Got, Plan, ACCESS_KEY, API, REFRESH_KEY};

#[test]
fn one_refresh_for_many_expired_requests_under_many_interleavings() {
    for seed in 0..300 {
        for n in [2, 5, 100] {
            let mut h = harness(seed, -1_000.0);
            let results = h.burst(n, &format!("{API}/items"));
            assert!(
                results.iter().all(|(_, r)| r.status() == Some(200)),
                "seed {seed}: {results:?}"
            );
            assert_eq!(h.w.refresh_count(), 1, "seed {seed} n {n}");
            h.check_invariants();
        }
    }
}

#[test]
fn one_refresh_for_many_rejected_requests_and_stragglers_resend_without_refresh() {
    for seed in 0..300 {
        let mut h = harness(seed, 900_000.0);
        h.w.revoke_all_access();
        let results = h.burst(20, &format!("{API}/items"));
        assert!(
            results.iter().all(|(_, r)| r.status() == Some(200)),
            "seed {seed}: {results:?}"
        );
        assert_eq!(h.w.refresh_count(), 1, "seed {seed}");
        let new_token = format!("Bearer {}", h.w.storage[ACCESS_KEY]);
        let mut resent = 0;
        for (id, _) in &results {
            let sends = h.sends_of(0, *id);
            match sends.as_slice() {
                // started after the refresh: sent once, with the new token
                [(first, false)] => assert_eq!(
                    first.as_deref(),
                    Some(new_token.as_str()),
                    "seed {seed} request {id}"
                ),
                // rejected with the old token, resent once with the new one
                [(first, false), (second, true)] => {
                    assert_ne!(first, second, "seed {seed} request {id}");
                    assert_eq!(second.as_deref(), Some(new_token.as_str()));
                    resent += 1;
                }
                other => panic!("seed {seed} request {id}: {other:?}"),
            }
        }
        assert!(resent >= 1, "seed {seed}");
        h.check_invariants();
    }
}

#[test]
fn get_access_token_shares_the_requests_refresh_and_returns_its_token() {
    for seed in 0..100 {
        let mut h = harness(seed, -1_000.0);
        let ids: Vec<_> = (0..3)
            .map(|_| h.fetch(0, &format!("{API}/items")))
            .collect();
        let call = h.access_token(0);
        h.run();
        assert_eq!(h.w.refresh_count(), 1, "seed {seed}");
        let stored = h.w.storage[ACCESS_KEY].clone();
        assert_eq!(
            h.answer(0, call),
            Some(Ok(Answer::Token(Some(stored)))),
            "seed {seed}: the refreshed token"
        );
        for id in ids {
            assert_eq!(h.result(0, id), Some(Got::Status(200)), "seed {seed}");
        }
        h.check_invariants();
    }
    // dispose() while getAccessToken() waits for a refresh: LOGGED_OUT; and after it, the shell
    // answers for the client.
    let mut h = harness(1, -1_000.0);
    h.w.gate = true;
    let waiting = h.access_token(0);
    h.run();
    h.dispose(0);
    let after = h.access_token(0);
    h.w.gate = false;
    h.release_calls();
    h.run();
    for call in [waiting, after] {
        let e = h.answer(0, call).unwrap().unwrap_err();
        assert_eq!(e.code(), Code::LoggedOut, "after dispose()");
    }
}

#[test]
fn a_second_rejection_is_returned_as_is() {
    let mut h = harness(1, 900_000.0);
    h.w.revoke_all_access();
    h.w.plans.push_back(Plan::Rotate);
    h.w.ttl_ms = -5.0; // the refreshed token is already dead too
    let results = h.burst(1, &format!("{API}/x"));
    assert_eq!(results[0].1, Got::Status(401));
    assert_eq!(h.sends_of(0, results[0].0).len(), 2);
    assert_eq!(h.w.refresh_count(), 1);
}

#[test]
fn foreign_origins_get_no_header_and_never_wait() {
    let mut h = harness(3, -1_000.0);
    let results = h.burst(3, "https://other.example/x");
    assert!(results.iter().all(|(_, r)| r.status() == Some(401)));
    assert_eq!(h.w.refresh_count(), 0);
    h.check_invariants();
}

#[test]
fn definitive_failure_expires_the_session_once_and_removes_tokens() {
    for seed in 0..50 {
        let mut h = harness(seed, -1_000.0);
        h.w.plans.push_back(Plan::Definitive);
        let results = h.burst(10, &format!("{API}/x"));
        assert!(
            results
                .iter()
                .all(|(_, r)| r.code() == Some(Code::SessionExpired)),
            "{results:?}"
        );
        assert!(h.w.storage.is_empty(), "tokens removed");
        assert_eq!(h.w.has_action("sessionExpired"), 1);
        assert_eq!(h.w.has_action("refreshFailed"), 1);
        assert_eq!(h.w.refresh_count(), 1);
    }
}

#[test]
fn transient_failure_retries_keeps_tokens_and_the_next_request_tries_again() {
    let mut h = harness(7, -1_000.0);
    h.w.plans.extend([Plan::Transient; 3]);
    let results = h.burst(5, &format!("{API}/x"));
    assert!(
        results
            .iter()
            .all(|(_, r)| r.code() == Some(Code::RefreshFailed)),
        "{results:?}"
    );
    assert_eq!(h.w.refresh_count(), 3, "attempts = 3, the first included");
    assert_eq!(h.w.storage.len(), 2, "tokens kept");
    assert_eq!(h.w.has_action("sessionExpired"), 0);
    let results = h.burst(5, &format!("{API}/x"));
    assert!(results.iter().all(|(_, r)| r.status() == Some(200)));
    assert_eq!(h.w.refresh_count(), 4);
}

/// API.md: the next request after a failure tries again, even one made in the same moment the
/// failure was reported. Issue 31: a failure was remembered by its device millisecond and shared
/// with every rejection of a request sent at or before it, so a request made in the same
/// millisecond (here the fake clock never moves, as a fast machine's often does not) got the old
/// REFRESH_FAILED without a refresh call. The old tests only retried through an expired token,
/// which refreshes before sending and never looks at past failures.
#[test]
fn a_request_rejected_right_after_a_failure_refreshes_again() {
    for seed in 0..50 {
        let mut h = harness_with(seed, 0.0, 900_000.0, |config, w| {
            config.retry.attempts = 1;
            w.max_delay_ms = 0;
        });
        h.w.revoke_all_access();
        h.w.plans.push_back(Plan::Transient);
        let start = h.w.now;
        let first = h.burst(3, &format!("{API}/x"));
        assert!(
            first
                .iter()
                .all(|(_, r)| r.code() == Some(Code::RefreshFailed)),
            "seed {seed}: {first:?}"
        );
        assert_eq!(h.w.refresh_count(), 1, "seed {seed}: one burst, one call");
        let again = h.burst(1, &format!("{API}/x"));
        assert_eq!(again[0].1, Got::Status(200), "seed {seed}: {again:?}");
        assert_eq!(h.w.refresh_count(), 2, "seed {seed}");
        assert_eq!(h.w.now, start, "the clock never moved");
        h.check_invariants();
    }
}

#[test]
fn unusable_refresh_response_is_bad_refresh_response() {
    let mut h = harness(8, -1_000.0);
    h.w.plans.push_back(Plan::Garbage);
    let results = h.burst(3, &format!("{API}/x"));
    assert!(results
        .iter()
        .all(|(_, r)| r.code() == Some(Code::BadRefreshResponse)));
    assert_eq!(h.w.storage.len(), 2);
}

#[test]
fn rotation_writes_both_tokens_before_any_resend() {
    let mut h = harness(9, -1_000.0);
    h.burst(4, &format!("{API}/x"));
    let new_access = h.w.storage[ACCESS_KEY].clone();
    assert_eq!(
        h.w.writes,
        [REFRESH_KEY, ACCESS_KEY],
        "the refresh token first"
    );
    assert!(h.w.sent.iter().all(|s| {
        s.authorization.as_deref() == Some(&format!("Bearer {new_access}")) && s.writes_before == 2
    }));
    assert_eq!(h.w.has_action("refreshSucceeded"), 1);
    assert!(h
        .w
        .actions
        .iter()
        .any(|(_, a)| matches!(a, Action::RefreshSucceeded { rotated: true, .. })));
}

#[test]
fn logout_during_refresh_rejects_held_requests_and_nothing_is_written_after() {
    for seed in 0..50 {
        let mut h = harness(seed, -1_000.0);
        h.w.gate = true;
        let ids: Vec<_> = (0..5).map(|_| h.fetch(0, &format!("{API}/x"))).collect();
        h.run();
        assert_eq!(h.w.refresh_count(), 1);
        let logout = h.logout(0);
        h.run();
        h.w.gate = false;
        h.release_calls();
        h.run();
        assert!(matches!(h.answer(0, logout), Some(Ok(_))));
        for id in ids {
            assert_eq!(
                h.result(0, id).and_then(|r| r.code()),
                Some(Code::LoggedOut),
                "seed {seed}"
            );
        }
        assert!(h.w.sent.is_empty(), "held requests were never sent");
        assert!(
            h.w.storage.is_empty(),
            "seed {seed}: nothing written after logout"
        );
        assert_eq!(h.w.cancels, 1, "the refresh call was aborted");
        assert!(!h.session(0).authenticated);
    }
}

#[test]
fn login_during_refresh_wins_over_the_late_result() {
    let mut h = harness(11, -1_000.0);
    h.w.gate = true;
    let id = h.fetch(0, &format!("{API}/x"));
    h.run();
    let (fresh, fresh_refresh) = (h.w.issue_access(900_000.0), h.w.issue_refresh());
    let login = h.login(0, &fresh, Some(&fresh_refresh));
    h.run();
    h.w.gate = false;
    h.release_calls();
    h.run();
    assert_eq!(h.answer(0, login), Some(Ok(Answer::Nothing)));
    assert_eq!(h.w.refresh_count(), 1);
    assert_eq!(
        h.w.storage[ACCESS_KEY], fresh,
        "the late refresh did not overwrite the login"
    );
    assert_eq!(h.w.storage[REFRESH_KEY], fresh_refresh);
    assert_eq!(h.result(0, id), Some(Got::Status(200)));
}

/// A login whose tokens are already dead (an expired access token, a refused refresh token) and a
/// request sent while its tokens are being written: the request's refresh ends the session
/// before the login's write is done. Found by the simulation (seed 4236) before storage
/// removals took time; this replays it deterministically with slow storage. The login must
/// neither announce a session that already ended (loggedIn after sessionExpired left a store
/// saying "logged in" for a client that is not) nor write its burnt refresh token back after the
/// expiry removed the tokens.
#[test]
fn a_session_that_expires_while_login_writes_is_not_announced_again() {
    let mut h = harness(21, 900_000.0);
    let (dead, refused) = (h.w.issue_access(-60_000.0), h.w.issue_refresh());
    h.w.plans.push_back(Plan::Definitive);
    h.w.storage_gate = true;
    let login = h.login(0, &dead, Some(&refused));
    h.run();
    assert_eq!(h.answer(0, login), None, "the login is still writing");
    h.w.storage_gate = false; // the expiry's own writes need not wait
    let results = h.burst(1, &format!("{API}/x"));
    assert_eq!(
        results[0].1.code(),
        Some(Code::SessionExpired),
        "{results:?}"
    );
    h.release_writes();
    h.run();
    assert_eq!(
        h.answer(0, login).map(|r| r.map_err(|e| e.code())),
        Some(Err(Code::SessionExpired)),
        "the login settles, telling its caller the session it began is over"
    );
    let last =
        h.w.actions
            .iter()
            .rev()
            .find(|(_, a)| matches!(a.name(), "loggedIn" | "sessionExpired"));
    assert!(
        last.is_some_and(|(_, a)| a.name() == "sessionExpired"),
        "{:?}",
        h.w.actions
    );
    assert!(!h.session(0).authenticated);
    assert!(
        h.w.storage.is_empty(),
        "nothing written back after the expiry: {:?}",
        h.w.storage
    );
}

#[test]
fn aborting_one_waiter_leaves_the_shared_refresh_running() {
    let mut h = harness(12, -1_000.0);
    h.w.gate = true;
    let ids: Vec<_> = (0..3).map(|_| h.fetch(0, &format!("{API}/x"))).collect();
    h.run();
    h.abort(0, ids[1]);
    h.run();
    assert_eq!(
        h.tabs[0].results.len(),
        1,
        "only the aborted request settled so far"
    );
    h.w.gate = false;
    h.release_calls();
    h.run();
    assert_eq!(h.result(0, ids[1]), Some(Got::Aborted));
    assert_eq!(h.result(0, ids[0]), Some(Got::Status(200)));
    assert_eq!(h.result(0, ids[2]), Some(Got::Status(200)));
    assert_eq!(h.w.refresh_count(), 1);
    assert!(
        h.sends_of(0, ids[1]).is_empty(),
        "the aborted request was never sent"
    );
}

#[test]
fn access_token_without_refresh_token_ends_the_session_on_rejection() {
    let mut h = harness_with(15, 0.0, 900_000.0, |_, w| {
        w.storage.remove(REFRESH_KEY);
    });
    h.w.revoke_all_access();
    let results = h.burst(2, &format!("{API}/x"));
    assert!(
        results
            .iter()
            .all(|(_, r)| r.code() == Some(Code::SessionExpired)),
        "{results:?}"
    );
    assert_eq!(h.w.has_action("sessionExpired"), 1);
    assert!(h.w.storage.is_empty());
}

#[test]
fn no_tokens_at_all_sends_without_header_and_returns_the_response() {
    let mut h = harness(16, 900_000.0);
    h.logout(0);
    h.run();
    let results = h.burst(2, &format!("{API}/x"));
    assert!(results.iter().all(|(_, r)| r.status() == Some(401)));
    assert_eq!(h.w.refresh_count(), 0);
    assert!(h.sends_of(0, results[0].0).iter().all(|(a, _)| a.is_none()));
}

/// API.md: storage that fails while refreshed tokens are written rejects the held requests with
/// STORAGE_ERROR; the client keeps working (with the new tokens in memory), and the next request
/// writes them again before it goes.
#[test]
fn storage_that_refuses_refreshed_tokens_fails_the_held_requests_and_the_next_one_writes_again() {
    for seed in 0..20 {
        let mut h = harness(seed, -1_000.0);
        h.w.storage_fails = true;
        let results = h.burst(3, &format!("{API}/x"));
        assert!(
            results
                .iter()
                .all(|(_, r)| r.code() == Some(Code::StorageError)),
            "seed {seed}: {results:?}"
        );
        assert_eq!(h.w.refresh_count(), 1);
        assert!(h.session(0).authenticated, "the new tokens are held");
        h.w.storage_fails = false;
        let again = h.burst(1, &format!("{API}/x"));
        assert_eq!(again[0].1, Got::Status(200), "seed {seed}");
        assert_eq!(h.w.refresh_count(), 1, "no second refresh");
        assert_eq!(
            h.w.writes,
            [REFRESH_KEY, ACCESS_KEY],
            "written before it went"
        );
        let sent = h.w.sent.last().unwrap();
        assert_eq!(
            sent.authorization,
            Some(format!("Bearer {}", h.w.storage[ACCESS_KEY]))
        );
        assert_eq!(sent.writes_before, 2);
    }
}

/// With a `refreshOn` predicate the shell asks it about each response of a request that carried
/// the token (there is no lease: every response needs its judgement); its yes is a rejection.
#[test]
fn a_refresh_on_predicate_judges_each_response() {
    for seed in 0..20 {
        let mut h = harness_with(seed, 0.0, 900_000.0, |config, _| {
            config.ask_refresh_on = true;
        });
        assert_eq!(h.tabs[0].lease(), None);
        assert!(h
            .burst(3, &format!("{API}/x"))
            .iter()
            .all(|(_, r)| r.status() == Some(200)));
        assert_eq!(h.w.refresh_count(), 0);
        h.w.revoke_all_access();
        let results = h.burst(5, &format!("{API}/x"));
        assert!(
            results.iter().all(|(_, r)| r.status() == Some(200)),
            "seed {seed}: {results:?}"
        );
        assert_eq!(h.w.refresh_count(), 1, "seed {seed}");
        h.check_invariants();
    }
}
