//! The single-flight refresh: at most one refresh call per client, whatever asks for it
//! (requests before sending, rejected requests, `refresh()`, the timer), and across the clients
//! and tabs sharing the storage one at a time. Everything that waits for it waits for its serial
//! number; when it ends, they go on ([`Client::resume`]).
//!
//! Its way: `refreshStarted`; the refresh lock (with `crossTab`: what storage held before asking,
//! and after a wait for another tab, until that tab's write arrives); per attempt, with
//! `crossTab`, the call lock likewise (or, when the wait for it timed out, the fallback lock: a
//! frozen tab may hold both others); storage read again when others share it (another client
//! or tab may have refreshed: its tokens are taken instead of spending the refresh token again);
//! the call; its outcome: retried after a backoff, or written, or ending the session; the locks
//! let go. Also the auto-refresh timer ([`Client::tick`]).

use crate::action::{pair_fingerprint, Action, Answered, EndReason, Message, Reason};
use crate::client::Client;
use crate::effect::{Call, Effect, Io, Lock, Slot};
use crate::error::{cat, Code, Error};
use crate::input::{Reply, Stored};
use crate::keys::Signing;
use crate::offline::offline_error;
use crate::policy::{backoff_ms, Lifetime};
use crate::reply::{classify, Outcome, TokenSet};
use crate::session::Arrival;
use crate::storage::{usable, Read, Remove, Write};
use crate::tabs::FOLLOW_MS;

/// How long a tab that waited for another tab's lock waits for that tab's write to reach it
/// (browsers share localStorage between tabs' processes asynchronously).
pub const SETTLE_MS: f64 = 250.0;

/// How long a refreshing tab waits for a pair it found in storage, which no message announced,
/// to stay as it is before taking it as a pair: another tab's write in progress (a tab writes
/// the refresh token first) may show a new refresh token next to an older access token.
pub const MID_WRITE_MS: f64 = 250.0;

/// How often storage is read while waiting for another tab's write.
pub const POLL_MS: f64 = 20.0;

/// Why storage is read during a refresh.
#[derive(Clone, Debug, PartialEq)]
enum Purpose {
    /// Before a call: another client or tab may have refreshed.
    BeforeCall,
    /// The refresh token was refused: another tab may have rotated it meanwhile.
    AfterRefusal(Error, Answered),
}

#[derive(Debug)]
enum Stage {
    /// Reading the access token before asking for `lock`.
    PreRead { io: Io, lock: Lock },
    /// Waiting for `lock`.
    Locking { lock: Lock, seen: Option<String> },
    /// After a wait for another tab's `lock`: reading storage until it holds something other
    /// than `seen` (that tab's write), or `until`; the next read at `next`.
    Settling {
        lock: Lock,
        seen: Option<String>,
        until: f64,
        next: f64,
        io: Option<Io>,
    },
    /// Reading the pair.
    Reading { read: Read, purpose: Purpose },
    /// Storage held another pair than ours, which may be half written, or news from another tab
    /// is on its way: read again at `at`.
    Waiting { at: f64, purpose: Purpose },
    /// Waiting for the DPoP key (being made anew after a logout) before the call.
    WaitKey,
    /// The call's DPoP proof is being signed.
    #[cfg_attr(not(feature = "dpop"), allow(dead_code))]
    Signing(Call),
    /// The call is out.
    Calling,
    /// Waiting before the next attempt.
    Backoff { until: f64 },
    /// Writing the new tokens.
    Writing { write: Write, rotated: bool },
    /// The refresh token was refused: removing the tokens.
    Removing {
        remove: Remove,
        error: Error,
        announce: bool,
    },
}

/// The refresh in flight.
#[derive(Debug)]
pub(crate) struct Flight {
    pub serial: u64,
    /// The generation of the token it was started for.
    generation: u64,
    reason: Reason,
    /// Why the session ends if the refresh token is refused.
    end: EndReason,
    /// Calls made.
    attempts: u32,
    /// The refresh token the last call presented.
    token: Option<String>,
    /// The last call was already sent again with the token endpoint's DPoP nonce.
    nonce_sent: bool,
    /// A pair storage held that no message announced (its fingerprint), and since when
    /// (monotonic ms) every read found it: taken once that is [`MID_WRITE_MS`].
    unsure: Option<(u64, f64)>,
    /// Until when (monotonic ms) it waits for other tabs' news before calling; set when it
    /// first waits.
    news_until: Option<f64>,
    /// Locks held or asked for.
    refresh_lock: bool,
    call_lock: bool,
    fallback_lock: bool,
    /// The call lock was contended (while the fallback lock is passed after it).
    call_contended: bool,
    stage: Stage,
}

