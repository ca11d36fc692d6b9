//! Small pure decisions: what counts as a usable token, when to refresh before sending, how long
//! to back off, what a refresh endpoint's status means.

/// A stored or received token is usable when it is a non-empty string of visible ASCII: no
/// whitespace, no control characters, nothing beyond ASCII (`Headers` refuses characters above
/// U+00FF, and real tokens are base64url or similar; anything else could not travel in a header).
///
/// ```
/// use authlane_core::policy::usable_token;
/// assert!(usable_token("eyJhbGciOi.J9.x"));
/// assert!(!usable_token(""));
/// assert!(!usable_token("a b"));
/// assert!(!usable_token("tok\u{2339}"));
/// ```
pub fn usable_token(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic())
}

/// A token that arrived inside its leeway with less than this left is not refreshed before it
/// expires: refreshing it early could only buy a shorter-lived token, in a loop.
pub const MIN_LEFT_ON_ARRIVAL_MS: f64 = 1_000.0;

/// What we know of an access token's lifetime, in server ms.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Lifetime {
    /// `exp` (or the time `expiresIn` gave), server time.
    pub expires_at: Option<f64>,
    /// `iat`, server time.
    pub issued_at: Option<f64>,
    /// When a token fresh from a refresh arrived, server time; `None` for tokens read from
    /// storage, taken from another tab or given to `login()`.
    pub arrived_at: Option<f64>,
}

impl Lifetime {
    /// The leeway actually used: the configured one, but never more than half the token's life,
    /// so a token that lives shorter than the leeway is still used for half its life instead of
    /// being refreshed on every request.
    pub fn effective_leeway(&self, leeway_ms: f64) -> f64 {
        match (self.expires_at, self.issued_at) {
            (Some(exp), Some(iat)) if exp > iat => leeway_ms.min((exp - iat) / 2.0),
            _ => leeway_ms,
        }
    }

    /// True when the token has expired at `server_now` (no leeway).
    pub fn expired(&self, server_now: f64) -> bool {
        self.expires_at.is_some_and(|exp| server_now >= exp)
    }

    /// When the token should be refreshed before it is used again, server time; `None` for
    /// opaque tokens without `expiresIn` and for a fresh token that arrived already expired
    /// (the server judges it, so a clock no evidence could correct never causes a refresh loop).
    ///
    /// Normally `exp` minus the effective leeway. A fresh token that arrived past that point
    /// (a short life, a whole-second `iat`, a server clock a little behind) is refreshed halfway
    /// through what it had left on arrival, or at `exp` when that was under
    /// [`MIN_LEFT_ON_ARRIVAL_MS`]: at most once per token, never in a loop.
    ///
    /// ```
    /// use authlane_core::policy::Lifetime;
    /// let stored = Lifetime { expires_at: Some(3_000.0), issued_at: Some(0.0), arrived_at: None };
    /// assert_eq!(stored.refresh_at(60_000.0), Some(1_500.0));
    /// let late = Lifetime { arrived_at: Some(2_000.0), ..stored };
    /// assert_eq!(late.refresh_at(60_000.0), Some(2_500.0));
    /// let dead = Lifetime { arrived_at: Some(3_000.0), ..stored };
    /// assert_eq!(dead.refresh_at(60_000.0), None);
    /// ```
    pub fn refresh_at(&self, leeway_ms: f64) -> Option<f64> {
        let exp = self.expires_at?;
        let planned = exp - self.effective_leeway(leeway_ms);
        match self.arrived_at {
            Some(arrived) if planned < arrived => {
                let left = exp - arrived;
                if left >= MIN_LEFT_ON_ARRIVAL_MS {
                    Some(arrived + left / 2.0)
                } else if left > 0.0 {
                    Some(exp)
                } else {
                    None
                }
            }
            _ => Some(planned),
        }
    }

    /// True when the token is due for a refresh at `server_now` (see [`Lifetime::refresh_at`]).
    ///
    /// ```
    /// use authlane_core::policy::Lifetime;
    /// let t = Lifetime { expires_at: Some(100_000.0), issued_at: Some(0.0), arrived_at: None };
    /// assert!(!t.expiring(10_000.0, 60_000.0));
    /// assert!(t.expiring(50_000.0, 60_000.0)); // leeway capped at half the life: 50 s
    /// ```
    pub fn expiring(&self, server_now: f64, leeway_ms: f64) -> bool {
        self.refresh_at(leeway_ms)
            .is_some_and(|at| server_now >= at)
    }
}

