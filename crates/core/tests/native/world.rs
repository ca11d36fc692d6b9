//! The fake world the native tests run the core in: a server that knows which tokens are valid,
//! storage, a clock, the record of what was sent, written and dispatched, and a seeded delay that
//! makes every network call and sleep take a random number of polls.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use authlane_core::error::Error;
use authlane_core::shared::Shared;

/// What the refresh endpoint does next.
#[derive(Clone, Copy, Debug)]
pub enum RefreshPlan {
    Rotate,
    Definitive,
    Transient,
    Garbage,
    /// No answer until the refresh timeout: a transient TIMEOUT after a long wait.
    Hang,
    /// OAuth 2.0 `invalid_client`: a configuration error.
    Misconfigured,
    /// The server rotates, but the answer is lost (a timeout after it rotated).
    Lost,
    /// The tab freezes during the call: no answer for longer than the lock timeout, then a
    /// timeout; the call never reached the server.
    Freeze,
}

pub struct Sent {
    pub request: usize,
    pub authorization: Option<String>,
    pub attempt: u8,
    pub url: String,
}

pub struct World {
    pub rng: u64,
    pub local_ms: f64,
    /// server time = local + skew
    pub skew_ms: f64,
    /// The API's responses carry `Date` (server time, to the second), as HTTP servers' do.
    pub sends_date: bool,
    pub ttl_ms: f64,
    pub next_token: u64,
    pub valid: HashMap<String, (f64, f64)>, // access -> (iat, exp), server ms, as the server judges
    pub issued: HashMap<String, (f64, f64)>, // what the token itself says
    /// While set, refresh calls wait for it: lets a test act while a refresh is in flight.
    pub gate: Option<Rc<Shared<()>>>,
    /// While set, storage writes wait for it (after landing): lets a test act while a login or
    /// a refresh is writing its tokens.
    pub storage_gate: Option<Rc<Shared<()>>>,
    /// The newest access token the client knows (the simulation's model of it).
    pub known: Option<String>,
    /// Bumped by the simulation's logins and logouts: a refresh from an older one is discarded.
    pub epoch: u64,
    /// Between a logout and the next login nothing may be written.
    pub logged_out: bool,
    /// Tokens may be removed only after a definitive failure or a logout.
    pub removal_allowed: bool,
    /// Invariants broken, as they happened.
    pub violations: Vec<String>,
    pub refresh_valid: Vec<String>,
    pub plans: VecDeque<RefreshPlan>,
    pub refresh_calls: usize,
    /// How often the client cancelled a refresh call in flight.
    pub refresh_cancels: usize,
    pub sent: Vec<Sent>,
    pub storage: HashMap<&'static str, String>,
    pub storage_fails: bool,
    pub writes_after: Vec<&'static str>,
    pub actions: Vec<String>,
    pub aborts: HashMap<usize, Rc<Shared<Error>>>,
    /// Refresh calls in flight, by the session (epoch) that made them: a logout or login
    /// abandons the call in flight, and the next session may start its own.
    pub inflight_refresh: HashMap<u64, usize>,
    pub max_inflight_refresh: usize,
    /// Tokens carry `iat` and `exp` in whole seconds, as real JWTs do.
    pub whole_second_iat: bool,
    /// How long a refresh's answer takes to come back after the server issued its tokens.
    pub refresh_latency_ms: f64,
    /// Refresh tokens that rotation replaced: presenting one again revokes the whole family.
    pub spent_refresh: Vec<String>,
    /// How often a spent refresh token came back (each revoked the family).
    pub reuses: usize,
    /// Requests the server refused because their token had expired by its clock.
    pub expired_seen: usize,
    /// Revocation calls.
    pub revocations: usize,
    /// The HttpOnly cookie's refresh token (cookie mode): used when the client sends none.
    pub cookie: Option<String>,
    /// The client runs in cookie mode: its refresh token key must never be touched.
    pub cookie_mode: bool,
    /// Tabs: the cross-tab lock exists (`None`: every `lock()` answers at once with none).
    pub lock: Option<Lock>,
    /// Messages tabs broadcast, not yet delivered: `(from tab, message)`.
    pub mailbox: Vec<(usize, authlane_core::env::Broadcast)>,
    /// Every refresh call must present the refresh token that storage holds.
    pub check_presented: bool,
    /// The API refuses every token (a missing scope, a wrong audience), with this challenge.
    pub api_refuses: Option<Option<String>>,
    /// The client's corrected clock (server time as it believes it), when a test checks sends
    /// against it.
    pub corrected_now: Option<Rc<dyn Fn() -> f64>>,
}

