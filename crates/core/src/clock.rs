//! The corrected clock: the device's time plus an estimate of its offset to the server's.
//!
//! The offset comes from the `iat` of each new token (the best evidence: the server's own time
//! when it issued the token) and, while no token has told it, from `Date` headers. Offsets under
//! two seconds are noise (both sources have one-second resolution) and count as zero.

const NOISE_MS: f64 = 2_000.0;

/// Where the current offset estimate came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    None,
    DateHeader,
    IssuedAt,
}

/// A clock offset estimate.
///
/// ```
/// use authlane_core::clock::Clock;
/// let mut clock = Clock::default();
/// clock.observe_issued_at(1_000_000.0, 1_600_000.0); // device 10 minutes ahead
/// assert_eq!(clock.now(1_600_000.0), 1_000_000.0);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    offset_ms: f64,
    source: Source,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            offset_ms: 0.0,
            source: Source::None,
        }
    }
}

impl Clock {
    /// The server's time now, from the device's `local_ms`.
    pub fn now(&self, local_ms: f64) -> f64 {
        local_ms + self.offset_ms
    }

    /// The offset in ms (server minus device).
    pub fn offset_ms(&self) -> f64 {
        self.offset_ms
    }

    /// A new token issued at `iat_ms` (server time) arrived at device time `local_ms`.
    pub fn observe_issued_at(&mut self, iat_ms: f64, local_ms: f64) {
        if iat_ms.is_finite() && local_ms.is_finite() {
            self.offset_ms = denoise(iat_ms - local_ms);
            self.source = Source::IssuedAt;
        }
    }

    /// True while `Date` headers can still change the estimate (no token's `iat` has given one):
    /// lets the request path skip reading the header.
    pub fn wants_date(&self) -> bool {
        self.source != Source::IssuedAt
    }

    /// A response carried `Date: date_ms` at device time `local_ms`; used only while no token's
    /// `iat` has given an estimate.
    pub fn observe_date(&mut self, date_ms: f64, local_ms: f64) {
        if self.source != Source::IssuedAt && date_ms.is_finite() && local_ms.is_finite() {
            self.offset_ms = denoise(date_ms - local_ms);
            self.source = Source::DateHeader;
        }
    }
}

fn denoise(offset: f64) -> f64 {
    if offset.abs() < NOISE_MS {
        0.0
    } else {
        offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iat_wins_over_date_and_small_offsets_are_noise() {
        let mut c = Clock::default();
        c.observe_date(10_000.0 + 300_000.0, 10_000.0);
        assert_eq!(c.offset_ms(), 300_000.0);
        assert!(c.wants_date());
        c.observe_issued_at(10_000.0 - 600_000.0, 10_000.0);
        assert_eq!(c.offset_ms(), -600_000.0);
        assert!(!c.wants_date());
        c.observe_date(10_000.0, 10_000.0);
        assert_eq!(
            c.offset_ms(),
            -600_000.0,
            "a Date header does not override iat"
        );
        c.observe_issued_at(9_000.0, 10_000.0);
        assert_eq!(c.offset_ms(), 0.0);
        c.observe_issued_at(f64::NAN, 10_000.0);
        assert_eq!(c.offset_ms(), 0.0);
    }
}