impl Flight {
    /// When the flight wants to be called back.
    pub fn wake_at(&self) -> Option<f64> {
        match &self.stage {
            Stage::Settling { next, io: None, .. } => Some(*next),
            Stage::Waiting { at, .. } => Some(*at),
            Stage::Backoff { until } => Some(*until),
            _ => None,
        }
    }

    /// Whether it waits for storage operation `io`.
    fn owns(&self, io: Io) -> bool {
        match &self.stage {
            Stage::PreRead { io: i, .. } | Stage::Settling { io: Some(i), .. } => *i == io,
            Stage::Reading { read, .. } => read.io == io,
            Stage::Writing { write, .. } => write.io == io,
            Stage::Removing { remove, .. } => remove.io == io,
            _ => false,
        }
    }

    /// It is writing its own tokens (storage may hold half of them).
    pub fn writing(&self) -> bool {
        matches!(self.stage, Stage::Writing { .. })
    }

    /// Its call is out.
    pub fn calling(&self) -> bool {
        matches!(self.stage, Stage::Calling)
    }

    /// Whether it holds (or asked for) `lock`.
    fn holds(&mut self, lock: Lock) -> &mut bool {
        match lock {
            Lock::Refresh => &mut self.refresh_lock,
            // The revoke and logout locks are never a flight's (offline.rs, logout.rs).
            Lock::Call | Lock::Revoke | Lock::Logout => &mut self.call_lock,
            Lock::Fallback => &mut self.fallback_lock,
        }
    }
}

impl Client {
    /// Joins the refresh in flight or starts one; returns its serial. Offline none starts: the
    /// error is what the caller fails with.
    pub(crate) fn join_or_start(&mut self, reason: Reason) -> Result<u64, Error> {
        if let Some(f) = &self.flight {
            return Ok(f.serial);
        }
        if !self.online {
            return Err(offline_error());
        }
        let serial = self.serial();
        self.flight = Some(Flight {
            serial,
            generation: self.st.generation(),
            reason,
            end: EndReason::RefreshRejected,
            attempts: 0,
            token: None,
            nonce_sent: false,
            unsure: None,
            news_until: None,
            refresh_lock: false,
            call_lock: false,
            fallback_lock: false,
            call_contended: false,
            stage: Stage::Calling,
        });
        self.dispatch(Action::RefreshStarted(reason));
        self.ask_lock(Lock::Refresh);
        Ok(serial)
    }

    /// The device went offline: a refresh waiting to retry ends now (no retry is burnt offline);
    /// one whose call is out ends with its answer; one not yet calling ends at its call.
    pub(crate) fn offline_flight(&mut self) {
        if matches!(
            self.flight.as_ref().map(|f| &f.stage),
            Some(Stage::Backoff { .. })
        ) {
            self.failed(offline_error(), true, Answered::default());
        }
    }

    fn set_stage(&mut self, stage: Stage) {
        if let Some(f) = self.flight.as_mut() {
            f.stage = stage;
        }
    }

    /// Asks for `lock` (with `crossTab`, after noting what storage holds).
    fn ask_lock(&mut self, lock: Lock) {
        if let Some(f) = self.flight.as_mut() {
            *f.holds(lock) = true;
        }
        if self.config.cross_tab {
            let io = self.io();
            self.emit(Effect::Load {
                io,
                slot: Slot::Access,
            });
            return self.set_stage(Stage::PreRead { io, lock });
        }
        self.set_stage(Stage::Locking { lock, seen: None });
        let timeout_ms = self.config.lock_timeout_ms;
        self.emit(Effect::Lock {
            which: lock,
            timeout_ms,
        });
    }

