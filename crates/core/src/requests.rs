//! One request's way through the client (API.md, "What client.fetch does"): origin check, wait
//! for a refresh in flight, refresh first when expiring, attach the token read at send time,
//! send, judge the response, resend at most once. Also `getAccessToken()` and `refresh()`,
//! which wait as requests do, and the fast path's lease.

use crate::action::Reason;
use crate::client::Client;
use crate::effect::{Answer, Effect, Id, Lease};
use crate::error::{Code, Error};
use crate::keys::{Signing, Target};
use crate::policy::insufficient_scope;

/// Which time a request asks whether it may go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Before its first send: it writes tokens that storage refused before it goes, once.
    First,
    /// After a wait, before its first send.
    Again,
    /// Before its resend, after a rejection: it must carry a token.
    Resend,
    /// The session is ending (its token was rejected and nothing can refresh it): once the
    /// tokens are removed, it fails.
    Ended,
    /// Again after a resource server asked for its DPoP nonce: a send after the first, not a
    /// refresh's resend.
    Nonce,
}

/// Where a request the core knows is.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ReqState {
    /// Waiting for the refresh or storage work of serial `on`, then asking again at `step`.
    Held { on: u64, step: Step },
    /// Sent with the token of `generation` when `failures` refreshes had failed.
    Sent {
        generation: u64,
        failures: u64,
        resend: bool,
    },
    /// Its DPoP proof is being signed.
    Signing,
    /// Its response waits for the `refreshOn` predicate.
    Asking {
        generation: u64,
        failures: u64,
        resend: bool,
        challenge: Option<String>,
    },
}

#[derive(Clone, Debug)]
pub(crate) struct Req {
    pub id: Id,
    pub state: ReqState,
}

impl Req {
    /// Held by the core: its caller still waits for the core's word.
    pub fn waiting(&self) -> bool {
        matches!(self.state, ReqState::Held { .. } | ReqState::Signing)
    }
}

/// An API call waiting for a refresh or a write.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Waiter {
    /// `getAccessToken()`.
    Token { id: Id, on: u64 },
    /// `refresh()`.
    Refresh { id: Id, on: u64 },
}

impl Waiter {
    pub fn id(&self) -> Id {
        match self {
            Waiter::Token { id, .. } | Waiter::Refresh { id, .. } => *id,
        }
    }
    fn on(&self) -> u64 {
        match self {
            Waiter::Token { on, .. } | Waiter::Refresh { on, .. } => *on,
        }
    }
}

impl Client {
    /// `client.fetch`: a request not for our token goes as it is; the others ask [`Client::ready`].
    pub(crate) fn request(&mut self, id: Id, url: &str, method: &str, auth: bool) {
        if !auth || !self.config.allows(url) {
            return self.emit(Effect::Pass { id });
        }
        if let Some(d) = self.dpop.as_mut() {
            d.add_target(Target {
                id,
                method: method.to_ascii_uppercase(),
                url: url.to_string(),
                nonce_sent: false,
            });
        }
        self.ready(id, Step::First);
    }

    /// What a request may do now: wait (for a refresh, or a write of tokens storage refused
    /// before), or go with the token held now.
    ///
    /// The loop ends: a refresh's own token never looks due on arrival (`Lifetime::refresh_at`),
    /// and a failed refresh rejects the request; only a new login or a sleep can make another
    /// round.
    fn ready(&mut self, id: Id, step: Step) {
        if step == Step::Ended {
            let error = self.ended_error();
            return self.emit(Effect::Fail { id, error });
        }
        let hold = match self.hold(step == Step::First) {
            Ok(hold) => hold,
            Err(error) => return self.emit(Effect::Fail { id, error }),
        };
        if let Some(on) = hold {
            let step = if step == Step::First {
                Step::Again
            } else {
                step
            };
            return self.reqs.push(Req {
                id,
                state: ReqState::Held { on, step },
            });
        }
        let resend = step == Step::Resend;
        let again = resend || step == Step::Nonce;
        let Some(token) = self.st.access().cloned() else {
            return match again {
                true => {
                    let error = self.ended_error();
                    self.emit(Effect::Fail { id, error })
                }
                // No session: sent without the header, its response is the answer.
                false => self.emit(Effect::Send {
                    id,
                    header: None,
                    resend: false,
                    dpop: None,
                }),
            };
        };
        let (generation, failures) = (self.st.generation(), self.st.failures());
        if cfg!(feature = "dpop") && self.st.bound() {
            return self.sign_request(id, &token, step);
        }
        let header = self.config.authorization(&token);
        self.sent(id, header, (generation, failures, resend), again, None);
    }

