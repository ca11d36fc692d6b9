//! The client's state and its only writer. Every other module reads it through these methods and
//! changes it only through the transitions named here, so each rule about the state (a new
//! access token bumps `generation`, a login, logout or dispose bumps `epoch` and takes the flight,
//! a cooldown starts once per token) lives in one place.
//!
//! The state is held in a `RefCell` by [`crate::core::Core`]: a borrow never lives across an
//! `.await` or a `dispatch` (listeners may call back into the client).

use std::rc::Rc;

use crate::clock::Clock;
use crate::env::TokenInfo;
use crate::error::Error;
use crate::policy::Lifetime;
use crate::shared::Shared;

/// The outcome every waiter of one refresh gets.
pub type Outcome = Result<(), Error>;

/// A refresh in flight.
pub(crate) struct Flight {
    pub outcome: Rc<Shared<Outcome>>,
}

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

pub(crate) struct State<C> {
    access: Option<String>,
    refresh: Option<String>,
    info: TokenInfo<C>,
    lifetime: Lifetime,
    generation: u64,
    epoch: u64,
    flight: Option<Flight>,
    clock: Clock,
    /// `(generation, until)`: rejections of that token start no refresh until device time
    /// `until` (API.md, "No refresh storms").
    cooldown: Option<(u64, f64)>,
    /// The API accepted the current access token at least once.
    accepted: bool,
    /// The current access token came from a refresh that a rejection started.
    after_rejection: bool,
    /// Refreshes that failed so far, counted: a request notes the count when it is sent, so
    /// that its rejection can tell whether it was sent before or after a failure however close
    /// in time the two were (a device clock reads the same millisecond for both).
    failures: u64,
    /// The last failed refresh: `(generation, its number in failures, error)`.
    failure: Option<(u64, u64, Error)>,
    /// Refreshes in a row that left the token due (they failed, or their token arrived already
    /// expired), and when the last one ended (device ms): the auto-refresh timer backs off.
    misses: (u32, f64),
    /// The session ended by expiry (tokens removed) and no login came since.
    expired: bool,
    /// Tokens in memory that storage failed to take; written again by the next request.
    unsaved: bool,
    /// That write again, while it runs: every request that asks waits for this one.
    saving: Option<Rc<Shared<Outcome>>>,
    disposed: bool,
    /// Writes of this client's own tokens in progress: meanwhile storage may hold half of its
    /// new pair, which is not another tab's.
    writing: u32,
    /// Counts the "new tokens" messages from other tabs: each one supersedes the one before,
    /// whose wait for storage then stops.
    news: u64,
}

