//! Numbers from untrusted places (token `exp`/`iat`, `expiresIn`, `Date` and `Retry-After`
//! headers, retry options): any f64, NaN and infinities included, never a panic, and delays stay
//! within their bounds.
#![no_main]

use authlane_core::clock::Clock;
use authlane_core::policy::{backoff_ms, refresh_status, Lifetime};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u32, [f64; 7], u16, bool)| {
    let (attempt, [a, b, c, d, e, f, g], status, with_iat) = input;
    let life = Lifetime {
        expires_at: Some(a),
        issued_at: with_iat.then_some(b),
        arrived_at: (!with_iat || g > 0.0).then_some(g),
    };
    let _ = (
        life.expired(c),
        life.expiring(c, d),
        life.effective_leeway(d),
        life.refresh_at(d),
    );
    let mut clock = Clock::default();
    clock.observe_date(e, f);
    clock.observe_issued_at(a, f);
    let _ = clock.now(c);
    let _ = refresh_status(status, None, with_iat);
    let _ = refresh_status(status, Some("invalid_grant"), true);
    let max = d.abs().min(60_000.0);
    let random = if f.is_finite() { f.abs().fract() } else { 0.5 }; // Math.random()
    let delay = backoff_ms(attempt, e.abs().min(60_000.0), max, random, Some(c));
    assert!(
        (0.0..=max).contains(&delay),
        "delay {delay} outside 0..={max}"
    );
});
