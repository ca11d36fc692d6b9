//! The client's state and its session operations: start, login, logout, dispose, session().
//! Requests are in `pipeline.rs`, the shared refresh in `refresh.rs`.
//!
//! Invariants: a `RefCell` borrow never lives across an `.await` or a `dispatch` (listeners may
//! call back into the client); every change of the access token bumps `generation`; every login,
//! logout and dispose bumps `epoch`, which discards a refresh in flight.

use std::cell::{Ref, RefCell, RefMut};
use std::rc::Rc;

use crate::clock::Clock;
use crate::config::Config;
use crate::env::{Action, Broadcast, EndReason, Env, Slot, Stored, TokenInfo, TokenSet};
use crate::error::{Code, Error};
use crate::policy::{usable_token, Lifetime};
use crate::refresh::Flight;

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

/// The client core, shared by every request and the refresh task.
pub struct Core<E: Env> {
    pub(crate) env: E,
    pub(crate) config: Config,
    state: RefCell<State<E::Claims>>,
}

pub(crate) struct State<C> {
    pub access: Option<String>,
    pub refresh: Option<String>,
    pub info: TokenInfo<C>,
    pub lifetime: Lifetime,
    pub generation: u64,
    pub epoch: u64,
    pub flight: Option<Flight>,
    pub clock: Clock,
    /// `(generation, until)`: rejections of that token start no refresh until device time
    /// `until` (API.md, "No refresh storms").
    pub cooldown: Option<(u64, f64)>,
    /// The API accepted the current access token at least once.
    pub accepted: bool,
    /// The current access token came from a refresh that a rejection started.
    pub after_rejection: bool,
    /// The last failed refresh: `(generation, device ms, error)`.
    pub failure: Option<(u64, f64, Error)>,
    /// The session ended by expiry (tokens removed) and no login came since.
    pub expired: bool,
    /// Tokens in memory that storage failed to take; written again by the next request.
    pub unsaved: bool,
    pub disposed: bool,
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