pub type W = Rc<RefCell<World>>;

pub fn world(seed: u64) -> W {
    Rc::new(RefCell::new(World {
        rng: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
        local_ms: 1_700_000_000_000.0,
        skew_ms: 0.0,
        sends_date: false,
        ttl_ms: 900_000.0,
        next_token: 0,
        valid: HashMap::new(),
        issued: HashMap::new(),
        gate: None,
        storage_gate: None,
        known: None,
        epoch: 0,
        logged_out: false,
        removal_allowed: false,
        violations: Vec::new(),
        refresh_valid: Vec::new(),
        plans: VecDeque::new(),
        refresh_calls: 0,
        refresh_cancels: 0,
        sent: Vec::new(),
        storage: HashMap::new(),
        storage_fails: false,
        writes_after: Vec::new(),
        actions: Vec::new(),
        aborts: HashMap::new(),
        inflight_refresh: HashMap::new(),
        max_inflight_refresh: 0,
        whole_second_iat: false,
        refresh_latency_ms: 0.0,
        spent_refresh: Vec::new(),
        reuses: 0,
        expired_seen: 0,
        corrected_now: None,
        revocations: 0,
        cookie: None,
        cookie_mode: false,
        lock: None,
        mailbox: Vec::new(),
        check_presented: false,
        api_refuses: None,
    }))
}

impl World {
    pub fn rand(&mut self, n: u64) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng % n.max(1)
    }
    pub fn server_now(&self) -> f64 {
        self.local_ms + self.skew_ms
    }
    /// Issues an access token living `ttl_ms` from server time now (negative: already expired).
    pub fn issue_access(&mut self, ttl_ms: f64) -> String {
        self.issue_access_aged(0.0, ttl_ms)
    }
    /// Issues an access token that was issued `age_ms` ago (server time) and lives `ttl_ms`
    /// from then: what an app finds in storage when it starts again.
    pub fn issue_access_aged(&mut self, age_ms: f64, ttl_ms: f64) -> String {
        self.next_token += 1;
        let t = format!("acc{}", self.next_token);
        let mut iat = self.server_now() - age_ms;
        if self.whole_second_iat {
            iat = (iat / 1_000.0).floor() * 1_000.0;
        }
        self.valid.insert(t.clone(), (iat, iat + ttl_ms));
        self.issued.insert(t.clone(), (iat, iat + ttl_ms));
        t
    }
    pub fn issue_refresh(&mut self) -> String {
        self.next_token += 1;
        let t = format!("ref{}", self.next_token);
        self.refresh_valid.push(t.clone());
        t
    }
    pub fn revoke_all_access(&mut self) {
        self.valid.values_mut().for_each(|v| v.1 = f64::MIN);
    }
    /// Holds every refresh call until the returned gate is completed.
    pub fn close_gate(&mut self) -> Rc<Shared<()>> {
        let gate = Shared::new();
        self.gate = Some(gate.clone());
        gate
    }
    pub fn refresh_count(&self) -> usize {
        self.refresh_calls
    }
    pub fn has_action(&self, a: &str) -> usize {
        self.actions.iter().filter(|x| x.starts_with(a)).count()
    }
}

/// The cross-tab lock: who holds it, and how many polls a waiter waits before giving up (a
/// frozen holder must not block the others).
pub struct Lock {
    pub held_by: Option<usize>,
    /// The second lock, which tabs that waited for the first one in vain take (js/client.js
    /// `takeLocks`): so that they do not refresh all at once while a frozen tab holds the first.
    pub fallback_held_by: Option<usize>,
    pub timeout_polls: u64,
}

/// Pending for exactly `polls` polls, advancing the fake clock 1 ms each (a frozen tab).
pub(crate) fn frozen(world: &W, polls: u64) -> Delay {
    Delay {
        world: world.clone(),
        left: polls,
    }
}

/// Pending for a seeded number of polls; advances the fake clock a little each time.
pub(crate) struct Delay {
    world: W,
    left: u64,
}

impl Future for Delay {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.left == 0 {
            return Poll::Ready(());
        }
        self.left -= 1;
        self.world.borrow_mut().local_ms += 1.0;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

pub(crate) fn delay(world: &W, max_polls: u64) -> Delay {
    let left = world.borrow_mut().rand(max_polls + 1);
    Delay {
        world: world.clone(),
        left,
    }
}