    /// The shell's answer to a lock asked for.
    pub(crate) fn locked(&mut self, which: Lock, granted: bool, contended: bool, shared: bool) {
        if which == Lock::Refresh {
            self.shared = shared || self.config.cross_tab;
        }
        let Some(f) = self.flight.as_mut() else {
            if granted {
                self.release(which);
            }
            return;
        };
        let seen = match &mut f.stage {
            Stage::Locking { lock, seen } if *lock == which => seen.take(),
            _ => {
                if granted {
                    self.release(which);
                }
                return;
            }
        };
        if !granted {
            // The wait timed out (a frozen tab holds it) or there is no such lock here: go on
            // without it, reading storage before every call.
            *f.holds(which) = false;
            // A frozen tab may hold the call lock too: the tabs that waited for it in vain take
            // turns on the fallback lock, or they would all call at once with the same token.
            if which == Lock::Call && self.config.cross_tab {
                return self.ask_lock(Lock::Fallback);
            }
        }
        // Holding the call lock, a tab passes the fallback lock too (asks for it, and lets go at
        // once): a tab that waited in vain for the call lock (a frozen tab held it) and took
        // the fallback may be calling with the same token (the simulation's tabs seed 3304).
        if granted && which == Lock::Call && self.config.cross_tab {
            f.call_contended = contended;
            return self.ask_lock(Lock::Fallback);
        }
        let mut contended = contended;
        if which == Lock::Fallback && f.call_lock {
            contended = std::mem::take(&mut f.call_contended) || (granted && contended);
            if std::mem::take(&mut f.fallback_lock) {
                self.release(Lock::Fallback);
            }
        }
        let Some(f) = self.flight.as_mut() else {
            return;
        };
        if (granted || which == Lock::Fallback) && contended && self.config.cross_tab {
            f.stage = Stage::Settling {
                lock: which,
                seen,
                until: self.mono + SETTLE_MS,
                next: self.mono,
                io: None,
            };
            return self.settle_read();
        }
        self.after_lock(which);
    }

    fn after_lock(&mut self, which: Lock) {
        match (which, self.config.cross_tab) {
            (Lock::Refresh, true) => self.ask_lock(Lock::Call),
            _ => self.attempt(),
        }
    }

    /// Reads the access token while settling after a contended lock.
    fn settle_read(&mut self) {
        let io = self.io();
        if let Some(Flight {
            stage: Stage::Settling { io: slot, .. },
            ..
        }) = self.flight.as_mut()
        {
            *slot = Some(io);
            self.emit(Effect::Load {
                io,
                slot: Slot::Access,
            });
        }
    }

    /// One attempt: storage read first when others share it, then the call.
    fn attempt(&mut self) {
        if !self.shared {
            return self.go_on(Purpose::BeforeCall);
        }
        let read = Read::start(self);
        self.set_stage(Stage::Reading {
            read,
            purpose: Purpose::BeforeCall,
        });
    }

    /// The flight's timer came due.
    pub(crate) fn flight_woke(&mut self) {
        let Some(f) = self.flight.as_mut() else {
            return;
        };
        match std::mem::replace(&mut f.stage, Stage::Calling) {
            Stage::Settling {
                lock,
                seen,
                until,
                next,
                io: None,
            } => {
                f.stage = Stage::Settling {
                    lock,
                    seen,
                    until,
                    next,
                    io: None,
                };
                self.settle_read();
            }
            Stage::Waiting { purpose, .. } => {
                let read = Read::start(self);
                self.set_stage(Stage::Reading { read, purpose });
            }
            Stage::Backoff { .. } => match self.config.cross_tab {
                true => self.ask_lock(Lock::Call),
                false => self.attempt(),
            },
            other => f.stage = other,
        }
    }

