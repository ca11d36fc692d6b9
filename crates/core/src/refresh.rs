//! The single-flight refresh: at most one refresh call per client, whatever asks for it
//! (requests before sending, rejected requests, `refresh()`, the timer). Every caller waits on
//! the same [`Shared`] outcome; the flight is cleared on every exit path before waiters wake.

use std::rc::Rc;

use crate::core::Core;
use crate::env::{Action, Answer, Attempt, Broadcast, EndReason, Env, Reason};
use crate::error::{Code, Error};
use crate::pipeline::Held;
use crate::policy::backoff_ms;
use crate::session::{Arrival, Outcome, State};
use crate::shared::Shared;

impl<E: Env> Core<E> {
    /// The refresh in flight, to wait on.
    pub(crate) fn flight(&self) -> Option<Rc<Shared<Outcome>>> {
        self.state().flight()
    }

    /// Joins the refresh in flight or starts one.
    pub(crate) fn join_or_start(self: &Rc<Self>, reason: Reason) -> Rc<Shared<Outcome>> {
        if let Some(outcome) = self.flight() {
            return outcome;
        }
        let outcome = Shared::new();
        let epoch = self.state_mut().start_flight(&outcome);
        let generation = self.state().generation();
        let core = Rc::clone(self);
        let done = Rc::clone(&outcome);
        self.env.spawn(Box::pin(async move {
            // Another tab's tokens may have settled it before it began: then it never began.
            if !core.owns(epoch, &done) {
                return;
            }
            core.env.dispatch(Action::RefreshStarted(reason));
            // Across tabs: one refresh at a time, and whoever comes second uses the first's result.
            let lock = core.env.lock().await;
            let attempt = core.attempts(epoch, &done, generation).await;
            core.finish(epoch, &done, attempt, reason).await;
            drop(lock);
        }));
        outcome
    }

