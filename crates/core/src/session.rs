//! The session's state and its only writer. Every other module reads it through these methods and
//! changes it only through the transitions named here, so each rule about the state (a new
//! access token bumps `generation`, a login, logout or dispose bumps `epoch`, a cooldown starts
//! once per token) lives in one place.

use crate::action::Shown;
use crate::clock::Clock;
use crate::error::Error;
use crate::jwt::TokenInfo;
use crate::policy::Lifetime;

/// Where an access token comes from: what it may tell the clock, and whether it is fresh.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Arrival {
    /// Read from storage or taken from another tab: it may have been issued long ago (an app
    /// that starts again), so its `iat` says nothing about the server's clock now.
    Stored,
    /// Given to `login()`: a new token, as the server just issued it (API.md, "Clock").
    Login,
    /// Fresh from the refresh call that just returned, with the response's `Date` (ms) when it
    /// had one.
    Refresh(Option<f64>),
}

#[derive(Default)]
pub(crate) struct State {
    access: Option<String>,
    refresh: Option<String>,
    info: TokenInfo,
    lifetime: Lifetime,
    generation: u64,
    epoch: u64,
    clock: Clock,
    /// `(generation, until)`: rejections of that token start no refresh until monotonic time
    /// `until` (API.md, "No refresh storms").
    cooldown: Option<(u64, f64)>,
    /// The API accepted the current access token at least once.
    accepted: bool,
    /// The current access token came from a refresh that a rejection started.
    after_rejection: bool,
    /// Refreshes that failed so far, counted: a request notes the count when it is sent, so
    /// that its rejection can tell whether it was sent before or after a failure however close
    /// in time the two were.
    failures: u64,
    /// The last failed refresh: `(generation, its number in failures, error)`.
    failure: Option<(u64, u64, Error)>,
    /// Refreshes in a row that left the token due (they failed, or their token arrived already
    /// expired), and when the last one ended (monotonic ms): the auto-refresh timer backs off.
    misses: (u32, f64),
    /// The session ended by expiry (tokens removed) and no login came since.
    expired: bool,
    /// Tokens in memory that storage failed to take; written again by the next request.
    unsaved: bool,
    disposed: bool,
    /// The access token is DPoP-bound: it goes as `DPoP <token>` with a proof.
    bound: bool,
}

impl State {
    // What the state says.

    pub fn access(&self) -> Option<&String> {
        self.access.as_ref()
    }
    pub fn refresh(&self) -> Option<&String> {
        self.refresh.as_ref()
    }
    /// A token is held.
    pub fn authenticated(&self) -> bool {
        self.access.is_some() || self.refresh.is_some()
    }
    pub fn lifetime(&self) -> &Lifetime {
        &self.lifetime
    }
    pub fn generation(&self) -> u64 {
        self.generation
    }
    pub fn epoch(&self) -> u64 {
        self.epoch
    }
    pub fn clock(&self) -> &Clock {
        &self.clock
    }
    pub fn expired(&self) -> bool {
        self.expired
    }
    pub fn unsaved(&self) -> bool {
        self.unsaved
    }
    pub fn disposed(&self) -> bool {
        self.disposed
    }
    pub fn failures(&self) -> u64 {
        self.failures
    }
    pub fn bound(&self) -> bool {
        self.bound && self.access.is_some()
    }

    /// The session as `session()` and the actions show it.
    pub fn shown(&self) -> Shown {
        Shown {
            authenticated: self.authenticated(),
            claims: self.info.claims.clone(),
            expires_at: self.info.expires_at,
        }
    }

    /// True while rejections of the token of `generation` start no refresh (monotonic ms `now`).
    pub fn cooling(&self, generation: u64, now: f64) -> bool {
        self.cooldown
            .is_some_and(|(g, until)| g == generation && now < until)
    }

    /// The failure a request sent with the token of `generation`, when `failures` refreshes had
    /// failed, shares: the last one, if it came after the send and was for that token.
    pub fn failed_since(&self, generation: u64, failures: u64) -> Option<Error> {
        match &self.failure {
            Some((g, n, e)) if *g == generation && failures < *n => Some(e.clone()),
            _ => None,
        }
    }

    /// How long the auto-refresh timer waits before it tries again (monotonic ms `now`): nothing
    /// after a refresh that worked, then 1 s, 2 s, 4 s ... up to 30 s after each refresh in a
    /// row that left the token due. A server that keeps failing, or a clock that makes every
    /// new token look expired, never drives the timer in a loop.
    pub fn timer_wait(&self, now: f64) -> f64 {
        match self.misses {
            (0, _) => 0.0,
            (n, at) => {
                let wait = 1_000.0 * 2f64.powi(n.saturating_sub(1).min(5) as i32);
                (at + wait.min(30_000.0) - now).max(0.0)
            }
        }
    }

