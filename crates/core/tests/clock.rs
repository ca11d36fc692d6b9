//! The clock and token lifetimes, natively against the fake world: a device clock far off, tokens
//! shorter than the leeway, tokens that arrive inside their leeway or already looking expired,
//! the lease and the `Date`s it hands the core, a device clock set during a session, and the
//! auto-refresh timer.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "native/mod.rs"]
#[allow(dead_code)] // shared with the other native tests
mod native;

use authlane_core::effect::Lease;
use native::harness::{harness, harness_stored, harness_with, Got, Plan, Sim, API};

#[test]
fn a_device_clock_ten_minutes_off_causes_no_refresh_loop() {
    for skew in [-600_000.0, 600_000.0] {
        let mut h = harness(13, 900_000.0);
        h.w.skew_ms = skew;
        // The stored token was issued in server time; a login teaches the clock its offset.
        let fresh = h.w.issue_access(900_000.0);
        let refresh = h.w.issue_refresh();
        h.login(0, &fresh, Some(&refresh));
        h.run();
        for _ in 0..5 {
            let results = h.burst(10, &format!("{API}/x"));
            assert!(results.iter().all(|(_, r)| r.status() == Some(200)));
        }
        assert_eq!(h.w.refresh_count(), 0, "skew {skew}");
    }
}

#[test]
fn a_token_shorter_than_the_leeway_is_not_refreshed_on_every_request() {
    let mut h = harness(14, -1_000.0);
    h.w.ttl_ms = 20_000.0; // leeway is 60 s
    for _ in 0..10 {
        h.burst(3, &format!("{API}/x"));
    }
    assert_eq!(h.w.refresh_count(), 1);
}

#[test]
fn a_token_that_arrived_inside_its_leeway_is_refreshed_once_it_expires() {
    let mut h = harness(17, -1_000.0);
    // Tokens arrive 1.5 s into their 2 s life (a server clock 1.5 s behind, which the clock
    // treats as noise; or iat in whole seconds): inside the leeway, not expired.
    h.w.skew_ms = -1_500.0;
    h.w.ttl_ms = 2_000.0;
    h.burst(3, &format!("{API}/x"));
    assert_eq!(h.w.refresh_count(), 1, "not again on every request");
    h.advance(2_100.0);
    let results = h.burst(3, &format!("{API}/x"));
    assert!(results.iter().all(|(_, r)| r.status() == Some(200)));
    assert_eq!(h.w.refresh_count(), 2);
    for (id, _) in results {
        assert_eq!(
            h.sends_of(0, id).len(),
            1,
            "request {id} refreshed first instead of sending an expired token"
        );
    }
}

#[test]
fn a_token_that_looks_expired_on_arrival_is_sent_not_refreshed_before_every_request() {
    let mut h = harness(18, -1_000.0);
    // The server's clock is behind ours: its tokens look expired, and it rejects them too.
    h.w.ttl_ms = -500.0;
    // The stored token expired: a refresh before the first send, then one on its rejection;
    // that one's token rejected again starts the cooldown (API.md, "No refresh storms").
    for _ in 1..=5 {
        for (_, r) in h.burst(1, &format!("{API}/x")) {
            assert_eq!(r, Got::Status(401), "the server rejects them too");
        }
        assert_eq!(h.w.refresh_count(), 2, "no refresh before sending it");
    }
    // After refreshCooldownMs (10 s): one more refresh for its rejection, then quiet again.
    h.advance(10_001.0);
    for _ in 1..=3 {
        h.burst(1, &format!("{API}/x"));
    }
    assert_eq!(h.w.refresh_count(), 3);
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
            assert!(results.iter().all(|(_, r)| r.status() == Some(200)));
            assert_eq!(h.w.expired_seen, 0, "age {age}: an expired token went out");
            assert_eq!(h.w.refresh_count(), refreshes, "age {age} seed {seed}");
            assert_eq!(h.w.sent.len(), 5, "each request sent once");
        }
    }
}

/// The lease the first tab holds now.
fn lease(h: &Sim) -> Lease {
    h.tabs[0].lease().expect("a lease")
}