    /// A storage operation ended; true when it was the flight's.
    pub(crate) fn flight_storage(
        &mut self,
        io: Io,
        result: Result<Option<Stored<'_>>, bool>,
    ) -> bool {
        let Some(f) = self.flight.as_mut() else {
            return false;
        };
        if !f.owns(io) {
            return false;
        }
        let stage = std::mem::replace(&mut f.stage, Stage::Calling);
        match (stage, result) {
            (Stage::PreRead { lock, .. }, Ok(value)) => {
                f.stage = Stage::Locking {
                    lock,
                    seen: usable(value),
                };
                let timeout_ms = self.config.lock_timeout_ms;
                self.emit(Effect::Lock {
                    which: lock,
                    timeout_ms,
                });
            }
            (
                Stage::Settling {
                    lock, seen, until, ..
                },
                Ok(value),
            ) => {
                if usable(value) != seen || self.mono >= until {
                    self.after_lock(lock);
                } else {
                    f.stage = Stage::Settling {
                        lock,
                        seen,
                        until,
                        next: (self.mono + POLL_MS).min(until),
                        io: None,
                    };
                }
            }
            (Stage::Reading { mut read, purpose }, Ok(value)) => match read.feed(self, value) {
                None => self.set_stage(Stage::Reading { read, purpose }),
                Some(pair) => self.stored(pair, purpose),
            },
            (Stage::Writing { mut write, rotated }, Err(ok)) => match write.feed(self, ok) {
                None => self.set_stage(Stage::Writing { write, rotated }),
                Some(written) => self.written(written, rotated),
            },
            (
                Stage::Removing {
                    mut remove,
                    error,
                    announce,
                },
                Err(ok),
            ) => {
                match remove.feed(self, ok) {
                    None => self.set_stage(Stage::Removing {
                        remove,
                        error,
                        announce,
                    }),
                    // Removal failures leave nothing usable in memory; the next start cleans up.
                    Some(_) => {
                        let reason = self
                            .flight
                            .as_ref()
                            .map_or(EndReason::RefreshRejected, |f| f.end);
                        if announce {
                            self.emit(Effect::Post(Message::SessionExpired(self.ended).text()));
                            self.dispatch(Action::SessionExpired(reason));
                        }
                        self.new_key();
                        self.end_flight(Err(error));
                    }
                }
            }
            (stage, _) => f.stage = stage,
        }
        true
    }

    /// What storage holds, read during the refresh. This tab may be behind: another tab's pair
    /// is taken (as the pair it is: a message announced it, or it stayed for [`MID_WRITE_MS`]),
    /// instead of calling when its access token is fresh, and to refresh with its refresh token
    /// otherwise; a newer refresh token next to our access token is another tab's write in
    /// progress, waited for (briefly: its access token comes next). Nothing is presented while
    /// news from another tab is on its way (for up to [`FOLLOW_MS`]: it may say that rotation
    /// spent our refresh token), nor when storage holds no session any more (another tab ended
    /// it: its message ends it here; failing that, it ends as that tab's logout).
    fn stored(&mut self, (access, refresh): (Option<String>, Option<String>), purpose: Purpose) {
        // Tokens that storage refused are newer than what it holds, and while this client
        // writes its own, storage may hold half of them.
        if self.st.unsaved() || self.writing() {
            return self.go_on(purpose);
        }
        let now = self.mono;
        let ours = (self.st.access(), self.st.refresh());
        let pair = (access.as_ref(), refresh.as_ref());
        let fp = access
            .as_deref()
            .map(|a| pair_fingerprint(a, refresh.as_deref()));
        let waited_out = self
            .flight
            .as_ref()
            .and_then(|f| f.news_until)
            .is_some_and(|until| now >= until);
        if pair == ours {
            if let Some(f) = self.flight.as_mut() {
                f.unsure = None;
            }
            if self.news_pending() && !waited_out {
                return self.wait(purpose, true);
            }
            return self.go_on(purpose);
        }
        let (Some(access), Some(fp)) = (access, fp) else {
            // No access token stored, and this tab holds one: another tab removed the session.
            if ours.0.is_none() {
                return self.go_on(purpose);
            }
            if !waited_out {
                return self.wait(purpose, true);
            }
            return match purpose {
                Purpose::BeforeCall => {
                    let error = Error::new(Code::LoggedOut, "logged out in another tab");
                    self.end_session(false, Some(error));
                    self.dispatch(Action::LoggedOut);
                }
                Purpose::AfterRefusal(..) => self.go_on(purpose),
            };
        };
        // Another pair: taken once it is surely whole.
        let announced = self.announced(fp);
        let stable = match self.flight.as_mut() {
            Some(f) => match f.unsure {
                Some((seen, since)) if seen == fp => now - since >= MID_WRITE_MS,
                _ => {
                    f.unsure = Some((fp, now));
                    false
                }
            },
            None => return,
        };
        if !announced && !stable {
            return self.wait(purpose, false);
        }
        if let Some(f) = self.flight.as_mut() {
            f.unsure = None;
        }
        if ours.0 == Some(&access) {
            // Only the refresh token is new, and its access token never came: the refresh token
            // storage holds is the live one.
            self.st.set_refresh(refresh);
            return self.go_on(purpose);
        }
        let info = crate::jwt::inspect(&access);
        let lifetime = Lifetime {
            expires_at: info.expires_at,
            issued_at: info.issued_at,
            arrived_at: None,
        };
        let fresh = !lifetime.expiring(self.server_time(), self.config.leeway_ms);
        let login = self.announced_login(fp);
        self.adopt_pair(&access, refresh, login);
        if fresh {
            return self.end_flight(Ok(()));
        }
        // Another tab announced a pair newer still: its rotation may have spent this refresh
        // token (the simulation's tabs seed 3561).
        if self.news_pending_besides(fp) && !waited_out {
            return self.wait(purpose, true);
        }
        // Its access token is due too: the refresh goes on, with the refresh token issued with it.
        self.go_on(purpose)
    }

