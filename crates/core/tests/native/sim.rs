//! The driver: clients (one per tab) on a virtual clock, fed the way the JS shell feeds them
//! (js/runner.js, js/client.js): each event with the device time, the effects performed in order
//! (`shell.rs`), what comes of them fed back later. Every network call, storage operation, lock
//! grant and message takes a seeded random delay, so each seed is an interleaving, replayable. A
//! client is handed `Input::Timer` when its `poll_timeout()` comes due.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use authlane_core::action::Shown;
use authlane_core::config::Config;
use authlane_core::effect::{Answer, Id, Lease};
use authlane_core::error::{Code, Error};
use authlane_core::input::Input;
use authlane_core::Client;

use super::locks::Locks;
use super::shell::{Leased, Req};
use super::world::World;

/// What a request came to, for its caller.
#[derive(Clone, Debug, PartialEq)]
pub enum Got {
    /// The response, by its status.
    Status(u16),
    /// Rejected with an error of the core.
    Failed(Error),
    /// The caller's signal aborted it (an `AbortError`).
    Aborted,
}

impl Got {
    pub fn status(&self) -> Option<u16> {
        match self {
            Got::Status(s) => Some(*s),
            _ => None,
        }
    }
    pub fn code(&self) -> Option<Code> {
        match self {
            Got::Failed(e) => Some(e.code()),
            _ => None,
        }
    }
}

/// One tab: a client and the shell's state around it.
pub struct Tab {
    pub client: Client,
    /// The device's wall clock minus the world's, ms. The world's clock is the tabs' monotonic
    /// clock (what timers count).
    pub offset_ms: f64,
    pub disposed: bool,
    next_id: Id,
    pub(super) reqs: BTreeMap<Id, Req>,
    /// Settled requests.
    pub results: BTreeMap<Id, Got>,
    /// Settled API calls.
    pub answers: BTreeMap<Id, Result<Answer, Error>>,
    pub(super) lease: Option<Rc<RefCell<Leased>>>,
    /// Every lease the core handed out, in order.
    pub leases: Vec<Option<Lease>>,
    /// When the core wants `Input::Timer` (world ms: monotonic), and whether it is busy
    /// meanwhile.
    timer: Option<f64>,
    busy: bool,
    /// The refresh call in flight: its number in `World::calls`.
    pub(super) calling: Option<usize>,
}

impl Tab {
    /// The lease the shell holds now.
    pub fn lease(&self) -> Option<Lease> {
        self.lease.as_ref().map(|l| l.borrow().lease.clone())
    }
}

/// The world time at which the tabs' monotonic clock reads 0 (as `performance.now()` counts from
/// a page's start): far from any wall clock, so that a deadline measured on the wrong clock shows.
const MONO_ORIGIN: f64 = 1_600_000_000_000.0;

/// Something to do at a time.
type Event = Box<dyn FnOnce(&mut Sim)>;

pub struct Sim {
    pub w: World,
    pub tabs: Vec<Tab>,
    seed: u64,
    queue: BTreeMap<(u64, u64), Event>,
    seq: u64,
    pub(super) locks: Locks,
    /// Refresh calls waiting at the closed gate (`World::gate`): (tab, call).
    pub(super) parked: Vec<(usize, usize)>,
    /// Write completions waiting at the closed storage gate (`World::storage_gate`).
    pub(super) parked_writes: Vec<Event>,
    /// While true, messages go to `mailbox` instead of the other tabs.
    pub hold_messages: bool,
    /// Messages held: (from, to, text).
    pub mailbox: Vec<(usize, usize, String)>,
}

fn gone() -> Error {
    Error::new(
        Code::LoggedOut,
        "this client was disposed; create a new one",
    )
}

impl Sim {
    pub fn new(seed: u64) -> Sim {
        Sim {
            w: World::new(seed),
            tabs: Vec::new(),
            seed,
            queue: BTreeMap::new(),
            seq: 0,
            locks: Locks::default(),
            parked: Vec::new(),
            parked_writes: Vec::new(),
            hold_messages: false,
            mailbox: Vec::new(),
        }
    }

    /// Opens a tab: a client with `config` that reads storage (`createAuthClient`); returns it.
    pub fn open(&mut self, config: Config) -> usize {
        let tab = self.tabs.len();
        let seed = self.seed.wrapping_mul(31).wrapping_add(tab as u64);
        self.tabs.push(Tab {
            client: Client::new(config, seed),
            offset_ms: 0.0,
            disposed: false,
            next_id: 1,
            reqs: BTreeMap::new(),
            results: BTreeMap::new(),
            answers: BTreeMap::new(),
            lease: None,
            leases: Vec::new(),
            timer: None,
            busy: false,
            calling: None,
        });
        let id = self.call(tab, |id| Input::Start { id });
        self.run();
        match self.answer(tab, id) {
            Some(Ok(_)) => tab,
            other => panic!("createAuthClient: {other:?}"),
        }
    }