#[test]
fn a_lease_on_a_restored_token_moves_with_each_date_the_clock_learns() {
    // 9 minutes before the refresh point of a token restored from storage, whose `iat` the
    // clock does not trust: it learns from `Date` headers, under the lease too.
    let mut h = harness_stored(7, 300_000.0, 900_000.0);
    let before = lease(&h);
    assert_eq!(before.date_every_ms, 0.0, "every Date while it learns");
    // The server's Date says it is 20 minutes later than the device thinks (the API still takes
    // the token): the token is due 20 minutes earlier in device time, and a lease running until
    // the old time no longer holds.
    h.w.sends_date = true;
    h.w.date_offset_ms = 1_200_000.0;
    let id = h.fetch(0, &format!("{API}/x"));
    h.run();
    assert_eq!(h.result(0, id), Some(Got::Status(200)));
    assert_eq!(h.sends_of(0, id).len(), 1);
    let after = lease(&h);
    assert!(
        (after.until - (before.until - 1_200_000.0)).abs() < 1_000.0,
        "{} -> {}",
        before.until,
        after.until
    );
    assert!(after.until < h.device_now(0), "due already");
    // So the next request is the core's: it refreshes before sending.
    let results = h.burst(1, &format!("{API}/x"));
    assert_eq!(results[0].1, Got::Status(200));
    assert_eq!(h.w.refresh_count(), 1);
    assert_eq!(h.sends_of(0, results[0].0).len(), 1);

    // A Date within the noise (2 s) is no correction: the device clock counts as right.
    let mut h = harness_stored(7, 300_000.0, 900_000.0);
    let before = h.tabs[0].leases.len();
    h.w.sends_date = true;
    h.w.date_offset_ms = 1_000.0;
    h.burst(3, &format!("{API}/x"));
    assert_eq!(h.tabs[0].leases.len(), before, "the lease did not change");
}

#[test]
fn a_lease_on_a_token_issued_in_this_session_ignores_dates() {
    let mut h = harness(3, 900_000.0);
    h.w.skew_ms = 600_000.0;
    let access = h.w.issue_access(900_000.0);
    let refresh = h.w.issue_refresh();
    h.login(0, &access, Some(&refresh));
    h.run();
    let lease_now = lease(&h);
    assert!(
        lease_now.date_every_ms > 0.0,
        "its iat set the clock: a sample of Dates"
    );
    // A response from a cache, with a Date an hour old: no correction.
    let leases = h.tabs[0].leases.len();
    h.w.sends_date = true;
    h.w.date_offset_ms = -3_600_000.0;
    h.burst(1, &format!("{API}/x"));
    assert_eq!(h.tabs[0].leases.len(), leases, "the lease did not change");
    assert_eq!(lease(&h), lease_now);
}

/// Issue 31: a device clock set during a session (by NTP, or by hand) must be noticed, or the
/// client keeps sending a token it thinks is fresh long after it expired. Under the lease the
/// shell hands the core one `Date` a second; two in a row that agree with each other (and not
/// with the clock) relearn it, one alone (a cache's) does not.
#[test]
fn a_device_clock_set_back_mid_session_is_relearned_from_two_agreeing_dates() {
    let mut h = harness(5, 900_000.0);
    let access = h.w.issue_access(900_000.0);
    let refresh = h.w.issue_refresh();
    h.login(0, &access, Some(&refresh));
    h.run();
    let before = lease(&h);
    assert_eq!(before.date_every_ms, 1_000.0, "a sample of Dates");
    // The device clock is set back by 10 minutes.
    h.tabs[0].offset_ms = -600_000.0;
    h.w.sends_date = true;
    let leases = h.tabs[0].leases.len();
    h.burst(1, &format!("{API}/x"));
    assert_eq!(h.tabs[0].leases.len(), leases, "one Date is not enough");
    h.advance(500.0);
    h.burst(1, &format!("{API}/x"));
    assert_eq!(
        h.tabs[0].leases.len(),
        leases,
        "within date_every_ms: not handed to the core"
    );
    h.advance(600.0);
    h.burst(1, &format!("{API}/x"));
    let after = lease(&h);
    assert!(
        (after.until - (before.until - 600_000.0)).abs() < 2_000.0,
        "the second Date relearned the clock: {} -> {}",
        before.until,
        after.until
    );
    // Fifteen and a half minutes on, the token has expired by the server's clock though the
    // device says barely five and a half passed: it is refreshed before it is sent, never sent
    // expired.
    h.advance(930_000.0);
    let results = h.burst(3, &format!("{API}/x"));
    assert!(results.iter().all(|(_, r)| r.status() == Some(200)));
    assert_eq!(h.w.refresh_count(), 1);
    for (id, _) in &results {
        assert_eq!(h.sends_of(0, *id).len(), 1, "sent once, with the new token");
    }
    assert_eq!(h.w.expired_seen, 0);
}