    /// Reads storage again in a moment; `news`: waiting for another tab's news, for up to
    /// [`FOLLOW_MS`] from the first such wait.
    fn wait(&mut self, purpose: Purpose, news: bool) {
        let now = self.mono;
        if let Some(f) = self.flight.as_mut() {
            if news {
                f.news_until.get_or_insert(now + FOLLOW_MS);
            }
            f.stage = Stage::Waiting {
                at: now + POLL_MS,
                purpose,
            };
        }
    }

    /// After storage said nothing new: the call (or, after a refusal, the end of the session).
    fn go_on(&mut self, purpose: Purpose) {
        let Some(f) = self.flight.as_ref() else {
            return;
        };
        match purpose {
            Purpose::AfterRefusal(error, answered) => {
                if self.st.refresh() == f.token.as_ref() {
                    return self.refused(error, answered);
                }
                // Another tab rotated meanwhile: try again with its refresh token.
                self.call()
            }
            Purpose::BeforeCall => {
                // The token this refresh was for was replaced while it waited (another tab's
                // tokens) and the new one is not due: nothing left to refresh.
                let renewed = self.st.generation() != f.generation && self.st.access().is_some();
                if f.attempts == 0 && renewed && !self.needs_refresh_first() {
                    let shown = self.st.shown();
                    self.dispatch(Action::RefreshSucceeded {
                        shown,
                        rotated: false,
                    });
                    return self.end_flight(Ok(()));
                }
                self.call()
            }
        }
    }

    /// Makes the call with the refresh token held now (offline: none; the refresh fails).
    fn call(&mut self) {
        if !self.online {
            return self.failed(offline_error(), true, Answered::default());
        }
        let token = self.st.refresh().cloned();
        if token.is_none() && !self.config.cookie {
            if let Some(f) = self.flight.as_mut() {
                f.end = EndReason::NoRefreshToken;
            }
            let e = Error::new(
                Code::SessionExpired,
                "no refresh token is stored; log in again",
            );
            return self.refused(e, Answered::default());
        }
        let call = self.refresh_call(token.clone());
        if let Some(f) = self.flight.as_mut() {
            f.attempts += 1;
            f.token = token;
            f.nonce_sent = false;
        }
        self.send_call(call);
    }

    /// Sends the call; with DPoP (to an endpoint), once its proof is signed.
    fn send_call(&mut self, call: Call) {
        let url = self.config.refresh.url.clone();
        let (Some(url), false) = (
            url.filter(|_| self.dpop.is_some()),
            self.config.refresh.function,
        ) else {
            self.set_stage(Stage::Calling);
            return self.emit(Effect::Call(call));
        };
        if self.key_loading().is_some() {
            return self.set_stage(Stage::WaitKey);
        }
        let method = self.config.refresh.method.to_ascii_uppercase();
        let (Some(input), Some(serial)) = (
            self.proof_input(&method, &url, None, None),
            self.flight.as_ref().map(|f| f.serial),
        ) else {
            // No key: the call goes without a proof; the server answers what it thinks of that.
            self.set_stage(Stage::Calling);
            return self.emit(Effect::Call(call));
        };
        self.set_stage(Stage::Signing(call));
        self.sign(Signing::Call { serial, input });
    }

    /// The key arrived: a call that waited for it goes.
    #[cfg_attr(not(feature = "dpop"), allow(dead_code))]
    pub(crate) fn key_for_flight(&mut self) {
        if matches!(self.flight.as_ref().map(|f| &f.stage), Some(Stage::WaitKey)) {
            if let Some(f) = self.flight.as_mut() {
                f.attempts -= 1;
            }
            self.call();
        }
    }

