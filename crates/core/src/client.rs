//! The client: a state machine driven by its caller, in the shape of quinn-proto's `Connection`.
//! The shell hands it each event with the time ([`Client::handle`]), takes the effects to perform
//! ([`Client::poll`]) and calls back at [`Client::poll_timeout`]. No futures, no executor, no
//! clock or randomness of its own (the seed is an input).
//!
//! Two times come with each event: the device's wall clock (what `Date.now()`, or the `now`
//! option, says), which expiry is judged on (corrected by the offset learned from the server),
//! and a monotonic clock (what timers count: `performance.now()`), which every wait is measured
//! on (backoff, settling, the wait for another tab's write, the auto-refresh timer, the
//! cooldown). A wall clock set back, set forward, or jumping after a sleep moves no deadline.
//!
//! The state lives here and in `session.rs` (the session, and its only writer); the decisions
//! are in the modules that add to `Client`: `requests.rs` (one request's way), `flight.rs` (the
//! single-flight refresh and the auto-refresh timer), `tasks.rs` (start, login, logout, expiry,
//! writing tokens storage refused) and `tabs.rs` (what other tabs and clients say).

use std::collections::VecDeque;

use crate::action::{Action, Shown};
use crate::config::Config;
use crate::effect::{Effect, Id, Io, Lease, Lock};
use crate::error::{Code, Error};
use crate::flight::Flight;
use crate::input::Input;
use crate::keys::Dpop;
use crate::offline::Pending;
use crate::requests::{Req, Waiter};
use crate::session::State;
use crate::tasks::Task;

/// One client's core. See the module docs.
pub struct Client {
    pub(crate) config: Config,
    pub(crate) st: State,
    /// Device ms (wall clock) of the event being handled.
    pub(crate) now: f64,
    /// Monotonic ms of the event being handled: what every deadline is measured on.
    pub(crate) mono: f64,
    /// Wall minus monotonic time at the last event: when it moves, the wall clock jumped (a
    /// sleep, or a clock set), and the auto-refresh timer looks at the token again.
    drift: Option<f64>,
    rng: u64,
    out: VecDeque<Effect>,
    /// Requests the core knows: held, sent with a token, or asking the `refreshOn` predicate.
    pub(crate) reqs: Vec<Req>,
    /// API calls waiting for a refresh or a write (`getAccessToken()`, `refresh()`).
    pub(crate) waiters: Vec<Waiter>,
    /// The refresh in flight.
    pub(crate) flight: Option<Flight>,
    /// Storage work in progress, each with its operations.
    pub(crate) tasks: Vec<Task>,
    next_io: Io,
    /// Serial numbers of flights and tasks, so that a waiter knows which one it waits for.
    next_serial: u64,
    /// The auto-refresh timer: on, and when it next looks.
    pub(crate) auto: Option<f64>,
    /// The actions dispatched during this event asked the auto-refresh timer to look again.
    pub(crate) reschedule: bool,
    /// The lease last handed to the shell.
    lease: Option<Lease>,
    /// What waits for work that a transition of this event ended goes on once the transition is
    /// complete (a login's new token is held before the requests it released ask again).
    later: Vec<(u64, Result<(), Error>)>,
    /// Others share the storage (other clients of this app, or tabs): what the shell said with
    /// the last lock it granted.
    pub(crate) shared: bool,
    /// DPoP's state, with `dpop`.
    pub(crate) dpop: Option<Dpop>,
    /// The device can reach the network, as the shell last said (`offline.rs`).
    pub(crate) online: bool,
    /// The revocations kept while offline (`offline.rs`).
    pub(crate) pending: Pending,
    /// The last kept revocation's call number.
    pub(crate) next_kept: Id,
    /// The fingerprint of the pair held when the last session ended: what the end's message
    /// to the other tabs names.
    pub(crate) ended: u64,
    /// `login()` calls so far: a logout that began before the last one does not remove its
    /// tokens.
    pub(crate) logins: u64,
    /// The pair this tab's last refresh presented (its fingerprint), while the session it
    /// refreshed lasts: another tab's logout that removed that pair was a logout of this
    /// session, whose new pair this tab then wrote.
    pub(crate) refreshed_from: Option<u64>,
}

impl Client {
    /// A logged-out client; hand it [`Input::Start`] to read storage. `seed` feeds the retry
    /// jitter.
    pub fn new(config: Config, seed: u64) -> Client {
        let dpop = Dpop::start(&config);
        Client {
            config,
            st: State::default(),
            now: 0.0,
            mono: 0.0,
            drift: None,
            rng: seed | 1,
            out: VecDeque::new(),
            reqs: Vec::new(),
            waiters: Vec::new(),
            flight: None,
            tasks: Vec::new(),
            next_io: 1,
            next_serial: 1,
            auto: None,
            reschedule: false,
            lease: None,
            later: Vec::new(),
            dpop,
            shared: config_shared(),
            online: true,
            pending: Pending::default(),
            next_kept: 0,
            ended: 0,
            logins: 0,
            refreshed_from: None,
        }
    }