/// The simulation's main seed 362: a refresh backing off (a 429) when the device clock is set back
/// by an hour; the backoff was measured on the wall clock, so the retry, the held request and
/// `refresh()` waited the hour. Every wait is measured on the monotonic clock now. Our clock tests
/// set the device clock only between refreshes, never while one waited.
#[test]
fn a_device_clock_set_back_during_a_backoff_does_not_stretch_it() {
    for step in [-3_600_000.0, 3_600_000.0] {
        for seed in 0..20 {
            let mut h = harness_with(seed, 0.0, -1_000.0, |_, w| w.max_delay_ms = 0);
            h.w.plans.push_back(Plan::Transient);
            let r = h.fetch(0, &format!("{API}/x"));
            h.advance(0.0); // the first call failed; the retry waits under 200 ms
            assert_eq!(h.w.refresh_count(), 1, "seed {seed}");
            h.tabs[0].offset_ms += step;
            h.advance(250.0);
            assert_eq!(h.w.refresh_count(), 2, "step {step} seed {seed}: the retry");
            assert_eq!(
                h.result(0, r),
                Some(Got::Status(200)),
                "step {step} seed {seed}"
            );
        }
    }
}

/// Runs the auto-refresh timer for `ms` of world time, in 100 ms steps. Returns the steps (ms
/// from the start) at which the access token had expired by the server's clock.
fn auto_refresh(h: &mut Sim, ms: f64) -> Vec<f64> {
    let start = h.w.now;
    h.auto_refresh(0, true);
    let mut expired = Vec::new();
    while h.w.now - start < ms {
        h.advance(100.0);
        let expires_at = h.session(0).expires_at.unwrap();
        if h.w.server_now() >= expires_at {
            expired.push(h.w.now - start);
        }
    }
    expired
}

fn refreshes_started(h: &Sim) -> usize {
    h.w.has_action("refreshStarted")
}

#[test]
fn auto_refresh_keeps_a_token_of_two_or_three_seconds_from_ever_expiring() {
    for ttl in [2_000.0, 3_000.0] {
        for seed in 0..20 {
            let mut h = harness_stored(seed, 0.0, ttl);
            h.w.whole_second_iat = true;
            h.w.ttl_ms = ttl;
            let expired = auto_refresh(&mut h, 20_000.0);
            assert_eq!(expired, Vec::<f64>::new(), "ttl {ttl} seed {seed}");
            let refreshes = h.w.refresh_count() as f64;
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
        h.w.whole_second_iat = true;
        h.w.ttl_ms = 10_000.0;
        h.w.plans.extend([Plan::Transient; 3]); // one refresh: all 3 attempts fail
        let expired = auto_refresh(&mut h, 30_000.0);
        assert_eq!(expired, Vec::<f64>::new(), "seed {seed}");
        assert_eq!(h.w.has_action("refreshFailed"), 1, "seed {seed}");
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
        h.w.plans.extend([Plan::Transient; 1_000]);
        auto_refresh(&mut h, 120_000.0);
        // Tries at about 1.5 s, then 1, 2, 4, 8, 16 s after each failure, then every 30 s.
        let started = refreshes_started(&h);
        assert!(
            (7..=9).contains(&started),
            "seed {seed}: {started} refreshes"
        );
        assert!(
            h.session(0).authenticated,
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
        h.w.ttl_ms = -500.0;
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
        h.w.skew_ms = -1_900.0;
        h.w.whole_second_iat = true;
        h.w.ttl_ms = 1_500.0;
        auto_refresh(&mut h, 120_000.0);
        // Before: one every 30 s (4). Never more than one per token's life (80).
        let started = refreshes_started(&h);
        assert!(
            (12..=80).contains(&started),
            "seed {seed}: {started} refreshes"
        );
    }
}