    /// The call's proof is signed (`None`: signing failed, and it goes without one).
    #[cfg_attr(not(feature = "dpop"), allow(dead_code))]
    pub(crate) fn call_signed(&mut self, serial: u64, proof: Option<String>) {
        let Some(f) = self.flight.as_mut().filter(|f| f.serial == serial) else {
            return;
        };
        let Stage::Signing(mut call) = std::mem::replace(&mut f.stage, Stage::Calling) else {
            return;
        };
        call.dpop = proof;
        self.emit(Effect::Call(call));
    }

    /// The refresh call came back.
    pub(crate) fn refreshed(&mut self, reply: Reply<'_>) {
        let Some(f) = self.flight.as_mut() else {
            return;
        };
        if !f.calling() {
            return;
        }
        if let (
            Reply::Http {
                status,
                nonce,
                body,
                ..
            },
            true,
        ) = (reply, cfg!(feature = "dpop"))
        {
            let url = self.config.refresh.url.clone().unwrap_or_default();
            self.nonce_from(&url, nonce);
            // The token endpoint wants its DPoP nonce in the proof: the call goes once more with
            // it, and it is not an attempt (RFC 9449 section 8).
            let f = self.flight.as_mut();
            if let (Some(f), true) = (f, self.dpop.is_some() && status == 400) {
                let asks = body
                    .and_then(|b| crate::json::Json::parse(b).ok())
                    .is_some_and(|b| {
                        b.get("error").and_then(crate::json::Json::str) == Some("use_dpop_nonce")
                    });
                if asks && !f.nonce_sent {
                    f.nonce_sent = true;
                    let token = f.token.clone();
                    let call = self.refresh_call(token);
                    return self.send_call(call);
                }
            }
        }
        let Some(f) = self.flight.as_mut() else {
            return;
        };
        match classify(reply, self.config.oauth2) {
            Outcome::Transient {
                error: _,
                retry_after_ms,
                maybe_reached,
                ..
            } if f.attempts < self.config.retry.attempts && self.online => {
                // A call that timed out or failed may have reached the server.
                if maybe_reached {
                    f.end = EndReason::LostRotation;
                }
                let retry = self.config.retry;
                let attempts = f.attempts;
                let release = [
                    (Lock::Call, std::mem::take(&mut f.call_lock)),
                    (Lock::Fallback, std::mem::take(&mut f.fallback_lock)),
                ];
                let delay = backoff_ms(
                    attempts,
                    retry.base_delay_ms,
                    retry.max_delay_ms,
                    self.random(),
                    retry_after_ms,
                );
                for (which, held) in release {
                    if held {
                        self.release(which);
                    }
                }
                self.set_stage(Stage::Backoff {
                    until: self.mono + delay,
                });
            }
            Outcome::Definitive(error, answered) => match self.shared {
                true => {
                    let read = Read::start(self);
                    self.set_stage(Stage::Reading {
                        read,
                        purpose: Purpose::AfterRefusal(error, answered),
                    });
                }
                false => self.refused(error, answered),
            },
            Outcome::Tokens(tokens, date) => self.got_tokens(tokens, date),
            Outcome::Misconfigured(e, answered) => self.failed(e, false, answered),
            Outcome::Transient { answered, .. } if !self.online => {
                self.failed(offline_error(), true, answered)
            }
            Outcome::Transient {
                error, answered, ..
            } => {
                let e = Error::new(
                    Code::RefreshFailed,
                    cat(&[
                        "the token refresh failed: ",
                        error.message(),
                        "; the next request tries again",
                    ]),
                )
                .caused_by(error);
                self.failed(e, true, answered)
            }
            Outcome::Unusable(e, answered) => self.failed(e, true, answered),
        }
    }

    /// New tokens: held, then written (refresh token first).
    fn got_tokens(&mut self, tokens: TokenSet, date: Option<f64>) {
        self.refreshed_from = Some(self.stored_fingerprint());
        let old = self.st.refresh().cloned();
        // In cookie mode a refresh token in the body is not ours to keep.
        let new = tokens.refresh.filter(|_| !self.config.cookie);
        let rotated = new.is_some() && new != old;
        let refresh = new.or(old);
        self.adopt_access(
            &tokens.access,
            tokens.expires_in,
            Arrival::Refresh(date),
            tokens.dpop,
        );
        self.st.set_refresh(refresh.clone());
        let reason = self.flight.as_ref().map(|f| f.reason);
        self.st
            .set_after_rejection(reason == Some(Reason::Rejected));
        let write = Write::start(self, &tokens.access, refresh.as_deref(), false);
        self.set_stage(Stage::Writing { write, rotated });
    }