    /// The device time of `tab`.
    pub fn device_now(&self, tab: usize) -> f64 {
        self.w.now + self.tabs[tab].offset_ms
    }

    pub fn session(&self, tab: usize) -> Shown {
        self.tabs[tab].client.session()
    }

    pub(super) fn next_id(&mut self, tab: usize) -> Id {
        let t = &mut self.tabs[tab];
        t.next_id += 1;
        t.next_id - 1
    }

    // The API, as js/client.js offers it.

    /// An API call: `input(id)` fed to the core, which settles it (`answer`). After `dispose()`
    /// the shell rejects it itself, as js/client.js does.
    pub fn call(&mut self, tab: usize, input: impl FnOnce(Id) -> Input<'static>) -> Id {
        let id = self.next_id(tab);
        match self.tabs[tab].disposed {
            true => drop(self.tabs[tab].answers.insert(id, Err(gone()))),
            false => self.feed(tab, input(id)),
        }
        id
    }

    /// `login({ accessToken, refreshToken })`.
    pub fn login(&mut self, tab: usize, access: &str, refresh: Option<&str>) -> Id {
        if let Some(r) = refresh {
            self.w.pairs.insert(access.to_string(), r.to_string());
        }
        let text = match refresh {
            Some(r) => format!(r#"{{"accessToken":"{access}","refreshToken":"{r}"}}"#),
            None => format!(r#"{{"accessToken":"{access}"}}"#),
        };
        let id = self.next_id(tab);
        self.feed(tab, Input::Login { id, tokens: &text });
        id
    }

    pub fn logout(&mut self, tab: usize) -> Id {
        self.call(tab, |id| Input::Logout { id })
    }

    pub fn access_token(&mut self, tab: usize) -> Id {
        self.call(tab, |id| Input::AccessToken { id })
    }

    pub fn refresh(&mut self, tab: usize) -> Id {
        self.call(tab, |id| Input::Refresh { id })
    }

    /// The shell's `connectivity` says the device is online (or not).
    pub fn online(&mut self, tab: usize, online: bool) {
        self.feed(tab, Input::Online(online));
    }

    pub fn auto_refresh(&mut self, tab: usize, on: bool) {
        self.feed(tab, Input::AutoRefresh(on));
    }

    /// `dispose()`: the core hears it, then the shell lets go of its locks and stops listening.
    pub fn dispose(&mut self, tab: usize) {
        self.feed(tab, Input::Dispose);
        self.tabs[tab].disposed = true;
        self.unlock_all(tab);
    }

    /// What API call `id` settled with, if it did.
    pub fn answer(&self, tab: usize, id: Id) -> Option<Result<Answer, Error>> {
        self.tabs[tab].answers.get(&id).cloned()
    }

    /// What request `id` came to, if it settled.
    pub fn result(&self, tab: usize, id: Id) -> Option<Got> {
        self.tabs[tab].results.get(&id).cloned()
    }

    /// `client.fetch(url)` (see `shell.rs`); after `dispose()` the shell rejects it itself.
    pub fn fetch(&mut self, tab: usize, url: &str) -> Id {
        let id = self.next_id(tab);
        match self.tabs[tab].disposed {
            true => drop(self.tabs[tab].results.insert(id, Got::Failed(gone()))),
            false => self.start_request(tab, id, url),
        }
        id
    }

    /// Fires `n` requests to `url` from `tab` at once, runs until nothing is left to do, returns
    /// each one's result.
    pub fn burst_on(&mut self, tab: usize, n: usize, url: &str) -> Vec<(Id, Got)> {
        let ids: Vec<Id> = (0..n).map(|_| self.fetch(tab, url)).collect();
        self.run();
        ids.into_iter()
            .map(|id| match self.result(tab, id) {
                Some(got) => (id, got),
                None => panic!("request {id} of tab {tab} never settled"),
            })
            .collect()
    }

    /// Delivers the messages held in the mailbox.
    pub fn deliver_messages(&mut self) {
        for (_, to, text) in std::mem::take(&mut self.mailbox) {
            self.feed(to, Input::Message(&text));
        }
    }

    /// Lets the refresh calls waiting at the closed gate reach the endpoint.
    pub fn release_calls(&mut self) {
        for (tab, n) in std::mem::take(&mut self.parked) {
            self.arrive(tab, n);
        }
    }

    /// Lets the writes waiting at the closed storage gate complete.
    pub fn release_writes(&mut self) {
        for done in std::mem::take(&mut self.parked_writes) {
            self.at(0.0, done);
        }
    }

    // Time.

    /// Does `event` `delay` ms from now.
    pub(super) fn at(&mut self, delay: f64, event: Event) {
        let at = self.w.now + delay.max(0.0);
        self.seq += 1;
        self.queue.insert((at.to_bits(), self.seq), event);
    }

    /// Does `event` after a seeded delay.
    pub(super) fn later(&mut self, event: Event) {
        let delay = self.w.delay();
        self.at(delay, event);
    }

    /// The next thing due: a queued event, or a tab's timer. With `busy_only`, a timer counts as
    /// something to wait for only when its tab has work in progress.
    fn next(&self, busy_only: bool) -> Option<(f64, Option<usize>)> {
        let queued = self.queue.keys().next().map(|(t, _)| f64::from_bits(*t));
        let timer = self
            .tabs
            .iter()
            .enumerate()
            .filter(|(_, t)| !t.disposed)
            .filter_map(|(i, t)| t.timer.map(|at| (at, i, t.busy)))
            .min_by(|a, b| a.0.total_cmp(&b.0));
        match (queued, timer) {
            (Some(q), Some((at, tab, _))) if at < q => Some((at, Some(tab))),
            (Some(q), _) => Some((q, None)),
            (None, Some((at, tab, busy))) if busy || !busy_only => Some((at, Some(tab))),
            (None, _) => None,
        }
    }

    fn step(&mut self, at: f64, timer: Option<usize>) {
        self.w.now = self.w.now.max(at);
        match timer {
            Some(tab) => {
                self.tabs[tab].timer = None;
                self.feed(tab, Input::Timer);
            }
            None => {
                if let Some((_, event)) = self.queue.pop_first() {
                    event(self);
                }
            }
        }
    }

    /// Runs until nothing is left to do: no event queued, and no timer of a tab with work in
    /// progress (the auto-refresh timer alone does not keep it running, as it does not keep a
    /// Node process alive).
    pub fn run(&mut self) {
        for _ in 0..1_000_000 {
            match self.next(true) {
                Some((at, timer)) => self.step(at, timer),
                None => return,
            }
        }
        panic!("the world never came to rest");
    }

    /// Runs everything due until world time `until`, timers included; the clock ends there.
    pub fn run_until(&mut self, until: f64) {
        for _ in 0..1_000_000 {
            match self.next(false) {
                Some((at, timer)) if at <= until => self.step(at, timer),
                _ => {
                    self.w.now = self.w.now.max(until);
                    return;
                }
            }
        }
        panic!("the world never came to rest");
    }

    /// Does the next thing due (as [`Sim::run`] does, one at a time); false when nothing is.
    pub fn step_next(&mut self) -> bool {
        match self.next(true) {
            Some((at, timer)) => {
                self.step(at, timer);
                true
            }
            None => false,
        }
    }

    /// No event is queued (what is left are the tabs' timers).
    pub fn quiet(&self) -> bool {
        self.queue.is_empty()
    }

    /// Lets `ms` of world time pass.
    pub fn advance(&mut self, ms: f64) {
        let until = self.w.now + ms;
        self.run_until(until);
    }

    /// The device sleeps `ms`: every wall clock (the tabs' and the server's) jumps, the monotonic
    /// clock does not (it does not count a sleep on Linux and macOS), and nothing runs meanwhile.
    pub fn sleep(&mut self, ms: f64) {
        for t in &mut self.tabs {
            t.offset_ms += ms;
        }
        self.w.skew_ms += ms;
    }

    /// Hands `tab`'s core one event and performs its effects (js/runner.js `feed`).
    pub(super) fn feed(&mut self, tab: usize, input: Input<'_>) {
        if self.tabs[tab].disposed {
            return;
        }
        let (now, mono) = (self.device_now(tab), self.w.now - MONO_ORIGIN);
        self.tabs[tab].client.handle(now, mono, input);
        while let Some(effect) = self.tabs[tab].client.poll() {
            self.perform(tab, effect);
        }
        // As js/runner.js sets its timer: whole ms from now, rounded up.
        let t = &mut self.tabs[tab];
        t.timer = t
            .client
            .poll_timeout()
            .map(|at| self.w.now + (at - mono).max(0.0).ceil());
        t.busy = t.client.busy();
    }
}