    /// A DPoP-bound token goes as `DPoP <token>` with a proof (RFC 9449 section 7.1): signed
    /// first, sent when the shell has signed it ([`Client::send_signed`]).
    fn sign_request(&mut self, id: Id, token: &str, step: Step) {
        if let Some(on) = self.key_loading() {
            return self.reqs.push(Req {
                id,
                state: ReqState::Held { on, step },
            });
        }
        let target = self
            .dpop
            .as_ref()
            .and_then(|d| d.target(id))
            .map(|t| (t.method.clone(), t.url.clone()));
        let Some((method, url)) = target else {
            let error = crate::keys::key_error();
            return self.emit(Effect::Fail { id, error });
        };
        let Some(input) = self.proof_input(&method, &url, Some(token), None) else {
            let error = crate::keys::key_error();
            return self.emit(Effect::Fail { id, error });
        };
        self.reqs.push(Req {
            id,
            state: ReqState::Signing,
        });
        self.sign(Signing::Request {
            id,
            header: crate::error::cat(&["DPoP ", token]),
            generation: self.st.generation(),
            failures: self.st.failures(),
            resend: step == Step::Resend,
            again: matches!(step, Step::Resend | Step::Nonce),
            input,
        });
    }

    /// Request `id`'s proof is signed: it goes.
    #[allow(clippy::too_many_arguments)]
    #[cfg_attr(not(feature = "dpop"), allow(dead_code))]
    pub(crate) fn send_signed(
        &mut self,
        id: Id,
        header: String,
        generation: u64,
        failures: u64,
        resend: bool,
        again: bool,
        proof: String,
    ) {
        self.reqs.retain(|r| r.id != id);
        self.sent(
            id,
            header,
            (generation, failures, resend),
            again,
            Some(proof),
        );
    }

    /// Request `id` goes with `header` (and a DPoP proof), the token of `generation` after
    /// `failures` refusals; `resend`: its send after a refresh; `again`: a send after its first.
    fn sent(
        &mut self,
        id: Id,
        header: String,
        (generation, failures, resend): (u64, u64, bool),
        again: bool,
        dpop: Option<String>,
    ) {
        self.reqs.push(Req {
            id,
            state: ReqState::Sent {
                generation,
                failures,
                resend,
            },
        });
        self.emit(Effect::Send {
            id,
            header: Some(header),
            resend: again,
            dpop,
        });
    }

    /// Request `id`'s proof was for a token replaced while it was signed: it asks again.
    #[cfg_attr(not(feature = "dpop"), allow(dead_code))]
    pub(crate) fn request_again(&mut self, id: Id, resend: bool, again: bool) {
        self.reqs.retain(|r| r.id != id);
        let step = match (resend, again) {
            (true, _) => Step::Resend,
            (false, true) => Step::Nonce,
            (false, false) => Step::Again,
        };
        self.ready(id, step);
    }

    /// What a request or `getAccessToken()` must wait for before the token is ready: nothing,
    /// a refresh in flight or started now because the token is due, or (the `first` time only)
    /// the write of tokens storage refused earlier.
    fn hold(&mut self, first: bool) -> Result<Option<u64>, Error> {
        if first && self.st.unsaved() {
            if let Some(serial) = self.join_or_start_save() {
                return Ok(Some(serial));
            }
        }
        if let Some(f) = &self.flight {
            return Ok(Some(f.serial));
        }
        match self.needs_refresh_first() {
            true => self.join_or_start(Reason::Expiring).map(Some),
            false => Ok(None),
        }
    }