    /// The new tokens are written (or storage refused them: they stay in memory, and the
    /// requests waiting reject with STORAGE_ERROR; the next request writes them again).
    fn written(&mut self, written: Result<(), Error>, rotated: bool) {
        if written.is_ok() {
            let fp = self.stored_fingerprint();
            self.emit(Effect::Post(Message::Tokens(fp).text()));
        }
        let shown = self.st.shown();
        self.dispatch(Action::RefreshSucceeded { shown, rotated });
        self.end_flight(written);
    }

    /// The refresh token was refused: the session ends (tokens removed, `sessionExpired` once).
    fn refused(&mut self, e: Error, answered: Answered) {
        let error = Error::new(
            Code::SessionExpired,
            cat(&["the session expired: ", e.message()]),
        )
        .caused_by(e);
        self.dispatch(Action::RefreshFailed {
            code: error.code(),
            message: error.message().to_string(),
            transient: false,
            answered,
        });
        let announce = self.end_session(true, None);
        let remove = Remove::start(self);
        self.set_stage(Stage::Removing {
            remove,
            error,
            announce,
        });
    }

    /// A refresh that failed without ending the session: tokens kept; requests sent with this
    /// token before now share the failure, the next one tries again.
    fn failed(&mut self, error: Error, transient: bool, answered: Answered) {
        self.dispatch(Action::RefreshFailed {
            code: error.code(),
            message: error.message().to_string(),
            transient,
            answered,
        });
        self.st.remember_failure(&error, self.mono);
        self.end_flight(Err(error));
    }

    /// The flight is over: its locks let go, what waited for it goes on.
    pub(crate) fn end_flight(&mut self, outcome: Result<(), Error>) {
        let Some(f) = self.flight.take() else {
            return;
        };
        self.release_all(&f);
        self.resume(f.serial, outcome);
    }

    /// The flight loses its say (a login, logout or dispose; another tab's tokens): its call is
    /// aborted, its locks let go, its writes stop; returns its serial for its waiters.
    pub(crate) fn drop_flight(&mut self) -> Option<u64> {
        let f = self.flight.take()?;
        if f.calling() {
            self.emit(Effect::Cancel);
        }
        self.release_all(&f);
        Some(f.serial)
    }

    /// Lets go of the locks the flight holds or asked for, the last taken first.
    fn release_all(&mut self, f: &Flight) {
        for (which, held) in [
            (Lock::Fallback, f.fallback_lock),
            (Lock::Call, f.call_lock),
            (Lock::Refresh, f.refresh_lock),
        ] {
            if held {
                self.release(which);
            }
        }
    }

    /// One auto-refresh check: starts a refresh when the token is due, and says when to look
    /// next (at most 30 s on; timestamps decide, so a device that slept refreshes on its first
    /// check after waking). While a refresh runs it looks again when the refresh ends.
    ///
    /// The timer also refreshes a token that arrived already expired by our clock (which a
    /// request would still send: the server judges it), and it tries again after a refresh that
    /// failed; both after a backoff (`State::timer_wait`), so neither can loop.
    pub(crate) fn tick(&mut self) {
        const MAX_MS: f64 = 30_000.0;
        const MIN_MS: f64 = 10.0;
        let wait = self.tick_wait();
        self.auto = Some(self.mono + wait.clamp(MIN_MS, MAX_MS));
    }

    fn tick_wait(&mut self) -> f64 {
        const MAX_MS: f64 = 30_000.0;
        // Offline it waits for the network: coming back looks at once (`connectivity`).
        if self.flight.is_some() || !self.online {
            return MAX_MS;
        }
        let now = self.server_time();
        let lifetime = *self.st.lifetime();
        let can_refresh =
            self.st.access().is_some() && (self.st.refresh().is_some() || self.config.cookie);
        // An expired token that requests would not refresh first is one that arrived expired
        // (`Lifetime::refresh_at` is None for it): the timer renews it.
        if self.needs_refresh_first() || (can_refresh && lifetime.expired(now)) {
            let wait = self.st.timer_wait(self.mono);
            if wait > 0.0 {
                return wait;
            }
            let _started = self.join_or_start(Reason::Timer);
            return MAX_MS;
        }
        match lifetime.refresh_at(self.config.leeway_ms) {
            Some(at) if can_refresh && at > now => at - now,
            _ => MAX_MS,
        }
    }
}