    /// The options it was made with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// `session()`: the session now, never the raw tokens.
    pub fn session(&self) -> Shown {
        match self.st.disposed() {
            true => Shown::default(),
            false => self.st.shown(),
        }
    }

    /// With DPoP, the key's RFC 7638 thumbprint (`session().dpop.jkt`).
    pub fn jkt(&self) -> Option<&str> {
        self.dpop_jkt()
    }

    /// `input` resolved against `baseUrl` (or the page), `None` when it cannot be.
    pub fn resolve(&self, input: &str) -> Option<String> {
        crate::url::resolve(self.config.base_url.as_deref(), input)
    }

    /// Server time now (device ms `local`), by the corrected clock.
    pub fn server_now(&self, local: f64) -> f64 {
        self.st.clock().now(local)
    }

    /// The next effect to perform, in order.
    pub fn poll(&mut self) -> Option<Effect> {
        self.out.pop_front()
    }

    /// When to hand the core [`Input::Timer`] (monotonic ms, the clock of [`Client::handle`]'s
    /// `mono`), if ever.
    pub fn poll_timeout(&self) -> Option<f64> {
        let flight = self.flight.as_ref().and_then(Flight::wake_at);
        let tasks = self.tasks.iter().filter_map(Task::wake_at);
        let sending = self.pending.wake_at();
        [self.auto, flight, sending]
            .into_iter()
            .flatten()
            .chain(tasks)
            .reduce(f64::min)
    }

    /// Work is in progress (a refresh, storage work): the shell keeps its process alive for the
    /// timer; otherwise the timer only looks at the token now and then (auto refresh).
    pub fn busy(&self) -> bool {
        self.flight.is_some() || !self.tasks.is_empty() || self.pending.busy()
    }

    /// Handles one event at device ms `now` (the wall clock, which may be set or jump) and
    /// monotonic ms `mono` (which never goes back, and which the timer of
    /// [`Client::poll_timeout`] counts).
    pub fn handle(&mut self, now: f64, mono: f64, input: Input<'_>) {
        if now.is_finite() {
            self.now = now;
        }
        if mono.is_finite() {
            self.mono = self.mono.max(mono);
        }
        let drift = self.now - self.mono;
        if self.drift.is_some_and(|d| (drift - d).abs() >= JUMP_MS) {
            // A sleep or a clock set: the timer's next look, planned by the old wall clock, is
            // due now (a device that slept refreshes on wake).
            self.reschedule = true;
        }
        self.drift = Some(drift);
        if self.st.disposed() {
            return self.after_dispose(input);
        }
        match input {
            Input::Start { id } => self.start(id),
            Input::Request {
                id,
                url,
                method,
                auth,
            } => self.request(id, url, method, auth),
            Input::Response {
                id,
                status,
                url,
                date,
                challenge,
                nonce,
                lease,
            } => self.response(id, status, url, date, challenge, nonce, lease),
            Input::Judged { id, rejects } => self.judged(id, rejects),
            Input::Gone { id } => {
                self.reqs.retain(|r| r.id != id);
                self.forget(id);
            }
            Input::Accepted { generation } => self.st.accepted(generation),
            Input::Dated { date } => self.st.observe_date(date, now),
            Input::Refreshed(reply) => self.refreshed(reply),
            Input::Loaded { io, value } => self.storage_done(io, Ok(value)),
            Input::Saved { io, ok } => self.storage_done(io, Err(ok)),
            Input::Locked {
                which: Lock::Revoke,
                granted,
                contended,
                ..
            } => self.revoke_locked(granted, contended),
            Input::Locked {
                which: Lock::Logout,
                granted,
                contended,
                ..
            } => self.logout_locked(granted, contended),
            Input::Locked {
                which,
                granted,
                contended,
                shared,
            } => self.locked(which, granted, contended, shared),
            Input::Timer => self.timer(),
            Input::Message(text) => self.message(text),
            Input::Login { id, tokens } => self.login(id, tokens),
            Input::Logout { id } => self.logout(id),
            Input::Revoked {
                id,
                status,
                nonce,
                body,
            } => self.revoked(id, status, nonce, body),
            Input::Key(key) => self.key_arrived(key),
            Input::Signed { io, signature } => self.signed(io, signature),
            Input::Proof {
                id,
                method,
                url,
                nonce,
            } => self.dpop_proof(id, method, url, nonce),
            Input::AccessToken { id } => self.access_token(id, true),
            Input::Refresh { id } => self.force_refresh(id),
            Input::AutoRefresh(on) => {
                self.auto = on.then_some(self.mono);
            }
            Input::Dispose => self.dispose(),
            Input::Online(online) => self.connectivity(online),
        }
        while !self.later.is_empty() {
            for (serial, outcome) in std::mem::take(&mut self.later) {
                self.resume(serial, outcome);
            }
        }
        if self.reschedule && self.auto.is_some() {
            self.auto = Some(self.mono);
        }
        self.reschedule = false;
        if self.auto.is_some_and(|at| self.mono >= at) {
            self.tick();
        }
        self.update_lease();
    }