    /// Request `id` got a response: the server's `Date` noted, then what it says of the token.
    /// An answer with nothing against the token counts as the API accepting it. (The fields of
    /// `Input::Response`, passed on as they are.)
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn response(
        &mut self,
        id: Id,
        status: u16,
        url: Option<&str>,
        date: Option<f64>,
        challenge: Option<&str>,
        nonce: Option<&str>,
        lease: Option<(u64, u64)>,
    ) {
        if let Some(date) = date {
            self.st.observe_date(date, self.now);
        }
        let target = match cfg!(feature = "dpop") {
            true => self.dpop.as_ref().and_then(|d| d.target(id)).cloned(),
            false => None,
        };
        if let Some(t) = &target {
            self.nonce_from(url.unwrap_or(&t.url), nonce);
        }
        let sent = match lease {
            Some((generation, failures)) => Some((generation, failures, false)),
            None => self.take_sent(id),
        };
        let Some((generation, failures, resend)) = sent else {
            return self.emit(Effect::Deliver { id });
        };
        // A rejection from another origin (the request was redirected there) says nothing about
        // our token, and the `refreshOn` predicate never sees such a response.
        if url.is_some_and(|u| !self.config.allows(u)) {
            return self.emit(Effect::Deliver { id });
        }
        // A resource server that wants its DPoP nonce in the proof: sent once more with it, no
        // refresh (RFC 9449 section 9).
        // A second one (or one for a token no longer held) is the caller's answer: a nonce is
        // never the token's fault, so it never starts a refresh.
        if status == 401 && challenge.is_some_and(crate::dpop::asks_nonce) && target.is_some() {
            let again = target.as_ref().is_some_and(|t| !t.nonce_sent)
                && generation == self.st.generation()
                && self.st.bound();
            if !again {
                return self.emit(Effect::Deliver { id });
            }
            if let Some(d) = self.dpop.as_mut() {
                d.nonce_sent(id);
            }
            let step = if resend { Step::Resend } else { Step::Nonce };
            return self.ready(id, step);
        }
        if self.config.ask_refresh_on {
            self.reqs.push(Req {
                id,
                state: ReqState::Asking {
                    generation,
                    failures,
                    resend,
                    challenge: challenge.map(str::to_string),
                },
            });
            return self.emit(Effect::Ask { id });
        }
        if self.config.refresh_on.contains(&status) {
            return self.rejected(id, generation, failures, resend, challenge);
        }
        self.st.accepted(generation);
        self.emit(Effect::Deliver { id });
    }

    fn take_sent(&mut self, id: Id) -> Option<(u64, u64, bool)> {
        let at = self.reqs.iter().position(|r| r.id == id)?;
        match self.reqs.swap_remove(at).state {
            ReqState::Sent {
                generation,
                failures,
                resend,
            } => Some((generation, failures, resend)),
            other => {
                self.reqs.push(Req { id, state: other });
                None
            }
        }
    }

    /// The `refreshOn` predicate judged request `id`'s response.
    pub(crate) fn judged(&mut self, id: Id, rejects: bool) {
        let Some(at) = self.reqs.iter().position(|r| r.id == id) else {
            return self.emit(Effect::Deliver { id });
        };
        let ReqState::Asking {
            generation,
            failures,
            resend,
            challenge,
        } = self.reqs.swap_remove(at).state
        else {
            return self.emit(Effect::Deliver { id });
        };
        if rejects {
            return self.rejected(id, generation, failures, resend, challenge.as_deref());
        }
        self.st.accepted(generation);
        self.emit(Effect::Deliver { id });
    }

    /// A response rejected the token of `generation`: answer as it is, fail, or send once more
    /// (after a refresh when one is needed).
    fn rejected(
        &mut self,
        id: Id,
        generation: u64,
        failures: u64,
        resend: bool,
        challenge: Option<&str>,
    ) {
        let until = self.mono + self.config.refresh_cooldown_ms;
        // A resend rejected too: the answer. A refresh cannot grant a missing scope; and a token
        // that a refresh just produced and the server refused before ever accepting it is
        // refused for another reason: no refresh storms.
        if resend
            || challenge.is_some_and(insufficient_scope)
            || self.st.cooling(generation, self.mono)
        {
            if resend {
                self.st.refused_fresh(generation, until);
            }
            return self.emit(Effect::Deliver { id });
        }
        if self.st.refused_fresh(generation, until) {
            return self.emit(Effect::Deliver { id });
        }
        // A token older than the current one: another request refreshed meanwhile; one in
        // flight is waited for by the resend.
        if generation != self.st.generation() || self.flight.is_some() {
            return self.ready(id, Step::Resend);
        }
        // A refresh for this token failed after the request was sent: it shares that failure
        // (the next request, sent after the failure, tries again).
        if let Some(error) = self.st.failed_since(generation, failures) {
            return self.emit(Effect::Fail { id, error });
        }
        // Offline nothing refreshes and nothing ends a session.
        if !self.online {
            let error = crate::offline::offline_error();
            return self.emit(Effect::Fail { id, error });
        }
        if self.st.refresh().is_none() && !self.config.cookie {
            let on = self.expire(crate::action::EndReason::AccessRejected);
            return self.reqs.push(Req {
                id,
                state: ReqState::Held {
                    on,
                    step: Step::Ended,
                },
            });
        }
        let on = match self.join_or_start(Reason::Rejected) {
            Ok(on) => on,
            Err(error) => return self.emit(Effect::Fail { id, error }),
        };
        self.reqs.push(Req {
            id,
            state: ReqState::Held {
                on,
                step: Step::Resend,
            },
        });
    }

