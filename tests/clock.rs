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

use authlane::env::TokenSet;
use harness::{harness, API};

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
    h.w.borrow_mut().ttl_ms = -500.0; // the server's clock is behind ours: its tokens look expired
                                      // The stored token expired: a refresh before the first send, then one on its rejection.
    for round in 1..=5 {
        for (_, r) in h.burst(1, &format!("{API}/x")) {
            assert_eq!(r.as_ref().ok(), Some(&401), "the server rejects them too");
        }
        assert_eq!(
            h.w.borrow().refresh_count(),
            round + 1,
            "one refresh a request"
        );
    }
}
