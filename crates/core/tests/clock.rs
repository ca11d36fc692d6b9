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
use fake::{HostTimer, RefreshPlan};
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
fn a_lease_on_a_restored_token_moves_with_each_date_the_clock_learns() {
    // 9 minutes before the refresh point of a token restored from storage, whose `iat` the
    // clock does not trust: it learns from `Date` headers, under the lease too.
    let h = harness_stored(7, 300_000.0, 900_000.0);
    let lease = h.core.lease().expect("a lease on the restored token");
    assert_eq!(lease.date_every_ms, 0.0, "every Date while it learns");
    assert!(h
        .core
        .lease_holds(lease.generation, lease.until, lease.failures));
    let local = h.w.borrow().local_ms;
    // The server's Date says it is 20 minutes later than the device thinks: the token is due
    // 20 minutes earlier in device time, and a lease running until the old time no longer holds.
    let until = h.core.noted_date(local + 1_200_000.0);
    assert_eq!(until, lease.until - 1_200_000.0);
    assert!(until < local, "due already");
    assert!(!h
        .core
        .lease_holds(lease.generation, lease.until, lease.failures));
    assert!(h.core.lease_holds(lease.generation, until, lease.failures));
    // A Date within the noise (2 s) is no correction: the device clock counts as right.
    assert_eq!(h.core.noted_date(local + 1_000.0), lease.until);
}

#[test]
fn a_lease_on_a_token_issued_in_this_session_ignores_dates() {
    let mut h = harness(3, 900_000.0);
    h.w.borrow_mut().skew_ms = 600_000.0;
    let access = h.w.borrow_mut().issue_access(900_000.0);
    let refresh = h.w.borrow_mut().issue_refresh();
    let core = h.core.clone();
    h.pool.run_until(async move {
        core.login(TokenSet {
            access,
            refresh: Some(refresh),
            expires_in: None,
        })
        .await
        .unwrap()
    });
    let lease = h.core.lease().expect("a lease on the new token");
    assert!(
        lease.date_every_ms > 0.0,
        "its iat set the clock: a sample of Dates"
    );
    let local = h.w.borrow().local_ms;
    assert_eq!(h.core.noted_date(local - 3_600_000.0), lease.until);
}

/// Runs the host's auto-refresh timer as js/client.js does for `ms` of device time, in 100 ms
/// steps: a check when `tick()` says, and again whenever a refresh ends or tokens arrive.
/// Returns the steps (ms from the start) at which the access token had expired by the server's
/// clock.
fn auto_refresh(h: &mut harness::Harness, ms: f64) -> Vec<f64> {
    let start = h.w.borrow().local_ms;
    let mut timer = HostTimer::new(&h.w);
    let mut expired = Vec::new();
    while h.w.borrow().local_ms - start < ms {
        h.w.borrow_mut().local_ms += 100.0;
        timer.step(&h.core, &h.w);
        h.pool.run_until_stalled();
        timer.step(&h.core, &h.w);
        let expires_at = h.core.session().expires_at.unwrap();
        let w = h.w.borrow();
        if w.server_now() >= expires_at {
            expired.push(w.local_ms - start);
        }
    }
    expired
}

fn refreshes_started(h: &harness::Harness) -> usize {
    h.w.borrow().has_action("RefreshStarted")
}

#[test]
fn auto_refresh_keeps_a_token_of_two_or_three_seconds_from_ever_expiring() {
    for ttl in [2_000.0, 3_000.0] {
        for seed in 0..20 {
            let mut h = harness_stored(seed, 0.0, ttl);
            h.w.borrow_mut().whole_second_iat = true;
            h.w.borrow_mut().ttl_ms = ttl;
            let expired = auto_refresh(&mut h, 20_000.0);
            assert_eq!(expired, Vec::<f64>::new(), "ttl {ttl} seed {seed}");
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

#[test]
fn auto_refresh_tries_again_a_second_after_a_refresh_that_failed() {
    // Why the JS tests saw 3 s tokens expire for the rest of a run on a loaded machine: a timer
    // refresh that failed (all its attempts) left the timer waiting its longest, 30 s, since the
    // host only asked again when new tokens arrived.
    for seed in 0..20 {
        let mut h = harness_stored(seed, 0.0, 10_000.0);
        {
            let mut w = h.w.borrow_mut();
            w.whole_second_iat = true;
            w.ttl_ms = 10_000.0;
            w.plans.extend([RefreshPlan::Transient; 3]); // one refresh: all 3 attempts fail
        }
        let expired = auto_refresh(&mut h, 30_000.0);
        assert_eq!(expired, Vec::<f64>::new(), "seed {seed}");
        assert_eq!(h.w.borrow().has_action("RefreshFailed"), 1, "seed {seed}");
        // The failed one, then one about every 5 s.
        let started = refreshes_started(&h);
        assert!(
            (6..=9).contains(&started),
            "seed {seed}: {started} refreshes"
        );
    }
}

#[test]
fn auto_refresh_against_a_failing_endpoint_backs_off_to_one_try_in_30_s() {
    for seed in 0..10 {
        let mut h = harness_stored(seed, 0.0, 3_000.0);
        h.w.borrow_mut()
            .plans
            .extend([RefreshPlan::Transient; 1_000]);
        auto_refresh(&mut h, 120_000.0);
        // Tries at about 1.5 s, then 1, 2, 4, 8, 16 s after each failure, then every 30 s.
        let started = refreshes_started(&h);
        assert!(
            (7..=9).contains(&started),
            "seed {seed}: {started} refreshes"
        );
        assert!(
            h.core.session().authenticated,
            "transient failures keep the session"
        );
    }
}

#[test]
fn auto_refresh_renews_tokens_that_arrive_expired_without_a_loop() {
    // The server's clock behind ours by less than the clock can tell from noise, and tokens
    // that look expired on arrival (as in
    // `a_token_that_looks_expired_on_arrival_is_sent_not_refreshed_before_every_request`).
    // Requests still send them (the server judges); the timer refreshes them, backing off, where
    // it used to give up for 30 s.
    for seed in 0..10 {
        let mut h = harness_stored(seed, 0.0, 3_000.0);
        h.w.borrow_mut().ttl_ms = -500.0;
        auto_refresh(&mut h, 120_000.0);
        let started = refreshes_started(&h);
        assert!(
            (7..=9).contains(&started),
            "seed {seed}: {started} refreshes"
        );
    }
    // 1.5 s tokens: some arrive expired, some with a few hundred ms left (refreshed when they
    // expire). At most one refresh per token, and a backoff after each that arrived expired.
    for seed in 0..10 {
        let mut h = harness_stored(seed, 0.0, 1_500.0);
        {
            let mut w = h.w.borrow_mut();
            w.skew_ms = -1_900.0;
            w.whole_second_iat = true;
            w.ttl_ms = 1_500.0;
        }
        auto_refresh(&mut h, 120_000.0);
        // Before: one every 30 s (4). Never more than one per token's life (80).
        let started = refreshes_started(&h);
        assert!(
            (12..=80).contains(&started),
            "seed {seed}: {started} refreshes"
        );
    }
}
