//! `logout()`: the session ends here at once (held requests reject with LOGGED_OUT, the refresh
//! in flight is discarded); the tokens are removed from storage; with `revoke`, the refresh
//! token (or, without one, the access token; in cookie mode, the cookie's) is revoked, and the
//! call resolves with whether the endpoint accepted it. A failed revocation never fails it.
//!
//! With `crossTab`, the removal happens under the call lock, which a refreshing tab holds around
//! its refresh call and the write of its result (`flight.rs`). Without it, another tab's refresh
//! call that was out when the user logged out wrote its new pair after the removal: the session
//! came back in every tab, its refresh token live and never revoked. So the logout waits for that
//! write (when the lock was contended, for it to reach this tab's storage, as a refresh does) and
//! revokes the pair it stored; and it holds the lock a little after its removal, so that a tab
//! that takes the lock next has the removal in its storage before it reads.

use crate::action::{pair_fingerprint, Action, Message};
use crate::client::Client;
use crate::effect::{Answer, Effect, Id, Io, Lock, Revoke, Slot, NO_CALLER};
use crate::error::{Code, Error};
use crate::flight::SETTLE_MS;
use crate::input::Stored;
use crate::keys::Signing;
use crate::offline::Kept;
use crate::storage::{usable, Read, Remove};
use crate::tasks::Task;

/// Where a `logout()` is.
#[derive(Debug)]
enum At {
    /// Reading the refresh token storage holds, before asking for the lock (with `crossTab`):
    /// what is revoked if a login makes the removal moot meanwhile.
    FirstRead(Io),
    /// Waiting for the call lock (with `crossTab`).
    Locking,
    /// The lock was contended: the write of the tab that held it may still be on its way to
    /// this tab's storage, until then (monotonic ms).
    Settling(f64),
    /// Reading the pair storage holds: its refresh token is the live one, to revoke; with
    /// `crossTab`, the pair removed is what the message to the other tabs names.
    Reading(Read),
    /// Removing the tokens.
    Removing(Remove),
    /// Waiting for the revocation (sent again with the server's DPoP nonce: true).
    Revoking(Result<(), Error>, bool),
}

/// One `logout()` call at work.
#[derive(Debug)]
pub(crate) struct Logout {
    pub id: Id,
    pub serial: u64,
    /// The `login()` calls before it: one after it owns storage. (Another tab's logout or
    /// expiry meanwhile is no reason to stop.)
    logins: u64,
    /// What it revokes, and the `token_type_hint`.
    token: Option<String>,
    hint: &'static str,
    had_session: bool,
    /// Storage is read for the live refresh token before the removal.
    read: bool,
    /// It holds the call lock.
    locked: bool,
    /// The pair it removes (read under the lock), as the message to the other tabs names it.
    removes: Option<u64>,
    /// `logout()` calls made while it had yet to remove the tokens: they settle as it does.
    joined: Vec<Id>,
    at: At,
}

impl Logout {
    pub fn wake_at(&self) -> Option<f64> {
        match self.at {
            At::Settling(until) => Some(until),
            _ => None,
        }
    }

    pub fn owns(&self, io: Io) -> bool {
        match &self.at {
            At::FirstRead(i) => *i == io,
            At::Reading(r) => r.io == io,
            At::Removing(r) => r.io == io,
            _ => false,
        }
    }

    /// It has not removed the tokens yet: news of other tabs' tokens is not taken meanwhile
    /// (the removal is newer than they are).
    pub fn before_removal(&self) -> bool {
        matches!(
            self.at,
            At::FirstRead(_) | At::Locking | At::Settling(_) | At::Reading(_) | At::Removing(_)
        )
    }

    /// The `logout()` calls it settles.
    pub fn callers(&self) -> Vec<Id> {
        let mut ids = vec![self.id];
        ids.extend(&self.joined);
        ids.retain(|&id| id != NO_CALLER);
        ids
    }

    /// Whether it is the call `id` waiting for its revocation.
    fn revoking(&self, id: Id) -> bool {
        self.id == id && matches!(self.at, At::Revoking(..))
    }
}