    /// Once disposed, a client answers only what its shell still waits for: nothing.
    fn after_dispose(&mut self, input: Input<'_>) {
        if let Input::Locked {
            which,
            granted: true,
            ..
        } = input
        {
            self.emit(Effect::Unlock { which });
        }
    }

    /// `dispose()`: everything waiting is rejected with LOGGED_OUT (tokens are kept), the
    /// refresh call is aborted, locks are let go.
    fn dispose(&mut self) {
        let reqs = std::mem::take(&mut self.reqs);
        let waiters = std::mem::take(&mut self.waiters);
        let error = Error::new(
            Code::LoggedOut,
            "the client was disposed while this request was waiting",
        );
        self.drop_flight();
        self.drop_sending();
        for task in std::mem::take(&mut self.tasks) {
            for id in task.callers() {
                self.emit(Effect::Reject { id, error: gone() });
            }
        }
        self.st.dispose();
        for r in reqs {
            if r.waiting() {
                self.emit(Effect::Fail {
                    id: r.id,
                    error: error.clone(),
                });
            }
        }
        for w in waiters {
            self.emit(Effect::Reject {
                id: w.id(),
                error: error.clone(),
            });
        }
        self.auto = None;
    }

    /// Timers that came due.
    fn timer(&mut self) {
        if self
            .flight
            .as_ref()
            .and_then(Flight::wake_at)
            .is_some_and(|at| self.mono >= at)
        {
            self.flight_woke();
        }
        let due: Vec<u64> = self
            .tasks
            .iter()
            .filter(|t| t.wake_at().is_some_and(|at| self.mono >= at))
            .map(Task::serial)
            .collect();
        for serial in due {
            self.task_woke(serial);
        }
        self.kept_woke();
    }

    // Helpers for the other modules.

    pub(crate) fn emit(&mut self, effect: Effect) {
        // The last word on a request (a send without a header is its own answer).
        if let Effect::Deliver { id }
        | Effect::Fail { id, .. }
        | Effect::Pass { id }
        | Effect::Send {
            id, header: None, ..
        } = effect
        {
            self.forget(id);
        }
        self.out.push_back(effect);
    }

    /// Request `id` is over: its DPoP target goes.
    fn forget(&mut self, id: Id) {
        if let Some(d) = self.dpop.as_mut() {
            d.forget(id);
        }
    }

    pub(crate) fn dispatch(&mut self, action: Action) {
        if matches!(
            action,
            Action::Restored(_)
                | Action::LoggedIn(_)
                | Action::RefreshSucceeded { .. }
                | Action::RefreshFailed { .. }
        ) {
            self.reschedule = true;
        }
        self.emit(Effect::Dispatch(action));
    }

    pub(crate) fn io(&mut self) -> Io {
        let io = self.next_io;
        self.next_io = self.next_io.wrapping_add(1).max(1);
        io
    }

    pub(crate) fn serial(&mut self) -> u64 {
        self.next_serial += 1;
        self.next_serial
    }

    /// A number in `[0, 1)` (xorshift64*).
    pub(crate) fn random(&mut self) -> f64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Server time now, by the corrected clock.
    pub(crate) fn server_time(&self) -> f64 {
        self.st.clock().now(self.now)
    }

    /// The error for a request that finds no session any more.
    pub(crate) fn ended_error(&self) -> Error {
        if self.st.expired() {
            Error::new(Code::SessionExpired, "the session expired; log in again")
        } else {
            Error::new(
                Code::LoggedOut,
                "logged out while this request was in flight",
            )
        }
    }

    /// Hands the shell the lease that holds now, when it changed (see [`Lease`]).
    fn update_lease(&mut self) {
        let lease = self.current_lease();
        if lease != self.lease {
            self.lease = lease.clone();
            self.emit(Effect::Lease(lease));
        }
    }

    /// What waits for the work of `serial` goes on with `outcome` once this event's transition is
    /// complete.
    pub(crate) fn resume_later(&mut self, serial: u64, outcome: Result<(), Error>) {
        self.later.push((serial, outcome));
    }

    /// A lock granted that nothing wants any more is let go at once.
    pub(crate) fn release(&mut self, which: Lock) {
        self.emit(Effect::Unlock { which });
    }

    /// The API call `id` is answered with an error: the client was disposed meanwhile.
    pub(crate) fn reject(&mut self, id: Id, error: Error) {
        self.emit(Effect::Reject { id, error });
    }
}

/// How far the wall clock must move against the monotonic one between two events to count as a
/// jump (a sleep, or a clock set), ms.
const JUMP_MS: f64 = 1_000.0;

/// Whether others share the storage, before any lock said: assume so (the safe side).
fn config_shared() -> bool {
    true
}

/// The error for an API call the client cannot answer any more.
pub(crate) fn gone() -> Error {
    Error::new(
        Code::LoggedOut,
        "this client was disposed; create a new one",
    )
}
