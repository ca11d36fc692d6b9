//! The client core and its session operations: start, login, logout, dispose, session().
//! Requests are in `pipeline.rs`, the shared refresh in `refresh.rs`, other tabs in
//! `cross_tab.rs`; the state they share is `session.rs`'s, and only it writes the state.

use std::cell::{Ref, RefCell, RefMut};
use std::rc::Rc;

use crate::config::Config;
use crate::env::{pair_fingerprint, Action, Broadcast, EndReason, Env, Slot, Stored, TokenSet};
use crate::error::{Code, Error};
use crate::policy::usable_token;
use crate::session::{Arrival, Flight, Outcome, State};
use crate::shared::Shared;

/// The client core, shared by every request and the refresh task.
pub struct Core<E: Env> {
    pub(crate) env: E,
    pub(crate) config: Config,
    state: RefCell<State<E::Claims>>,
}

/// A snapshot for `session()`.
#[derive(Clone, Debug)]
pub struct Session<C> {
    /// A token is held.
    pub authenticated: bool,
    /// The access token's claims.
    pub claims: Option<C>,
    /// Its expiry, server ms.
    pub expires_at: Option<f64>,
}

impl<E: Env> Core<E> {
    /// The options the client was made with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The surroundings it was made with.
    pub fn env(&self) -> &E {
        &self.env
    }

    /// The generation of the access token held now: every new token (or none) bumps it.
    pub fn generation(&self) -> u64 {
        self.state().generation()
    }

    /// A logged-out core; call [`Core::start`] to read storage.
    pub fn new(env: E, config: Config) -> Rc<Self> {
        Rc::new(Core {
            env,
            config,
            state: RefCell::new(State::new()),
        })
    }