impl Client {
    /// `logout()`, call `id`.
    pub(crate) fn logout(&mut self, id: Id) {
        let (token, hint) = match (self.st.refresh(), self.st.access()) {
            (Some(r), _) => (Some(r.clone()), "refresh_token"),
            (None, a) => (a.cloned(), "access_token"),
        };
        let unsaved = self.st.unsaved();
        let had_session = token.is_some();
        self.end_session(
            false,
            Some(Error::new(
                Code::LoggedOut,
                "logout() ran while this request was waiting for a token refresh",
            )),
        );
        if !had_session {
            self.ended = 0;
        }
        // A logout that has yet to remove the tokens, with no login since it began, does this
        // one's work.
        let logins = self.logins;
        if let Some(Task::Logout(l)) = self
            .tasks
            .iter_mut()
            .find(|t| matches!(t, Task::Logout(l) if l.before_removal() && l.logins == logins))
        {
            return l.joined.push(id);
        }
        // The refresh token to revoke is the live one: the one storage holds (another tab's
        // rotation may have replaced ours, its news still on the way), unless storage refused
        // ours, which is then newer.
        let read =
            self.config.revoke_url.is_some() && had_session && !self.config.cookie && !unsaved;
        let l = Logout {
            id,
            serial: self.serial(),
            logins: self.logins,
            token,
            hint,
            had_session,
            read,
            locked: false,
            removes: None,
            joined: Vec::new(),
            at: At::Locking,
        };
        if !self.config.cross_tab {
            return self.logout_go(l);
        }
        // An earlier logout that a login made moot hands over its wait for the lock, or the
        // lock: a tab asks for it once at a time (one still reading asks for nothing: the login
        // made it moot).
        let prev = self.take_task(|t| {
            matches!(t, Task::Logout(l) if l.before_removal() && !matches!(l.at, At::FirstRead(_)))
        });
        if let Some(Task::Logout(mut prev)) = prev {
            let mut l = l;
            l.locked = std::mem::take(&mut prev.locked);
            let waits = matches!(prev.at, At::Locking | At::Settling(_));
            if waits {
                l.at = std::mem::replace(&mut prev.at, At::Locking);
            }
            self.logout_removed(prev, Ok(()), false);
            return match waits {
                true => self.tasks.push(Task::Logout(l)),
                false => self.logout_go(l),
            };
        }
        if l.read {
            let mut l = l;
            let io = self.io();
            self.emit(Effect::Load {
                io,
                slot: Slot::Refresh,
            });
            l.at = At::FirstRead(io);
            return self.tasks.push(Task::Logout(l));
        }
        self.logout_lock(l);
    }

    /// Logout `l` asks for the call lock.
    fn logout_lock(&mut self, mut l: Logout) {
        // An earlier logout's hold on the lock ends now: this one asks for it anew.
        if self.take_task(|t| matches!(t, Task::Hold { .. })).is_some() {
            self.release(Lock::Logout);
        }
        let timeout_ms = self.config.lock_timeout_ms;
        self.emit(Effect::Lock {
            which: Lock::Logout,
            timeout_ms,
        });
        l.at = At::Locking;
        self.tasks.push(Task::Logout(l));
    }

    /// Whether a logout of this tab has yet to remove the tokens.
    /// (one that a login since made moot does not count).
    pub(crate) fn logging_out(&self) -> bool {
        let logins = self.logins;
        self.tasks
            .iter()
            .any(|t| matches!(t, Task::Logout(l) if l.before_removal() && l.logins == logins))
    }

    /// The shell's answer to the call lock a logout asked for (not granted: the wait timed out,
    /// a frozen tab holds it, or there are no Web Locks: it goes on without).
    pub(crate) fn logout_locked(&mut self, granted: bool, contended: bool) {
        let found = self.take_task(|t| {
            matches!(
                t,
                Task::Logout(Logout {
                    at: At::Locking,
                    ..
                })
            )
        });
        let Some(Task::Logout(mut l)) = found else {
            if granted {
                self.release(Lock::Logout);
            }
            return;
        };
        l.locked = granted;
        if granted && contended {
            l.at = At::Settling(self.mono + SETTLE_MS);
            return self.tasks.push(Task::Logout(l));
        }
        self.logout_go(l);
    }

    /// The settle wait of a logout is over.
    pub(crate) fn logout_woke(&mut self, l: Logout) {
        match l.at {
            At::Settling(_) => self.logout_go(l),
            _ => self.tasks.push(Task::Logout(l)),
        }
    }

    /// Reads the live refresh token, or removes the tokens.
    fn logout_go(&mut self, mut l: Logout) {
        // A login while the logout waited owns storage now.
        if self.logins != l.logins {
            return self.logout_removed(l, Ok(()), false);
        }
        if l.read || self.config.cross_tab {
            l.at = At::Reading(Read::start(self));
        } else {
            l.at = At::Removing(Remove::start(self));
        }
        self.tasks.push(Task::Logout(l));
    }