    /// A logged-out core; call [`Core::start`] to read storage.
    pub fn new(env: E, config: Config) -> Rc<Self> {
        Rc::new(Core {
            env,
            config,
            state: RefCell::new(State {
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
                failure: None,
                expired: false,
                unsaved: false,
                disposed: false,
            }),
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
        self.state().clock.now(local)
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
        self.state_mut().refresh = refresh;
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

    /// Sets the access token in memory: decodes it, updates the clock when the token is new
    /// (from its `iat`, or a refresh response's `Date`), bumps the generation. A stored token
    /// tells the clock nothing: its `iat` may be long past, and taking it as "now" would make an
    /// expired token look fresh.
    pub(crate) fn adopt_access(&self, access: &str, expires_in: Option<f64>, arrival: Arrival) {
        let info = self.env.inspect(access);
        let local = self.env.now_ms();
        let mut st = self.state_mut();
        match (arrival, info.issued_at) {
            (Arrival::Login | Arrival::Refresh(_), Some(iat)) => {
                st.clock.observe_issued_at(iat, local)
            }
            (Arrival::Refresh(Some(date)), None) => st.clock.observe_date(date, local),
            (Arrival::Stored, _) | (Arrival::Login | Arrival::Refresh(None), None) => {}
        }
        let now = st.clock.now(local);
        let expires_at = info.expires_at.or(expires_in.map(|s| now + s * 1_000.0));
        st.lifetime = Lifetime {
            expires_at,
            issued_at: info.issued_at.or(expires_in.map(|_| now)),
            arrived_at: matches!(arrival, Arrival::Refresh(_)).then_some(now),
        };
        st.info = TokenInfo { expires_at, ..info };
        st.access = Some(access.to_string());
        st.generation += 1;
        st.accepted = false;
        st.after_rejection = false;
        st.expired = false;
    }

    /// Clears the tokens in memory.
    pub(crate) fn forget_tokens(&self) {
        let mut st = self.state_mut();
        st.access = None;
        st.refresh = None;
        st.info = TokenInfo {
            claims: None,
            expires_at: None,
            issued_at: None,
        };
        st.lifetime = Lifetime::default();
        st.generation += 1;
        st.unsaved = false;
    }

    /// Ends the current session epoch: the flight in flight (if any) is discarded and its
    /// waiters get `outcome`.
    pub(crate) fn new_epoch(&self, outcome: Result<(), Error>) {
        let flight = {
            let mut st = self.state_mut();
            st.epoch += 1;
            st.flight.take()
        };
        if let Some(f) = flight {
            self.env.cancel_refresh();
            f.outcome.complete(outcome);
        }
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
        let had_session = self.session().authenticated;
        self.forget_tokens();
        self.state_mut().expired = expired;
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
            st.refresh = tokens.refresh.clone();
            st.epoch
        };
        let written = self
            .write_tokens(&tokens.access, tokens.refresh.as_deref(), true)
            .await;
        // A logout or another login while the tokens were written came later: its action, not
        // this one, says where the session is.
        if self.state().epoch != epoch {
            return written;
        }
        let s = self.session();
        self.env.dispatch(Action::LoggedIn {
            claims: s.claims,
            expires_at: s.expires_at,
        });
        written
    }

    /// Writes the tokens; on failure they stay in memory, marked unsaved.
    pub(crate) async fn write_tokens(
        &self,
        access: &str,
        refresh: Option<&str>,
        remove_missing: bool,
    ) -> Result<(), Error> {
        let epoch = self.state().epoch;
        let mut result = self.env.store(Slot::Access, access.to_string()).await;
        // A logout or login while the first write was pending owns storage now.
        if self.state().epoch != epoch {
            return Ok(());
        }
        if result.is_ok() && !self.config.cookie {
            result = match refresh {
                Some(r) => self.env.store(Slot::Refresh, r.to_string()).await,
                None if remove_missing => self.env.remove(Slot::Refresh).await,
                None => Ok(()),
            };
        }
        if self.state().epoch == epoch {
            self.state_mut().unsaved = result.is_err();
        }
        result
    }

    /// Writes tokens that storage refused earlier; errors are kept for the next try.
    pub(crate) async fn save_unsaved(&self) {
        let pending = {
            let st = self.state();
            st.unsaved
                .then(|| (st.access.clone(), st.refresh.clone(), st.epoch))
        };
        if let Some((Some(access), refresh, epoch)) = pending {
            if self.state().epoch == epoch {
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
        let (token, hint) = {
            let st = self.state();
            match (&st.refresh, &st.access) {
                (Some(r), _) => (Some(r.clone()), "refresh_token"),
                (None, a) => (a.clone(), "access_token"),
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
        let epoch = self.state().epoch;
        let removed = self.remove_tokens().await;
        // A login while the tokens were removed came later: the session is its.
        if self.state().epoch == epoch {
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
        let epoch = self.state().epoch;
        let a = self.env.remove(Slot::Access).await;
        // A login while the first removal was pending owns storage now: removing the refresh
        // token then could delete the one it writes.
        if self.config.cookie || self.state().epoch != epoch {
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
        self.new_epoch(Err(Error::new(
            Code::LoggedOut,
            "the client was disposed while this request was waiting",
        )));
        self.state_mut().disposed = true;
    }

    pub(crate) fn check_alive(&self) -> Result<(), Error> {
        if self.state().disposed {
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
            authenticated: st.access.is_some() || st.refresh.is_some(),
            claims: st.info.claims.clone(),
            expires_at: st.info.expires_at,
        }
    }

    /// The error for a request that finds no session any more.
    pub(crate) fn ended_error(&self) -> Error {
        if self.state().expired {
            Error::new(Code::SessionExpired, "the session expired; log in again")
        } else {
            Error::new(
                Code::LoggedOut,
                "logged out while this request was in flight",
            )
        }
    }
}