    pub(crate) fn state(&self) -> Ref<'_, State<E::Claims>> {
        self.state.borrow()
    }

    pub(crate) fn state_mut(&self) -> RefMut<'_, State<E::Claims>> {
        self.state.borrow_mut()
    }

    /// Server time now, by the corrected clock.
    pub fn server_now(&self) -> f64 {
        let local = self.env.now_ms();
        self.state().clock().now(local)
    }

    /// Reads the stored tokens, removes unusable ones, dispatches `restored`.
    pub async fn start(self: &Rc<Self>) -> Result<(), Error> {
        let access = self.load_usable(Slot::Access).await?;
        // In cookie mode the refresh token's key is never read or written.
        let refresh = match self.config.cookie {
            true => None,
            false => self.load_usable(Slot::Refresh).await?,
        };
        if let Some(access) = &access {
            self.adopt_access(access, None, Arrival::Stored);
        }
        self.state_mut().set_refresh(refresh);
        let s = self.session();
        self.env.dispatch(Action::Restored {
            authenticated: s.authenticated,
            claims: s.claims,
            expires_at: s.expires_at,
        });
        Ok(())
    }

    async fn load_usable(&self, slot: Slot) -> Result<Option<String>, Error> {
        match self.env.load(slot).await? {
            Stored::Missing => Ok(None),
            Stored::Text(t) if usable_token(&t) => Ok(Some(t)),
            Stored::Text(_) | Stored::NotText => {
                self.env.remove(slot).await?;
                Ok(None)
            }
        }
    }

    /// Sets the access token in memory (see [`State::take_access`]).
    pub(crate) fn adopt_access(&self, access: &str, expires_in: Option<f64>, arrival: Arrival) {
        let info = self.env.inspect(access);
        let local = self.env.now_ms();
        self.state_mut()
            .take_access(access, info, expires_in, arrival, local);
    }

    /// Wakes the waiters of a flight that a new epoch or another tab's tokens took.
    pub(crate) fn settle(&self, flight: Option<Flight>, outcome: Result<(), Error>) {
        if let Some(f) = flight {
            self.env.cancel_refresh();
            f.outcome.complete(outcome);
        }
    }

    /// Ends the current session epoch: the flight in flight (if any) is discarded and its
    /// waiters get `outcome`.
    pub(crate) fn new_epoch(&self, outcome: Result<(), Error>) {
        let flight = self.state_mut().next_epoch();
        self.settle(flight, outcome);
    }

    /// The one place a session ends in memory, whatever ended it (`logout()`, a refused refresh,
    /// another tab's logout or expiry): the epoch's waiters get `waiters` (when given), the
    /// tokens are forgotten, and `expired` says which end it was. Returns true when the end is
    /// an expiry to announce: there was a session. A second end finds no tokens, so each
    /// session's expiry is announced once, and a session that a later token began is announced
    /// again.
    pub(crate) fn end_session(&self, expired: bool, waiters: Option<Error>) -> bool {
        if let Some(error) = waiters {
            self.new_epoch(Err(error));
        }
        let had_session = self.state().authenticated();
        self.state_mut().end(expired);
        expired && had_session
    }

    /// `login({ accessToken, refreshToken })`.
    pub async fn login(self: &Rc<Self>, tokens: TokenSet) -> Result<(), Error> {
        self.check_alive()?;
        if !usable_token(&tokens.access)
            || tokens.refresh.as_deref().is_some_and(|r| !usable_token(r))
        {
            return Err(Error::new(
                Code::InvalidToken,
                "login: accessToken (and refreshToken, when given) must be non-empty strings of visible ASCII (no whitespace)",
            ));
        }
        self.new_epoch(Ok(()));
        self.adopt_access(&tokens.access, tokens.expires_in, Arrival::Login);
        let epoch = {
            let mut st = self.state_mut();
            st.set_refresh(tokens.refresh.clone());
            st.epoch()
        };
        let written = self
            .write_tokens(&tokens.access, tokens.refresh.as_deref(), true)
            .await;
        // A logout or another login while the tokens were written came later: its action, not
        // this one, says where the session is.
        if self.state().epoch() != epoch {
            return written;
        }
        // These very tokens expired meanwhile (a request refreshed them, and the refresh token
        // was refused): sessionExpired told the listeners; the caller learns it here.
        if !self.state().authenticated() {
            return Err(self.ended_error());
        }
        // Other tabs and clients sharing the storage take the stored tokens as their login.
        if written.is_ok() {
            let fp = self.stored_fingerprint(&tokens.access, tokens.refresh.as_deref());
            self.env.broadcast(Broadcast::LoggedIn(fp));
        }
        let s = self.session();
        self.env.dispatch(Action::LoggedIn {
            claims: s.claims,
            expires_at: s.expires_at,
        });
        written
    }

    /// The fingerprint of the pair as storage holds it once `access` and `refresh` are written
    /// (in cookie mode the refresh token is not ours to store).
    pub(crate) fn stored_fingerprint(&self, access: &str, refresh: Option<&str>) -> u64 {
        pair_fingerprint(access, refresh.filter(|_| !self.config.cookie))
    }

    /// Writes the tokens, the refresh token first: another tab that sees the new access token
    /// then also sees the refresh token issued with it (storage reaches other tabs in the order
    /// of the writes). On failure they stay in memory, marked unsaved.
    pub(crate) async fn write_tokens(
        &self,
        access: &str,
        refresh: Option<&str>,
        remove_missing: bool,
    ) -> Result<(), Error> {
        self.state_mut().set_writing(true);
        let result = self.write_pair(access, refresh, remove_missing).await;
        self.state_mut().set_writing(false);
        result
    }

    async fn write_pair(
        &self,
        access: &str,
        refresh: Option<&str>,
        remove_missing: bool,
    ) -> Result<(), Error> {
        let mark = |core: &Self| {
            let st = core.state();
            (st.epoch(), st.generation())
        };
        let before = mark(self);
        let mut result = match (refresh, self.config.cookie) {
            (_, true) => Ok(()),
            (Some(r), false) => self.env.store(Slot::Refresh, r.to_string()).await,
            (None, false) if remove_missing => self.env.remove(Slot::Refresh).await,
            (None, false) => Ok(()),
        };
        // A logout or login while the first write was pending owns storage now, and so does
        // whatever replaced these tokens in memory (a refresh writing its own, an expiry that
        // removed them): writing on would put back a token it replaced.
        if mark(self) != before {
            return Ok(());
        }
        if result.is_ok() {
            result = self.env.store(Slot::Access, access.to_string()).await;
        }
        if mark(self) == before {
            self.state_mut().set_unsaved(result.is_err());
        }
        result
    }

    /// [`Core::save_unsaved`] once for every request that asks while it runs: the first starts
    /// it, the others wait for the same write.
    pub(crate) fn join_or_start_save(self: &Rc<Self>) -> Rc<Shared<Outcome>> {
        if let Some(saving) = self.state().saving() {
            return saving;
        }
        let done = Shared::new();
        self.state_mut().set_saving(Some(Rc::clone(&done)));
        let core = Rc::clone(self);
        let saved = Rc::clone(&done);
        self.env.spawn(Box::pin(async move {
            core.save_unsaved().await;
            core.state_mut().set_saving(None);
            saved.complete(Ok(()));
        }));
        done
    }

    /// Writes tokens that storage refused earlier; errors are kept for the next try.
    async fn save_unsaved(&self) {
        let pending = {
            let st = self.state();
            st.unsaved()
                .then(|| (st.access().cloned(), st.refresh().cloned(), st.epoch()))
        };
        if let Some((Some(access), refresh, epoch)) = pending {
            if self.state().epoch() == epoch {
                let _ = self.write_tokens(&access, refresh.as_deref(), false).await;
            }
        }
    }

    /// `logout()`: held requests reject with LOGGED_OUT, the refresh in flight is discarded.
    /// With `revoke`, then revokes the refresh token (or, without one, the access token; in
    /// cookie mode, the cookie's) and resolves with whether the endpoint accepted it; a failed
    /// revocation never fails the logout.
    pub async fn logout(self: &Rc<Self>) -> Result<bool, Error> {
        self.check_alive()?;
        let (mut token, mut hint, unsaved) = {
            let st = self.state();
            match (st.refresh(), st.access()) {
                (Some(r), _) => (Some(r.clone()), "refresh_token", st.unsaved()),
                (None, a) => (a.cloned(), "access_token", st.unsaved()),
            }
        };
        let had_session = token.is_some();
        self.end_session(
            false,
            Some(Error::new(
                Code::LoggedOut,
                "logout() ran while this request was waiting for a token refresh",
            )),
        );
        let epoch = self.state().epoch();
        // The refresh token to revoke is the live one: the one storage holds (another tab's
        // rotation may have replaced ours, its news still on the way), unless storage refused
        // ours, which is then newer.
        if self.config.revoke && had_session && !self.config.cookie && !unsaved {
            if let Ok(Stored::Text(stored)) = self.env.load(Slot::Refresh).await {
                if usable_token(&stored) {
                    (token, hint) = (Some(stored), "refresh_token");
                }
            }
        }
        // A login while storage was read owns storage now. (The comparison is bound first: a
        // borrow of the state must not live across the await.)
        let current = self.state().epoch() == epoch;
        let removed = match current {
            true => self.remove_tokens().await,
            false => Ok(()),
        };
        // A login while the tokens were removed came later: the session is its.
        if self.state().epoch() == epoch {
            self.env.broadcast(Broadcast::LoggedOut);
            self.env.dispatch(Action::LoggedOut);
        }
        let revoked = match (self.config.revoke, self.config.cookie) {
            (true, true) => self.env.revoke(None, hint).await,
            (true, false) if had_session => self.env.revoke(token, hint).await,
            _ => false,
        };
        removed.map(|_| revoked)
    }

    /// Removes the stored tokens (in cookie mode only the access token: the refresh token's
    /// key is never touched).
    async fn remove_tokens(&self) -> Result<(), Error> {
        let epoch = self.state().epoch();
        let a = self.env.remove(Slot::Access).await;
        // A login while the first removal was pending owns storage now: removing the refresh
        // token then could delete the one it writes.
        if self.config.cookie || self.state().epoch() != epoch {
            return a;
        }
        let r = self.env.remove(Slot::Refresh).await;
        a.and(r)
    }

    /// Ends the session after a definitive failure: tokens removed, `sessionExpired` once, and
    /// only when there was a session (in cookie mode, asking the cookie may find none).
    pub(crate) async fn expire_session(&self, reason: EndReason) {
        let first = self.end_session(true, None);
        // Removal failures leave nothing usable in memory; the next start cleans up or reuses.
        let _ = self.remove_tokens().await;
        if first {
            self.env.broadcast(Broadcast::SessionExpired);
            self.env.dispatch(Action::SessionExpired(reason));
        }
    }

    /// `dispose()`: held requests reject with LOGGED_OUT; tokens are kept.
    pub fn dispose(&self) {
        let flight = self.state_mut().dispose();
        let error = Error::new(
            Code::LoggedOut,
            "the client was disposed while this request was waiting",
        );
        self.settle(flight, Err(error));
    }

    pub(crate) fn check_alive(&self) -> Result<(), Error> {
        if self.state().disposed() {
            Err(Error::new(
                Code::LoggedOut,
                "this client was disposed; create a new one",
            ))
        } else {
            Ok(())
        }
    }

    /// `session()`.
    pub fn session(&self) -> Session<E::Claims> {
        let st = self.state();
        Session {
            authenticated: st.authenticated(),
            claims: st.info().claims.clone(),
            expires_at: st.info().expires_at,
        }
    }

    /// The error for a request that finds no session any more.
    pub(crate) fn ended_error(&self) -> Error {
        if self.state().expired() {
            Error::new(Code::SessionExpired, "the session expired; log in again")
        } else {
            Error::new(
                Code::LoggedOut,
                "logged out while this request was in flight",
            )
        }
    }
}