    /// True when a request should refresh before it is sent.
    pub(crate) fn needs_refresh_first(&self) -> bool {
        let now = self.server_now();
        let st = self.state();
        match (st.access(), st.refresh()) {
            (Some(_), _) => self.due_at(&st).is_some_and(|at| now >= at),
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
    pub(crate) fn due_at(&self, st: &State<E::Claims>) -> Option<f64> {
        st.access()?;
        let lifetime = st.lifetime();
        match st.refresh().is_some() || self.config.cookie {
            true => lifetime.refresh_at(self.config.leeway_ms),
            false => lifetime.expires_at,
        }
    }

    /// True while `outcome` is the flight in flight of session `epoch`: a login, logout or
    /// dispose, or another tab's tokens settling it, ends a flight's say.
    fn owns(&self, epoch: u64, outcome: &Rc<Shared<Outcome>>) -> bool {
        self.state().owns(epoch, outcome)
    }

    /// Calls the refresh endpoint, retrying transient failures with backoff. `None` when the
    /// flight lost its say meanwhile (its result would be discarded anyway).
    ///
    /// Storage is read again before every call and before a refusal ends the session: another
    /// client or tab sharing it may have refreshed while this one waited for the lock (which can
    /// time out: a frozen tab) or retried. Its tokens are taken as they are; a refresh token it rotated
    /// replaces ours, so a token that storage no longer holds is never presented again.
    ///
    /// Also says why the session would end on a refusal: `LostRotation` when an earlier attempt
    /// of this refresh may have reached the server (it timed out or failed after sending) and
    /// rotated the token before its answer was lost.
    ///
    /// `generation` is the token's the refresh was started for: when another tab's tokens
    /// replaced it meanwhile (its news came while this one waited for the lock) and they are not
    /// due, there is nothing left to refresh, and no call is made.
    async fn attempts(
        &self,
        epoch: u64,
        outcome: &Rc<Shared<Outcome>>,
        generation: u64,
    ) -> Option<(Attempt, EndReason)> {
        let retry = self.config.retry;
        let mut n = 0;
        let mut reason = EndReason::RefreshRejected;
        loop {
            let stored = self.stored_by_another_tab(epoch).await;
            if !self.owns(epoch, outcome) {
                return None;
            }
            if let Some(tokens) = stored {
                return Some((Attempt::Adopted(tokens), reason));
            }
            let renewed = {
                let st = self.state();
                st.generation() != generation && st.access().is_some()
            };
            if n == 0 && renewed && !self.needs_refresh_first() {
                return Some((Attempt::Renewed, reason));
            }
            let token = self.state().refresh().cloned();
            if token.is_none() && !self.config.cookie {
                let e = Error::new(
                    Code::SessionExpired,
                    "no refresh token is stored; log in again",
                );
                return Some((
                    Attempt::Definitive(e, Answer::default()),
                    EndReason::NoRefreshToken,
                ));
            }
            n += 1;
            let attempt = self
                .env
                .call_refresh(token.clone().filter(|_| !self.config.cookie))
                .await;
            if !self.owns(epoch, outcome) {
                return None;
            }
            match attempt {
                Attempt::Transient(e, retry_after, _) if n < retry.attempts => {
                    // A call that timed out or failed may have reached the server.
                    if [Some(e.code()), e.cause_code()].contains(&Some(Code::Timeout))
                        || [Some(e.code()), e.cause_code()].contains(&Some(Code::NetworkError))
                    {
                        reason = EndReason::LostRotation;
                    }
                    let delay = backoff_ms(
                        n,
                        retry.base_delay_ms,
                        retry.max_delay_ms,
                        self.env.random(),
                        retry_after,
                    );
                    self.env.sleep(delay).await;
                }
                Attempt::Definitive(e, answer) => {
                    // Refused: ours was burnt if another tab rotated it meanwhile.
                    if let Some(tokens) = self.stored_by_another_tab(epoch).await {
                        return Some((Attempt::Adopted(tokens), reason));
                    }
                    if self.state().refresh() == token.as_ref() {
                        return Some((Attempt::Definitive(e, answer), reason));
                    }
                }
                other => return Some((other, reason)),
            }
        }
    }

    /// Applies a refresh's result and wakes its waiters, unless a login, logout or dispose
    /// discarded it.
    async fn finish(
        &self,
        epoch: u64,
        outcome: &Rc<Shared<Outcome>>,
        attempt: Option<(Attempt, EndReason)>,
        started_for: Reason,
    ) {
        let current = |core: &Self| core.state().epoch() == epoch;
        let Some((attempt, reason)) = attempt.filter(|_| current(self)) else {
            return;
        };
        let result = match attempt {
            Attempt::Tokens(tokens, date) => {
                let old_refresh = self.state().refresh().cloned();
                // In cookie mode a refresh token in the body is not ours to keep.
                let new_refresh = tokens.refresh.clone().filter(|_| !self.config.cookie);
                let rotated = new_refresh.is_some() && new_refresh != old_refresh;
                let refresh = new_refresh.or(old_refresh);
                self.adopt_access(&tokens.access, tokens.expires_in, Arrival::Refresh(date));
                {
                    let mut st = self.state_mut();
                    st.set_refresh(refresh.clone());
                    st.set_after_rejection(started_for == Reason::Rejected);
                }
                let written = self
                    .write_tokens(&tokens.access, refresh.as_deref(), false)
                    .await;
                if !current(self) {
                    return;
                }
                if written.is_ok() {
                    let fp = self.stored_fingerprint(&tokens.access, refresh.as_deref());
                    self.env.broadcast(Broadcast::Tokens(fp));
                }
                let s = self.session();
                self.env.dispatch(Action::RefreshSucceeded {
                    claims: s.claims,
                    expires_at: s.expires_at,
                    rotated,
                });
                // STORAGE_ERROR as storage raised it, its error the cause; the new tokens stay in
                // memory and the next request writes them again.
                written
            }
            Attempt::Adopted(tokens) => {
                self.adopt_from_other_tab(tokens);
                Ok(())
            }
            Attempt::Renewed => {
                let s = self.session();
                self.env.dispatch(Action::RefreshSucceeded {
                    claims: s.claims,
                    expires_at: s.expires_at,
                    rotated: false,
                });
                Ok(())
            }
            Attempt::Definitive(e, answer) => {
                let err = Error::new(
                    Code::SessionExpired,
                    format!("the session expired: {}", e.message()),
                )
                .caused_by(e);
                self.clear_flight(outcome);
                self.failed(&err, false, answer);
                self.expire_session(reason).await;
                outcome.complete(Err(err));
                return;
            }
            Attempt::Misconfigured(e, answer) => {
                self.failed(&e, false, answer);
                self.remember_failure(&e);
                Err(e)
            }
            Attempt::Transient(e, _, answer) => {
                let err = Error::new(
                    Code::RefreshFailed,
                    format!(
                        "the token refresh failed: {}; the next request tries again",
                        e.message()
                    ),
                )
                .caused_by(e);
                self.failed(&err, true, answer);
                self.remember_failure(&err);
                Err(err)
            }
            Attempt::Unusable(e, answer) => {
                self.failed(&e, true, answer);
                self.remember_failure(&e);
                Err(e)
            }
        };
        self.clear_flight(outcome);
        outcome.complete(result);
    }

    fn failed(&self, err: &Error, transient: bool, answer: Answer) {
        self.env.dispatch(Action::RefreshFailed {
            code: err.code(),
            message: err.message().to_string(),
            transient,
            answer,
        });
    }

    /// A refresh for the current token failed now: requests sent with it before this moment
    /// and rejected later share the failure instead of starting a refresh each (API.md: a
    /// configuration error is not retried; the next request after a failure tries again).
    fn remember_failure(&self, error: &Error) {
        let now = self.env.now_ms();
        self.state_mut().remember_failure(error, now);
    }

    fn clear_flight(&self, outcome: &Rc<Shared<Outcome>>) {
        self.state_mut().clear_flight(outcome);
    }

    /// `refresh()`: forces a refresh, joining one in flight; the host waits for the refresh
    /// returned.
    pub fn force_refresh(self: &Rc<Self>) -> Result<Held, Error> {
        self.check_alive()?;
        let logged_in = self.state().authenticated();
        // In cookie mode the cookie may hold a session that JS cannot see: ask it.
        if !logged_in && !self.config.cookie && self.flight().is_none() {
            return Err(Error::new(Code::SessionExpired, "refresh(): not logged in"));
        }
        Ok(self.join_or_start(Reason::Manual))
    }

    /// One auto-refresh check: starts a refresh when the token is due. Returns the ms until the
    /// next check (at most 30 s; timestamps decide, so a device that slept refreshes on its
    /// first tick after waking). While a refresh runs it returns the longest wait: the host asks
    /// again when the refresh ends (`refreshSucceeded`, `refreshFailed`) or tokens arrive
    /// (`restored`, `loggedIn`), and the answer then counts from the new state.
    ///
    /// The timer also refreshes a token that arrived already expired by our clock (which a
    /// request would still send: the server judges it), and it tries again after a refresh that
    /// failed; both after a backoff (see `State::timer_wait`), so neither can loop.
    pub fn tick(self: &Rc<Self>) -> f64 {
        const MAX_MS: f64 = 30_000.0;
        const MIN_MS: f64 = 10.0;
        if self.state().disposed() || self.flight().is_some() {
            return MAX_MS;
        }
        let now = self.server_now();
        // An expired token that requests would not refresh first is one that arrived expired
        // (`Lifetime::refresh_at` is None for it): the timer renews it.
        let (can_refresh, expired, refresh_at) = {
            let st = self.state();
            let lifetime = st.lifetime();
            (
                st.access().is_some() && (st.refresh().is_some() || self.config.cookie),
                lifetime.expired(now),
                lifetime.refresh_at(self.config.leeway_ms),
            )
        };
        if self.needs_refresh_first() || (can_refresh && expired) {
            let wait = self.state().timer_wait(self.env.now_ms());
            if wait > 0.0 {
                return wait.clamp(MIN_MS, MAX_MS);
            }
            let _ = self.join_or_start(Reason::Timer);
            return MAX_MS;
        }
        match refresh_at {
            Some(at) if can_refresh && at > now => (at - now).clamp(MIN_MS, MAX_MS),
            _ => MAX_MS,
        }
    }
}