    /// `getAccessToken()`: a valid token (`null` when logged out), after the refresh or write
    /// it needs.
    pub(crate) fn access_token(&mut self, id: Id, first: bool) {
        match self.hold(first) {
            Ok(Some(on)) => return self.waiters.push(Waiter::Token { id, on }),
            Ok(None) => {}
            Err(error) => return self.emit(Effect::Reject { id, error }),
        }
        let token = self.st.access().cloned();
        self.emit(Effect::Resolve {
            id,
            value: Answer::Token(token),
        });
    }

    /// `refresh()`: forces a refresh, joining one in flight.
    pub(crate) fn force_refresh(&mut self, id: Id) {
        // In cookie mode the cookie may hold a session that JS cannot see: ask it.
        if !self.st.authenticated() && !self.config.cookie && self.flight.is_none() {
            let error = Error::new(Code::SessionExpired, "refresh(): not logged in");
            return self.emit(Effect::Reject { id, error });
        }
        match self.join_or_start(Reason::Manual) {
            Ok(on) => self.waiters.push(Waiter::Refresh { id, on }),
            Err(error) => self.emit(Effect::Reject { id, error }),
        }
    }

    /// The refresh or storage work of serial `on` is over: what waited for it goes on (or, for
    /// a refresh that failed, fails with its error).
    pub(crate) fn resume(&mut self, on: u64, outcome: Result<(), Error>) {
        let (held, rest): (Vec<Req>, Vec<Req>) = std::mem::take(&mut self.reqs)
            .into_iter()
            .partition(|r| matches!(r.state, ReqState::Held { on: o, .. } if o == on));
        self.reqs = rest;
        let (waiters, rest): (Vec<Waiter>, Vec<Waiter>) = std::mem::take(&mut self.waiters)
            .into_iter()
            .partition(|w| w.on() == on);
        self.waiters = rest;
        for r in held {
            let ReqState::Held { step, .. } = r.state else {
                continue;
            };
            match &outcome {
                Ok(()) => self.ready(r.id, step),
                Err(error) => self.emit(Effect::Fail {
                    id: r.id,
                    error: error.clone(),
                }),
            }
        }
        for w in waiters {
            match (&outcome, w) {
                (Ok(()), Waiter::Token { id, .. }) => self.access_token(id, false),
                (Ok(()), Waiter::Refresh { id, .. }) => self.emit(Effect::Resolve {
                    id,
                    value: Answer::Session,
                }),
                (Err(error), w) => self.emit(Effect::Reject {
                    id: w.id(),
                    error: error.clone(),
                }),
            }
        }
    }

    /// True when a request should refresh before it is sent.
    pub(crate) fn needs_refresh_first(&self) -> bool {
        match (self.st.access(), self.st.refresh()) {
            (Some(_), _) => self.due_at().is_some_and(|at| self.server_time() >= at),
            // In cookie mode a session needs only the access token; with none, requests go
            // out without the header.
            (None, Some(_)) => !self.config.cookie,
            (None, None) => false,
        }
    }

    /// Server time from which the access token held is refreshed before it is sent: its
    /// refresh point; or, with nothing to refresh with, its expiry (a token inside its leeway
    /// is still sent, but one that has expired would only be rejected; the refresh ends the
    /// session without a call, "no refresh token stored"). `None`: never, or no access token.
    pub(crate) fn due_at(&self) -> Option<f64> {
        self.st.access()?;
        let lifetime = self.st.lifetime();
        match self.st.refresh().is_some() || self.config.cookie {
            true => lifetime.refresh_at(self.config.leeway_ms),
            false => lifetime.expires_at,
        }
    }

    /// The lease that holds now: a token is held, and nothing is for the core to decide before
    /// a request carries it (no refresh in flight, no tokens storage refused, no `refreshOn`
    /// predicate that judges each response).
    pub(crate) fn current_lease(&self) -> Option<Lease> {
        let token = self.st.access()?;
        if self.st.unsaved()
            || self.flight.is_some()
            || self.config.ask_refresh_on
            || self.st.bound()
        {
            return None;
        }
        let until = self
            .due_at()
            .map_or(f64::INFINITY, |at| at - self.st.clock().offset_ms());
        Some(Lease {
            header: self.config.authorization(token),
            generation: self.st.generation(),
            failures: self.st.failures(),
            until,
            date_every_ms: match self.st.clock().wants_date() {
                true => 0.0,
                false => DATE_SAMPLE_MS,
            },
        })
    }
}

/// Under a lease, once the clock has a token's `iat` to go by, the `Date` of one response in
/// this many device ms is enough to notice that the device's clock was set (by NTP, or by hand).
pub const DATE_SAMPLE_MS: f64 = 1_000.0;