    /// A storage operation of logout `l` ended.
    pub(crate) fn logout_storage(
        &mut self,
        mut l: Logout,
        result: Result<Option<Stored<'_>>, bool>,
    ) {
        match (std::mem::replace(&mut l.at, At::Locking), result) {
            (At::FirstRead(_), Ok(value)) => {
                // What a read shows after a login is that login's.
                let stored = usable(value).filter(|_| self.logins == l.logins);
                if let Some(stored) = stored {
                    (l.token, l.hint) = (Some(stored), "refresh_token");
                }
                match self.logins == l.logins {
                    true => self.logout_lock(l),
                    // A login meanwhile owns storage.
                    false => self.logout_removed(l, Ok(()), false),
                }
            }
            (At::Reading(mut read), Ok(value)) => {
                let Some((access, refresh)) = read.feed(self, value) else {
                    l.at = At::Reading(read);
                    return self.tasks.push(Task::Logout(l));
                };
                if self.logins != l.logins {
                    return self.logout_removed(l, Ok(()), false);
                }
                if let (true, Some(stored)) = (l.read, &refresh) {
                    (l.token, l.hint) = (Some(stored.clone()), "refresh_token");
                }
                l.removes = access.map(|a| pair_fingerprint(&a, refresh.as_deref()));
                l.at = At::Removing(Remove::start(self));
                self.tasks.push(Task::Logout(l));
            }
            (At::Removing(mut remove), Err(ok)) => match remove.feed(self, ok) {
                None => {
                    l.at = At::Removing(remove);
                    self.tasks.push(Task::Logout(l));
                }
                Some(removed) => {
                    // A login while the tokens were removed came later: the session is its.
                    if self.logins == l.logins {
                        let fp = l.removes.unwrap_or(self.ended);
                        self.emit(Effect::Post(Message::LoggedOut(fp).text()));
                        self.dispatch(Action::LoggedOut);
                    }
                    self.logout_removed(l, removed, true)
                }
            },
            (at, _) => {
                l.at = at;
                self.tasks.push(Task::Logout(l));
            }
        }
    }

    /// The tokens are removed (or a login took storage over): the call lock is let go (after a
    /// while, once it removed), then the revocation is sent (or kept, offline).
    fn logout_removed(&mut self, mut l: Logout, removed: Result<(), Error>, held: bool) {
        if std::mem::take(&mut l.locked) {
            match held {
                true => {
                    let (serial, until) = (self.serial(), self.mono + SETTLE_MS);
                    self.tasks.push(Task::Hold { serial, until });
                }
                false => self.release(Lock::Logout),
            }
        }
        let revoke = self.config.revoke_url.is_some();
        let sends = revoke && (self.config.cookie || l.had_session);
        if !sends {
            self.new_key();
            let value = Answer::LoggedOut {
                revoked: false,
                pending: false,
            };
            return self.logout_settle(l, removed, value);
        }
        // Offline: the session has ended here; its revocation waits in storage for the network.
        if !self.online {
            self.new_key();
            // In cookie mode the cookie is revoked: no token is kept.
            let token = l.token.filter(|_| !self.config.cookie);
            let hint = l.hint;
            let joined = Answer::LoggedOut {
                revoked: false,
                pending: true,
            };
            for id in std::mem::take(&mut l.joined) {
                self.settle(id, removed.clone(), joined.clone());
            }
            return self.keep_revocation(l.id, removed, Kept { token, hint });
        }
        let call = self.revoke_call(l.id, l.token.as_deref(), l.hint);
        self.send_revoke(call);
        l.at = At::Revoking(removed, false);
        self.tasks.push(Task::Logout(l));
    }

    /// Sends a revocation; with DPoP, once its proof is signed (with the session's key: the
    /// next session's is made after).
    pub(crate) fn send_revoke(&mut self, call: Revoke) {
        let url = self
            .config
            .revoke_url
            .clone()
            .filter(|_| self.dpop.is_some());
        let input = url.and_then(|u| self.proof_input("POST", &u, None, None));
        match input {
            Some(input) => self.sign(Signing::Revoke { call, input }),
            None => self.emit(Effect::Revoke(call)),
        }
    }

    /// The revocation of `logout()` call `id` ended with `status` (`None`: no answer).
    pub(crate) fn revoked(
        &mut self,
        id: Id,
        status: Option<u16>,
        nonce: Option<&str>,
        body: Option<&str>,
    ) {
        let use_nonce = cfg!(feature = "dpop")
            && status == Some(400)
            && body
                .and_then(|b| crate::json::Json::parse(b).ok())
                .is_some_and(|b| {
                    b.get("error").and_then(crate::json::Json::str) == Some("use_dpop_nonce")
                });
        if let Some(url) = self.config.revoke_url.clone() {
            self.nonce_from(&url, nonce);
        }
        if self.is_kept(id) {
            return self.kept_revoked(status, use_nonce);
        }
        let Some(Task::Logout(mut l)) =
            self.take_task(|t| matches!(t, Task::Logout(l) if l.revoking(id)))
        else {
            return;
        };
        let At::Revoking(removed, nonce_sent) = std::mem::replace(&mut l.at, At::Locking) else {
            return;
        };
        // The server wants its DPoP nonce in the proof: sent once more with it.
        if use_nonce && self.dpop.is_some() && !nonce_sent {
            let call = self.revoke_call(id, l.token.as_deref(), l.hint);
            self.send_revoke(call);
            l.at = At::Revoking(removed, true);
            return self.tasks.push(Task::Logout(l));
        }
        self.new_key();
        let revoked = status.is_some_and(|s| (200..300).contains(&s));
        let value = Answer::LoggedOut {
            revoked,
            pending: false,
        };
        self.logout_settle(l, removed, value);
    }

    /// Logout `l` settles, and the calls that joined it.
    fn logout_settle(&mut self, l: Logout, removed: Result<(), Error>, value: Answer) {
        for id in l.joined {
            self.settle(id, removed.clone(), value.clone());
        }
        self.settle(l.id, removed, value);
    }
}