/// Backoff before retry number `attempt` (1 = the first retry): full jitter over an exponential
/// ceiling, `random` in `[0, 1)`. A server's `Retry-After` sets a floor, within `max_ms`.
///
/// ```
/// use authlane_core::policy::backoff_ms;
/// assert_eq!(backoff_ms(1, 200.0, 5_000.0, 0.5, None), 100.0);
/// assert_eq!(backoff_ms(10, 200.0, 5_000.0, 0.999, None).round(), 4995.0);
/// assert_eq!(backoff_ms(1, 200.0, 5_000.0, 0.0, Some(3_000.0)), 3_000.0);
/// ```
pub fn backoff_ms(
    attempt: u32,
    base_ms: f64,
    max_ms: f64,
    random: f64,
    retry_after_ms: Option<f64>,
) -> f64 {
    let exp = base_ms * 2f64.powi(attempt.saturating_sub(1).min(30) as i32);
    let jittered = exp.min(max_ms) * random.clamp(0.0, 1.0);
    match retry_after_ms {
        Some(ra) if ra.is_finite() && ra > jittered => ra.min(max_ms),
        _ => jittered,
    }
}

/// What a refresh endpoint's answer means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefreshStatus {
    /// 2xx: look for tokens in the body.
    Success,
    /// 400, 401, 403 (for an OAuth 2.0 endpoint: with `invalid_grant` only): the refresh token
    /// is refused; the session is over.
    Definitive,
    /// An OAuth 2.0 endpoint's 400, 401 or 403 with any other `error` (`invalid_client`,
    /// `invalid_request`, ...): the request is wrong, not the session. Tokens are kept
    /// and the call is not retried.
    Misconfigured,
    /// Anything else (5xx, 429, and statuses that say nothing about the session): keep the
    /// tokens, retry with backoff.
    Transient,
}

/// Classifies a refresh endpoint's answer: its status and, for `grant: "oauth2"`, the body's
/// OAuth 2.0 `error` (RFC 6749 section 5.2).
///
/// ```
/// use authlane_core::policy::{refresh_status, RefreshStatus};
/// assert_eq!(refresh_status(401, None, false), RefreshStatus::Definitive);
/// assert_eq!(refresh_status(400, Some("invalid_grant"), true), RefreshStatus::Definitive);
/// assert_eq!(refresh_status(401, Some("invalid_client"), true), RefreshStatus::Misconfigured);
/// assert_eq!(refresh_status(503, None, true), RefreshStatus::Transient);
/// ```
pub fn refresh_status(status: u16, oauth_error: Option<&str>, oauth2: bool) -> RefreshStatus {
    match status {
        200..=299 => RefreshStatus::Success,
        // Without an OAuth 2.0 error (a proxy's page, Firebase's error object) the plain
        // status rule holds.
        400 | 401 | 403 if !oauth2 || matches!(oauth_error, None | Some("invalid_grant")) => {
            RefreshStatus::Definitive
        }
        400 | 401 | 403 => RefreshStatus::Misconfigured,
        _ => RefreshStatus::Transient,
    }
}

