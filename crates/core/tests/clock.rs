//! The clock and token lifetimes, natively against the fake world: a device clock far off, tokens
//! shorter than the leeway, tokens that arrive inside their leeway or already looking expired.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "native/fake.rs"]
#[allow(dead_code)] // shared with tests/simulation.rs, which uses the rest
mod fake;
#[path = "native/harness.rs"]
#[allow(dead_code)] // shared with tests/coordinator.rs
mod harness;

use authlane_core::env::TokenSet;
use harness::{harness, harness_stored, API};

#[test]
fn a_device_clock_ten_minutes_off_causes_no_refresh_loop() {
    for skew in [-600_000.0, 600_000.0] {
        let mut h = harness(13, 900_000.0);
        h.w.borrow_mut().skew_ms = skew;
        // The stored token was issued in server time; a refresh teaches the clock its offset.
        let fresh = h.w.borrow_mut().issue_access(900_000.0);
        let refresh = h.w.borrow_mut().issue_refresh();
        let core = h.core.clone();
        h.pool.run_until(async move {
            core.login(TokenSet {
                access: fresh,
                refresh: Some(refresh),
                expires_in: None,
            })
            .await
            .unwrap()
        });
        for _ in 0..5 {
            let results = h.burst(10, &format!("{API}/x"));
            assert!(results.iter().all(|(_, r)| r.as_ref().ok() == Some(&200)));
        }
        assert_eq!(h.w.borrow().refresh_count(), 0, "skew {skew}");
    }
}

#[test]
fn a_token_shorter_than_the_leeway_is_not_refreshed_on_every_request() {
    let mut h = harness(14, -1_000.0);
    h.w.borrow_mut().ttl_ms = 20_000.0; // leeway is 60 s
    for _ in 0..10 {
        h.burst(3, &format!("{API}/x"));
    }
    assert_eq!(h.w.borrow().refresh_count(), 1);
}

#[test]
fn a_token_that_arrived_inside_its_leeway_is_refreshed_once_it_expires() {
    let mut h = harness(17, -1_000.0);
    {
        // Tokens arrive 1.5 s into their 2 s life (a server clock 1.5 s behind, which the clock
        // treats as noise; or iat in whole seconds): inside the leeway, not expired.
        let mut w = h.w.borrow_mut();
        w.skew_ms = -1_500.0;
        w.ttl_ms = 2_000.0;
    }
    h.burst(3, &format!("{API}/x"));
    assert_eq!(
        h.w.borrow().refresh_count(),
        1,
        "not again on every request"
    );
    h.w.borrow_mut().local_ms += 2_100.0;
    let results = h.burst(3, &format!("{API}/x"));
    assert!(results.iter().all(|(_, r)| r.as_ref().ok() == Some(&200)));
    assert_eq!(h.w.borrow().refresh_count(), 2);
    for (id, _) in results {
        assert_eq!(
            h.sends_of(id).len(),
            1,
            "request {id} refreshed first instead of sending an expired token"
        );
    }
}

#[test]
fn a_token_that_looks_expired_on_arrival_is_sent_not_refreshed_before_every_request() {
    let mut h = harness(18, -1_000.0);
    // The server's clock is behind ours: its tokens look expired, and it rejects them too.
    h.w.borrow_mut().ttl_ms = -500.0;
    // The stored token expired: a refresh before the first send, then one on its rejection;
    // that one's token rejected again starts the cooldown (API.md, "No refresh storms").
    for _ in 1..=5 {
        for (_, r) in h.burst(1, &format!("{API}/x")) {
            assert_eq!(r.as_ref().ok(), Some(&401), "the server rejects them too");
        }
        assert_eq!(
            h.w.borrow().refresh_count(),
            2,
            "no refresh before sending it"
        );
    }
    // After refreshCooldownMs (10 s): one more refresh for its rejection, then quiet again.
    h.w.borrow_mut().local_ms += 10_001.0;
    for _ in 1..=3 {
        h.burst(1, &format!("{API}/x"));
    }
    assert_eq!(h.w.borrow().refresh_count(), 3);
}

#[test]
fn a_restored_token_that_expired_or_expires_within_the_leeway_is_refreshed_before_sending() {
    // (age, life): expired 100 s ago; 30 s left of 15 minutes (inside the 60 s leeway); and, for
    // contrast, a valid one. Issued in the past, as what an app finds in storage when it starts.
    for (age, ttl, refreshes) in [
        (115_000.0, 15_000.0, 1),
        (870_000.0, 900_000.0, 1),
        (10_000.0, 900_000.0, 0),
    ] {
        for seed in 0..50 {
            let mut h = harness_stored(seed, age, ttl);
            let results = h.burst(5, &format!("{API}/x"));
            assert!(results.iter().all(|(_, r)| r.as_ref().ok() == Some(&200)));
            let w = h.w.borrow();
            assert_eq!(w.expired_seen, 0, "age {age}: an expired token went out");
            assert_eq!(w.refresh_count(), refreshes, "age {age} seed {seed}");
            assert_eq!(w.sent.len(), 5, "each request sent once");
        }
    }
}

#[test]
fn auto_refresh_keeps_a_token_of_two_or_three_seconds_from_ever_expiring() {
    for ttl in [2_000.0, 3_000.0] {
        for seed in 0..20 {
            let mut h = harness_stored(seed, 0.0, ttl);
            h.w.borrow_mut().whole_second_iat = true;
            h.w.borrow_mut().ttl_ms = ttl;
            let start = h.w.borrow().local_ms;
            // The host's timer: a check when tick() says, and again when new tokens arrive
            // (js/client.js reschedules on refreshSucceeded and loggedIn).
            let mut next = start;
            let mut seen_actions = 0;
            while h.w.borrow().local_ms - start < 20_000.0 {
                h.w.borrow_mut().local_ms += 100.0;
                let now = h.w.borrow().local_ms;
                if now >= next {
                    next = now + h.core.tick();
                }
                h.pool.run_until_stalled();
                let succeeded = {
                    let w = h.w.borrow();
                    let new = w.actions[seen_actions..]
                        .iter()
                        .any(|a| a.starts_with("RefreshSucceeded"));
                    seen_actions = w.actions.len();
                    new
                };
                if succeeded {
                    next = h.w.borrow().local_ms + h.core.tick();
                }
                let expires_at = h.core.session().expires_at.unwrap();
                let server_now = h.w.borrow().server_now();
                assert!(
                    server_now < expires_at,
                    "ttl {ttl} seed {seed}: expired at {} ms",
                    server_now - start
                );
            }
            let refreshes = h.w.borrow().refresh_count() as f64;
            // A refresh at half of each token's life (whole-second iat makes it at most a second
            // shorter): about 20 s / (ttl / 2), and never more than one per 500 ms.
            assert!(
                refreshes >= 20_000.0 / ttl && refreshes <= 20_000.0 / (ttl / 2.0 - 500.0) + 1.0,
                "ttl {ttl} seed {seed}: {refreshes} refreshes"
            );
        }
    }
}