impl<C> State<C> {
    /// Logged out, nothing read yet.
    pub fn new() -> Self {
        State {
            access: None,
            refresh: None,
            info: TokenInfo {
                claims: None,
                expires_at: None,
                issued_at: None,
            },
            lifetime: Lifetime::default(),
            generation: 0,
            epoch: 0,
            flight: None,
            clock: Clock::default(),
            cooldown: None,
            accepted: false,
            after_rejection: false,
            failures: 0,
            failure: None,
            misses: (0, 0.0),
            expired: false,
            unsaved: false,
            saving: None,
            disposed: false,
            news: 0,
            writing: 0,
        }
    }

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
    pub fn info(&self) -> &TokenInfo<C> {
        &self.info
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

    /// The refresh in flight, to wait on.
    pub fn flight(&self) -> Option<Rc<Shared<Outcome>>> {
        self.flight.as_ref().map(|f| Rc::clone(&f.outcome))
    }

    /// True while `outcome` is the flight of session `epoch`.
    pub fn owns(&self, epoch: u64, outcome: &Rc<Shared<Outcome>>) -> bool {
        self.epoch == epoch && self.is_flight(outcome)
    }

    fn is_flight(&self, outcome: &Rc<Shared<Outcome>>) -> bool {
        self.flight
            .as_ref()
            .is_some_and(|f| Rc::ptr_eq(&f.outcome, outcome))
    }

    /// True while rejections of the token of `generation` start no refresh (device ms `now`).
    pub fn cooling(&self, generation: u64, now: f64) -> bool {
        self.cooldown
            .is_some_and(|(g, until)| g == generation && now < until)
    }

    /// How many refreshes have failed so far: what a request notes when it is sent.
    pub fn failures(&self) -> u64 {
        self.failures
    }

    /// The failure a request sent with the token of `generation`, when `failures` refreshes had
    /// failed, shares: the last one, if it came after the send and was for that token.
    pub fn failed_since(&self, generation: u64, failures: u64) -> Option<Error> {
        match &self.failure {
            Some((g, n, e)) if *g == generation && failures < *n => Some(e.clone()),
            _ => None,
        }
    }

    /// How long the auto-refresh timer waits before it tries again (device ms `now`): nothing
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
    /// token look fresh. `local` is device ms now.
    pub fn take_access(
        &mut self,
        access: &str,
        info: TokenInfo<C>,
        expires_in: Option<f64>,
        arrival: Arrival,
        local: f64,
    ) {
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
            (self.misses.0.saturating_add(1), local)
        } else {
            (0, local)
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
        self.info = TokenInfo {
            claims: None,
            expires_at: None,
            issued_at: None,
        };
        self.lifetime = Lifetime::default();
        self.generation += 1;
        self.unsaved = false;
        self.expired = expired;
    }

    /// A new session epoch (login, logout, dispose): the flight in flight, if any, is handed
    /// back for its waiters to be told.
    pub fn next_epoch(&mut self) -> Option<Flight> {
        self.epoch += 1;
        self.flight.take()
    }

    /// `dispose()`: a new epoch, and no more operations.
    pub fn dispose(&mut self) -> Option<Flight> {
        self.disposed = true;
        self.next_epoch()
    }

    /// A refresh starts; returns its epoch.
    pub fn start_flight(&mut self, outcome: &Rc<Shared<Outcome>>) -> u64 {
        self.flight = Some(Flight {
            outcome: Rc::clone(outcome),
        });
        self.epoch
    }

    /// The refresh of `outcome` is over (if it is still the one in flight).
    pub fn clear_flight(&mut self, outcome: &Rc<Shared<Outcome>>) {
        if self.is_flight(outcome) {
            self.flight = None;
        }
    }

    /// Another tab's tokens settle the refresh in flight: it is handed back.
    pub fn take_flight(&mut self) -> Option<Flight> {
        self.flight.take()
    }

    /// Whether storage holds the tokens in memory.
    pub fn set_unsaved(&mut self, unsaved: bool) {
        self.unsaved = unsaved;
    }

    /// The write of unsaved tokens in progress, to wait on.
    pub fn saving(&self) -> Option<Rc<Shared<Outcome>>> {
        self.saving.clone()
    }

    /// The write of unsaved tokens starts (`Some`) or is over (`None`).
    pub fn set_saving(&mut self, saving: Option<Rc<Shared<Outcome>>>) {
        self.saving = saving;
    }

    /// A write of this client's tokens starts (`true`) or ends.
    pub fn set_writing(&mut self, starts: bool) {
        self.writing = match starts {
            true => self.writing.saturating_add(1),
            false => self.writing.saturating_sub(1),
        };
    }

    /// This client is writing its own tokens.
    pub fn writing(&self) -> bool {
        self.writing > 0
    }

    /// Another tab's "new tokens" message arrived: returns its number (see [`State::news`]).
    pub fn next_news(&mut self) -> u64 {
        self.news += 1;
        self.news
    }

    /// The number of the latest "new tokens" message.
    pub fn news(&self) -> u64 {
        self.news
    }

    /// The API accepted the token of `generation`.
    pub fn accepted(&mut self, generation: u64) {
        if self.generation == generation {
            self.accepted = true;
        }
    }

    /// The token of `generation` was rejected again after a refresh a rejection started, never
    /// accepted: its rejections start no refresh until device ms `until`. Once per token: when
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

    /// A refresh for the current token failed at device ms `now`.
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