/// True when a `WWW-Authenticate` challenge says the token lacks a scope (RFC 6750 section 3.1):
/// a refresh cannot help, so it never starts one.
///
/// ```
/// use authlane_core::policy::insufficient_scope;
/// assert!(insufficient_scope(r#"Bearer realm="api", error="insufficient_scope", scope="write""#));
/// assert!(!insufficient_scope(r#"Bearer error="invalid_token""#));
/// ```
pub fn insufficient_scope(challenge: &str) -> bool {
    // Bytes, not str patterns: those would cost kilobytes of wasm.
    fn trim(b: &[u8]) -> &[u8] {
        b.trim_ascii()
    }
    fn at(b: &[u8], c: u8) -> Option<usize> {
        b.iter().position(|&x| x == c)
    }
    challenge.as_bytes().split(|&b| b == b',').any(|part| {
        let part = trim(part);
        // The first parameter follows the scheme: "Bearer error=...".
        let param = match (at(part, b' '), at(part, b'=')) {
            (Some(space), Some(eq)) if space < eq => part.get(space..).map_or(part, trim),
            _ => part,
        };
        let Some(eq) = at(param, b'=') else {
            return false;
        };
        let key = param.get(..eq).map_or(&[][..], trim);
        let value = param.get(eq + 1..).map_or(&[][..], trim);
        let value = value
            .strip_prefix(b"\"")
            .and_then(|v| v.strip_suffix(b"\""))
            .unwrap_or(value);
        key.eq_ignore_ascii_case(b"error") && value == b"insufficient_scope"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_with_whitespace_controls_or_non_ascii_are_unusable() {
        for bad in [
            "",
            " ",
            "a\tb",
            "a\nb",
            "x\u{0}",
            "\u{7f}",
            "a\u{a0}b",
            "\u{e9}t\u{e9}",
            "\u{2339}",
        ] {
            assert!(!usable_token(bad), "{bad:?}");
        }
    }

    #[test]
    fn opaque_tokens_never_look_expiring() {
        assert!(!Lifetime::default().expiring(f64::MAX, 60_000.0));
    }

    #[test]
    fn a_fresh_token_inside_its_leeway_is_refreshed_once_halfway() {
        // 3 s tokens: the normal point is 1.5 s; this one arrived 1.6 s into its life.
        let t = Lifetime {
            expires_at: Some(3_000.0),
            issued_at: Some(0.0),
            arrived_at: Some(1_600.0),
        };
        assert_eq!(t.refresh_at(60_000.0), Some(2_300.0));
        assert!(!t.expiring(2_299.0, 60_000.0));
        assert!(t.expiring(2_300.0, 60_000.0));
        // Under a second left on arrival: sent until it expires, then refreshed.
        let short = Lifetime {
            arrived_at: Some(2_200.0),
            ..t
        };
        assert_eq!(short.refresh_at(60_000.0), Some(3_000.0));
        // Arrived expired (a server clock behind ours): never refreshed before sending.
        let dead = Lifetime {
            arrived_at: Some(3_500.0),
            ..t
        };
        assert!(!dead.expiring(f64::MAX, 60_000.0));
        // The same token read from storage: due from its normal point on.
        let stored = Lifetime {
            arrived_at: None,
            ..t
        };
        assert!(stored.expiring(1_500.0, 60_000.0));
    }

    #[test]
    fn refresh_status_table() {
        for oauth2 in [false, true] {
            assert_eq!(refresh_status(200, None, oauth2), RefreshStatus::Success);
            assert_eq!(refresh_status(204, None, oauth2), RefreshStatus::Success);
            for s in [429, 500, 502, 503, 504, 404, 302] {
                assert_eq!(refresh_status(s, None, oauth2), RefreshStatus::Transient);
            }
        }
        for s in [400, 401, 403] {
            assert_eq!(refresh_status(s, None, false), RefreshStatus::Definitive);
            assert_eq!(
                refresh_status(s, Some("invalid_client"), false),
                RefreshStatus::Definitive
            );
            assert_eq!(
                refresh_status(s, Some("invalid_grant"), true),
                RefreshStatus::Definitive
            );
            for e in [
                "invalid_client",
                "invalid_request",
                "unauthorized_client",
                "unsupported_grant_type",
                "invalid_scope",
            ] {
                assert_eq!(
                    refresh_status(s, Some(e), true),
                    RefreshStatus::Misconfigured,
                    "{s} {e}"
                );
            }
            assert_eq!(refresh_status(s, None, true), RefreshStatus::Definitive);
        }
    }

    #[test]
    fn only_insufficient_scope_challenges_count() {
        assert!(insufficient_scope("Bearer error=\"insufficient_scope\""));
        assert!(insufficient_scope(
            "Bearer realm=\"x\",error=\"insufficient_scope\""
        ));
        assert!(insufficient_scope("Bearer error=insufficient_scope"));
        assert!(!insufficient_scope(
            "Bearer error=\"invalid_token\", error_description=\"insufficient_scope\""
        ));
        assert!(!insufficient_scope(""));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let d: Vec<f64> = (1..=6)
            .map(|a| backoff_ms(a, 200.0, 5_000.0, 1.0, None))
            .collect();
        assert_eq!(d, vec![200.0, 400.0, 800.0, 1_600.0, 3_200.0, 5_000.0]);
    }
}
