//! The corrected clock: the device's time plus an estimate of its offset to the server's.
//!
//! The offset comes from the `iat` of each new token (the best evidence: the server's own time
//! when it issued the token) and from `Date` headers: while no token has told it, the first
//! `Date` that disagrees with it; after that, two `Date`s in a row that agree with each other and
//! disagree with it (the device's clock was set, by NTP or by hand, during the session; a single
//! response from a cache, whose `Date` is old, must not move it). Offsets and disagreements under
//! two seconds are noise (both sources have one-second resolution).

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
    /// After an `iat`: the offset a `Date` that disagreed suggested, waiting for a second one.
    suggested: Option<f64>,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            offset_ms: 0.0,
            source: Source::None,
            suggested: None,
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
            self.suggested = None;
        }
    }

    /// True while every `Date` header may change the estimate (no token's `iat` has given one);
    /// after that, a sample of them is enough to notice a device clock that was set.
    pub fn wants_date(&self) -> bool {
        self.source != Source::IssuedAt
    }

    /// A response carried `Date: date_ms` at device time `local_ms` (see the module docs).
    ///
    /// ```
    /// use authlane_core::clock::Clock;
    /// let mut clock = Clock::default();
    /// clock.observe_issued_at(1_000_000.0, 1_000_000.0);
    /// // NTP sets the device clock back by 10 minutes: two responses agree on it.
    /// clock.observe_date(1_000_000.0, 400_000.0);
    /// assert_eq!(clock.now(400_000.0), 400_000.0, "one Date is not enough");
    /// clock.observe_date(1_001_000.0, 401_000.0);
    /// assert_eq!(clock.now(401_000.0), 1_001_000.0);
    /// ```
    pub fn observe_date(&mut self, date_ms: f64, local_ms: f64) {
        if !date_ms.is_finite() || !local_ms.is_finite() {
            return;
        }
        let offset = date_ms - local_ms;
        if (offset - self.offset_ms).abs() < NOISE_MS {
            self.suggested = None;
            return;
        }
        let confirmed = self
            .suggested
            .is_some_and(|s| (offset - s).abs() < NOISE_MS);
        if self.source != Source::IssuedAt || confirmed {
            self.offset_ms = denoise(offset);
            self.source = Source::DateHeader;
            self.suggested = None;
        } else {
            self.suggested = Some(offset);
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
            "one Date header does not override iat"
        );
        c.observe_date(11_000.0 - 300_000.0, 11_000.0);
        assert_eq!(c.offset_ms(), -600_000.0, "nor two that disagree");
        c.observe_date(12_000.0, 12_000.0);
        assert_eq!(c.offset_ms(), -600_000.0);
        c.observe_date(13_500.0, 13_000.0);
        assert_eq!(c.offset_ms(), 0.0, "two in a row that agree do");
        c.observe_date(14_000.0 - 600_000.0, 14_000.0);
        assert_eq!(
            c.offset_ms(),
            -600_000.0,
            "once a Date set it, one Date is enough"
        );
        c.observe_date(15_000.0 - 601_000.0, 15_000.0);
        assert_eq!(c.offset_ms(), -600_000.0, "within the noise");
        c.observe_issued_at(9_000.0, 10_000.0);
        assert_eq!(c.offset_ms(), 0.0);
        c.observe_issued_at(f64::NAN, 10_000.0);
        assert_eq!(c.offset_ms(), 0.0);
    }
}