    // How it changes.

    /// A new access token: decoded as `info`, the clock updated when the token is new (from its
    /// `iat`, or a refresh response's `Date`), the generation bumped. A stored token tells the
    /// clock nothing: its `iat` may be long past, and taking it as "now" would make an expired
    /// token look fresh. `(local, mono)` is now: device ms, monotonic ms.
    pub fn take_access(
        &mut self,
        access: &str,
        info: TokenInfo,
        expires_in: Option<f64>,
        arrival: Arrival,
        (local, mono): (f64, f64),
        bound: bool,
    ) {
        self.bound = bound;
        match (arrival, info.issued_at) {
            (Arrival::Login | Arrival::Refresh(_), Some(iat)) => {
                self.clock.observe_issued_at(iat, local)
            }
            (Arrival::Refresh(Some(date)), None) => self.clock.observe_date(date, local),
            (Arrival::Stored, _) | (Arrival::Login | Arrival::Refresh(None), None) => {}
        }
        let now = self.clock.now(local);
        let expires_at = info.expires_at.or(expires_in.map(|s| now + s * 1_000.0));
        self.lifetime = Lifetime {
            expires_at,
            issued_at: info.issued_at.or(expires_in.map(|_| now)),
            arrived_at: matches!(arrival, Arrival::Refresh(_)).then_some(now),
        };
        let dead_on_arrival = self.lifetime.arrived_at.is_some() && self.lifetime.expired(now);
        self.misses = if dead_on_arrival {
            (self.misses.0.saturating_add(1), mono)
        } else {
            (0, mono)
        };
        self.info = TokenInfo { expires_at, ..info };
        self.access = Some(access.to_string());
        self.generation += 1;
        self.accepted = false;
        self.after_rejection = false;
        self.expired = false;
    }

    /// The refresh token to present next (`None`: none, or cookie mode).
    pub fn set_refresh(&mut self, refresh: Option<String>) {
        self.refresh = refresh;
    }

    /// The current access token came from a refresh that a rejection started (or not).
    pub fn set_after_rejection(&mut self, after_rejection: bool) {
        self.after_rejection = after_rejection;
    }

    /// The session is over in memory: the tokens are forgotten; `expired` says whether it
    /// expired (rather than a logout).
    pub fn end(&mut self, expired: bool) {
        self.access = None;
        self.refresh = None;
        self.info = TokenInfo::default();
        self.lifetime = Lifetime::default();
        self.generation += 1;
        self.unsaved = false;
        self.expired = expired;
    }

    /// A new session epoch (login, logout, dispose): what the last one started is discarded.
    pub fn next_epoch(&mut self) {
        self.epoch += 1;
    }

    /// `dispose()`: a new epoch, and no more operations.
    pub fn dispose(&mut self) {
        self.disposed = true;
        self.next_epoch();
    }

    /// Whether storage holds the tokens in memory.
    pub fn set_unsaved(&mut self, unsaved: bool) {
        self.unsaved = unsaved;
    }

    /// The API accepted the token of `generation`.
    pub fn accepted(&mut self, generation: u64) {
        if self.generation == generation {
            self.accepted = true;
        }
    }

    /// The token of `generation` was rejected again after a refresh a rejection started, never
    /// accepted: its rejections start no refresh until monotonic ms `until`. Once per token: when
    /// its cooldown is over, its next rejection refreshes again. True when this rejection started
    /// the cooldown.
    pub fn refused_fresh(&mut self, generation: u64, until: f64) -> bool {
        let fresh = self.generation == generation && self.after_rejection && !self.accepted;
        let first = self.cooldown.is_none_or(|(g, _)| g != generation);
        if fresh && first {
            self.cooldown = Some((generation, until));
        }
        fresh && first
    }

    /// The timer's backoff after failed refreshes starts over (the network is back).
    pub fn clear_timer_wait(&mut self) {
        self.misses = (0, 0.0);
    }

    /// A refresh for the current token failed at monotonic ms `now`.
    pub fn remember_failure(&mut self, error: &Error, now: f64) {
        self.failures += 1;
        self.failure = Some((self.generation, self.failures, error.clone()));
        self.misses = (self.misses.0.saturating_add(1), now);
    }

    /// A response's `Date` (server ms), seen at device ms `local`.
    pub fn observe_date(&mut self, date: f64, local: f64) {
        self.clock.observe_date(date, local);
    }
}
