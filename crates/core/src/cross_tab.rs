//! Tabs that share storage: the refresh runs under a cross-tab lock, and whoever takes it second
//! finds the first one's tokens in storage instead of burning a rotating refresh token. Messages
//! from other tabs (new tokens, logout, expiry) update this tab's memory and actions; receiving
//! never broadcasts, so there are no echo loops.

use std::rc::Rc;

use crate::core::Core;
use crate::env::{pair_fingerprint, Action, Broadcast, EndReason, Env, Slot, Stored, TokenSet};
use crate::error::{Code, Error};
use crate::policy::{usable_token, Lifetime};
use crate::session::Arrival;

impl<E: Env> Core<E> {
    /// The tokens another tab or client sharing the storage stored, when they are fresh and
    /// not ours. A newer stored refresh token replaces ours either way (rotation burnt the old
    /// one).
    ///
    /// A tab writes the refresh token first and then the access token, so storage holding our
    /// access token with another refresh token is most likely a write in progress: storage is
    /// read again, for up to [`MID_WRITE_MS`], until the access token issued with that refresh
    /// token is there too, rather than taking the refresh token alone (which would leave the
    /// writer holding a spent one) or the old access token with the new refresh token.
    pub(crate) async fn stored_by_another_tab(&self, epoch: u64) -> Option<TokenSet> {
        let mut waited = 0.0;
        loop {
            let (access, refresh) = self.stored_tokens().await;
            {
                let st = self.state();
                // Tokens that storage refused are newer than what it holds, and while this
                // client writes its own, storage may hold half of them.
                if st.epoch() != epoch || st.unsaved() || st.writing() {
                    return None;
                }
            }
            let fresh = access
                .filter(|a| self.state().access() != Some(a))
                .filter(|a| {
                    let info = self.env.inspect(a);
                    let lifetime = Lifetime {
                        expires_at: info.expires_at,
                        issued_at: info.issued_at,
                        arrived_at: None,
                    };
                    !lifetime.expiring(self.server_now(), self.config.leeway_ms)
                });
            if let Some(access) = fresh {
                // Taken whole by `adopt_from_other_tab`, which compares the refresh tokens first.
                return Some(TokenSet {
                    access,
                    refresh,
                    expires_in: None,
                });
            }
            if refresh.is_none() || refresh.as_ref() == self.state().refresh() {
                return None;
            }
            if waited >= MID_WRITE_MS {
                self.state_mut().set_refresh(refresh);
                return None;
            }
            self.env.sleep(FOLLOW_POLL_MS).await;
            waited += FOLLOW_POLL_MS;
        }
    }

    /// The usable tokens in storage (the refresh token is not read in cookie mode).
    async fn stored_tokens(&self) -> (Option<String>, Option<String>) {
        let read = |stored: Result<Stored, Error>| match stored {
            Ok(Stored::Text(t)) if usable_token(&t) => Some(t),
            _ => None,
        };
        let access = read(self.env.load(Slot::Access).await);
        let refresh = match self.config.cookie {
            true => None,
            false => read(self.env.load(Slot::Refresh).await),
        };
        (access, refresh)
    }

    /// Takes tokens another tab stored: memory and actions follow, storage is already right.
    pub(crate) fn adopt_from_other_tab(&self, tokens: TokenSet) {
        let refresh = tokens.refresh.or_else(|| self.state().refresh().cloned());
        self.adopt_pair(&tokens.access, refresh, false);
    }

    /// Takes the pair another tab stored: `loggedIn` when it was that tab's login (or this tab
    /// had no session), `refreshSucceeded` otherwise.
    fn adopt_pair(&self, access: &str, refresh: Option<String>, login: bool) {
        let had_session = self.state().authenticated();
        let rotated = refresh.is_some() && refresh.as_ref() != self.state().refresh();
        self.adopt_access(access, None, Arrival::Stored);
        {
            let mut st = self.state_mut();
            st.set_refresh(refresh);
            st.set_unsaved(false); // storage holds this pair
        }
        let s = self.session();
        self.env.dispatch(if had_session && !login {
            Action::RefreshSucceeded {
                claims: s.claims,
                expires_at: s.expires_at,
                rotated,
            }
        } else {
            Action::LoggedIn {
                claims: s.claims,
                expires_at: s.expires_at,
            }
        });
    }

    /// A message from another tab.
    pub async fn on_broadcast(self: &Rc<Self>, message: Broadcast) {
        if self.state().disposed() {
            return;
        }
        match message {
            Broadcast::Tokens(fp) => self.follow(fp, false).await,
            Broadcast::LoggedIn(fp) => self.follow(fp, true).await,
            Broadcast::LoggedOut => {
                let error = Error::new(Code::LoggedOut, "logged out in another tab");
                self.end_session(false, Some(error));
                self.env.dispatch(Action::LoggedOut);
            }
            Broadcast::SessionExpired => {
                let error = Error::new(
                    Code::SessionExpired,
                    "the session expired in another tab; log in again",
                );
                if self.end_session(true, Some(error)) {
                    self.env
                        .dispatch(Action::SessionExpired(EndReason::OtherTab));
                }
            }
        }
    }

    /// Another tab stored the pair of fingerprint `fp` (by a refresh, or its `login()`): takes it
    /// once storage holds exactly that pair. The message may arrive before the write does
    /// (another process), so storage is read again every [`FOLLOW_POLL_MS`] for up to
    /// [`FOLLOW_MS`]; a newer message, a login or logout here, or dispose ends the wait.
    async fn follow(self: &Rc<Self>, fp: u64, login: bool) {
        let (news, epoch) = {
            let mut st = self.state_mut();
            (st.next_news(), st.epoch())
        };
        let deadline = self.env.now_ms() + FOLLOW_MS;
        let current = |core: &Self| {
            let st = core.state();
            st.news() == news && st.epoch() == epoch && !st.disposed()
        };
        let (access, refresh) = loop {
            if let Some(pair) = self.stored_pair(fp).await {
                break pair;
            }
            if !current(self) || self.env.now_ms() >= deadline {
                return;
            }
            self.env.sleep(FOLLOW_POLL_MS).await;
            if !current(self) {
                return;
            }
        };
        let already = {
            let st = self.state();
            st.access() == Some(&access) && st.refresh() == refresh.as_ref()
        };
        if !current(self) || already {
            return;
        }
        // A refresh of ours in flight is settled with these tokens: it would present a refresh
        // token that the other tab's rotation burnt, or one of the session a login replaced.
        let flight = self.state_mut().take_flight();
        self.adopt_pair(&access, refresh, login);
        self.settle(flight, Ok(()));
    }

    /// The pair in storage, when it is the one of fingerprint `fp`.
    async fn stored_pair(&self, fp: u64) -> Option<(String, Option<String>)> {
        let (access, refresh) = self.stored_tokens().await;
        let access = access?;
        (pair_fingerprint(&access, refresh.as_deref()) == fp).then_some((access, refresh))
    }
}

/// How long a tab waits for storage to hold the pair another tab announced: the write reaches
/// this tab's process some time after the message may have (a loaded browser: up to a second).
pub const FOLLOW_MS: f64 = 3_000.0;

/// How often storage is read meanwhile.
pub const FOLLOW_POLL_MS: f64 = 20.0;

/// How long a refreshing tab waits for the access token that goes with a new refresh token it
/// found in storage (another tab's write in progress).
pub const MID_WRITE_MS: f64 = 250.0;
