//! Tabs that share storage: the refresh runs under a cross-tab lock, and whoever takes it second
//! finds the first one's tokens in storage instead of burning a rotating refresh token. Messages
//! from other tabs (new tokens, logout, expiry) update this tab's memory and actions; receiving
//! never broadcasts, so there are no echo loops.

use std::rc::Rc;

use crate::core::Core;
use crate::env::{Action, Broadcast, EndReason, Env, Slot, Stored, TokenSet};
use crate::error::{Code, Error};
use crate::policy::{usable_token, Lifetime};
use crate::session::Arrival;

impl<E: Env> Core<E> {
    /// The tokens another tab or client sharing the storage stored, when they are fresh and
    /// not ours. A newer stored refresh token replaces ours either way (rotation burnt the old
    /// one).
    pub(crate) async fn stored_by_another_tab(&self, epoch: u64) -> Option<TokenSet> {
        let read = |stored: Result<Stored, Error>| match stored {
            Ok(Stored::Text(t)) if usable_token(&t) => Some(t),
            _ => None,
        };
        let access = read(self.env.load(Slot::Access).await);
        let refresh = match self.config.cookie {
            true => None,
            false => read(self.env.load(Slot::Refresh).await),
        };
        {
            let st = self.state();
            // Tokens that storage refused are newer than what it holds.
            if st.epoch() != epoch || st.unsaved() {
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
        match fresh {
            // Taken whole by `adopt_from_other_tab`, which compares the refresh tokens first.
            Some(access) => Some(TokenSet {
                access,
                refresh,
                expires_in: None,
            }),
            None => {
                if refresh.is_some() && refresh.as_ref() != self.state().refresh() {
                    self.state_mut().set_refresh(refresh);
                }
                None
            }
        }
    }

    /// Takes tokens another tab stored: memory and actions follow, storage is already right.
    pub(crate) fn adopt_from_other_tab(&self, tokens: TokenSet) {
        let had_session = self.state().authenticated();
        let rotated = tokens.refresh.is_some() && tokens.refresh.as_ref() != self.state().refresh();
        let refresh = tokens.refresh.or_else(|| self.state().refresh().cloned());
        self.adopt_access(&tokens.access, None, Arrival::Stored);
        self.state_mut().set_refresh(refresh);
        let s = self.session();
        self.env.dispatch(if had_session {
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
            Broadcast::Tokens => {
                let epoch = self.state().epoch();
                let Some(tokens) = self.stored_by_another_tab(epoch).await else {
                    return;
                };
                if self.state().epoch() != epoch {
                    return;
                }
                // A refresh of ours in flight is settled with these tokens: it would present a
                // refresh token that the other tab's rotation burnt.
                let flight = self.state_mut().take_flight();
                self.adopt_from_other_tab(tokens);
                self.settle(flight, Ok(()));
            }
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
}
