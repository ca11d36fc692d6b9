//! The session operations that work with storage: start (read the stored tokens), login, logout
//! (with revocation), the expiry of a session whose token was rejected with nothing to refresh
//! it, the write of tokens storage refused before, and taking another tab's news ([`Watch`],
//! in `tabs.rs`). Each is a [`Task`] fed with the results of its storage operations.

use crate::action::{Action, EndReason, Message};
use crate::client::Client;
use crate::effect::{Answer, Effect, Id, Io, Lock, Slot, NO_CALLER};
use crate::error::{cat, Code, Error};
use crate::input::Stored;
use crate::logout::Logout;
use crate::policy::usable_token;
use crate::reply::token_set_text;
use crate::session::Arrival;
use crate::storage::{storage_error, Remove, Write};
use crate::tabs::Watch;

/// Where `createAuthClient`'s read of storage is.
#[derive(Debug)]
pub(crate) enum Starting {
    /// Waiting for the DPoP key pair (read or made by the shell's key store).
    Key,
    /// Reading the access token.
    Access,
    /// Removing an unusable access token.
    RemoveAccess,
    /// Reading the refresh token.
    Refresh { access: Option<String> },
    /// Removing an unusable refresh token.
    RemoveRefresh { access: Option<String> },
}

/// Storage work in progress.
#[derive(Debug)]
pub(crate) enum Task {
    Start {
        id: Id,
        serial: u64,
        io: Io,
        at: Starting,
    },
    Login {
        id: Id,
        serial: u64,
        epoch: u64,
        write: Write,
    },
    Logout(Logout),
    /// A logout's hold on the call lock after its removal (see `logout.rs`), let go at `until`.
    Hold {
        serial: u64,
        until: f64,
    },
    /// Writing tokens storage refused before; requests wait for it once.
    Save {
        serial: u64,
        write: Write,
    },
    /// Removing the tokens of a session that ended.
    Expire {
        serial: u64,
        remove: Remove,
        announce: bool,
        reason: EndReason,
    },
    /// Waiting for storage to hold what other tabs announced.
    Watch(Watch),
}

impl Task {
    pub fn serial(&self) -> u64 {
        match self {
            Task::Logout(l) => l.serial,
            Task::Start { serial, .. }
            | Task::Login { serial, .. }
            | Task::Hold { serial, .. }
            | Task::Save { serial, .. }
            | Task::Expire { serial, .. } => *serial,
            Task::Watch(w) => w.serial,
        }
    }

    /// The API calls it settles.
    pub fn callers(&self) -> Vec<Id> {
        match self {
            Task::Start { id, .. } | Task::Login { id, .. } => vec![*id],
            Task::Logout(l) => l.callers(),
            _ => Vec::new(),
        }
    }

    /// When it wants to be called back.
    pub fn wake_at(&self) -> Option<f64> {
        match self {
            Task::Watch(w) => w.wake_at(),
            Task::Logout(l) => l.wake_at(),
            Task::Hold { until, .. } => Some(*until),
            _ => None,
        }
    }

    fn owns(&self, io: Io) -> bool {
        match self {
            Task::Start { io: i, .. } => *i == io,
            Task::Login { write, .. } | Task::Save { write, .. } => write.io == io,
            Task::Logout(l) => l.owns(io),
            Task::Expire { remove, .. } => remove.io == io,
            Task::Watch(w) => w.owns(io),
            Task::Hold { .. } => false,
        }
    }

    fn writes(&self) -> bool {
        matches!(self, Task::Login { .. } | Task::Save { .. })
    }
}

impl Client {
    pub(crate) fn take_task(&mut self, pick: impl Fn(&Task) -> bool) -> Option<Task> {
        let at = self.tasks.iter().position(pick)?;
        Some(self.tasks.swap_remove(at))
    }

    /// This client is writing its own tokens: storage may hold half of them.
    pub(crate) fn writing(&self) -> bool {
        self.flight.as_ref().is_some_and(|f| f.writing()) || self.tasks.iter().any(Task::writes)
    }

    /// A storage operation ended: handed to the flight or the task that asked for it.
    pub(crate) fn storage_done(&mut self, io: Io, result: Result<Option<Stored<'_>>, bool>) {
        if self.flight_storage(io, result) || self.kept_storage(io, result) {
            return;
        }
        let Some(task) = self.take_task(|t| t.owns(io)) else {
            return;
        };
        match (task, result) {
            (Task::Start { id, serial, at, .. }, result) => self.starting(id, serial, at, result),
            (
                Task::Login {
                    id,
                    serial,
                    epoch,
                    mut write,
                },
                Err(ok),
            ) => match write.feed(self, ok) {
                None => self.tasks.push(Task::Login {
                    id,
                    serial,
                    epoch,
                    write,
                }),
                Some(written) => self.logged_in(id, epoch, written),
            },
            (Task::Save { serial, mut write }, Err(ok)) => match write.feed(self, ok) {
                None => self.tasks.push(Task::Save { serial, write }),
                // Errors are kept for the next try: the tokens stay unsaved.
                Some(_) => self.resume(serial, Ok(())),
            },
            (
                Task::Expire {
                    serial,
                    mut remove,
                    announce,
                    reason,
                },
                Err(ok),
            ) => match remove.feed(self, ok) {
                None => self.tasks.push(Task::Expire {
                    serial,
                    remove,
                    announce,
                    reason,
                }),
                // Removal failures leave nothing usable in memory; the next start cleans up.
                Some(_) => {
                    if announce {
                        self.emit(Effect::Post(Message::SessionExpired(self.ended).text()));
                        self.dispatch(Action::SessionExpired(reason));
                    }
                    self.new_key();
                    self.resume(serial, Ok(()));
                }
            },
            (Task::Logout(l), result) => self.logout_storage(l, result),
            (Task::Watch(w), Ok(value)) => self.watched(w, value),
            (task, _) => self.tasks.push(task),
        }
    }

    /// A task's timer came due.
    pub(crate) fn task_woke(&mut self, serial: u64) {
        match self.take_task(|t| t.serial() == serial) {
            Some(Task::Watch(w)) => self.watch_again(w),
            Some(Task::Logout(l)) => self.logout_woke(l),
            Some(Task::Hold { .. }) => self.release(Lock::Logout),
            Some(task) => self.tasks.push(task),
            None => {}
        }
    }

    // Start.

    /// Reads the stored tokens (removing unusable ones), then dispatches `restored`.
    pub(crate) fn start(&mut self, id: Id) {
        let serial = self.serial();
        // With DPoP the key pair exists from the start: read (or made) first.
        if self.load_key(false).is_some() {
            return self.tasks.push(Task::Start {
                id,
                serial,
                io: 0,
                at: Starting::Key,
            });
        }
        self.read_stored(id, serial);
    }

    fn read_stored(&mut self, id: Id, serial: u64) {
        let io = self.io();
        self.emit(Effect::Load {
            io,
            slot: Slot::Access,
        });
        self.tasks.push(Task::Start {
            id,
            serial,
            io,
            at: Starting::Access,
        });
    }

    /// The DPoP key arrived (or its store failed): the start goes on (or fails).
    #[cfg_attr(not(feature = "dpop"), allow(dead_code))]
    pub(crate) fn key_for_start(&mut self, outcome: Result<(), Error>) {
        let waiting = self.take_task(|t| {
            matches!(
                t,
                Task::Start {
                    at: Starting::Key,
                    ..
                }
            )
        });
        if let Some(Task::Start { id, serial, .. }) = waiting {
            match outcome {
                Ok(()) => self.read_stored(id, serial),
                Err(error) => self.reject(id, error),
            }
        }
    }

    /// A new session gets a new DPoP key pair (after a logout, or a session that ended).
    pub(crate) fn new_key(&mut self) {
        self.load_key(true);
    }

    fn starting(
        &mut self,
        id: Id,
        serial: u64,
        at: Starting,
        result: Result<Option<Stored<'_>>, bool>,
    ) {
        let slot = match at {
            Starting::Key | Starting::Access | Starting::RemoveAccess => Slot::Access,
            _ => Slot::Refresh,
        };
        let next = match (at, result) {
            (Starting::Access | Starting::Refresh { .. }, Ok(None)) => {
                return self.reject(id, storage_error(slot, "read"));
            }
            (Starting::RemoveAccess | Starting::RemoveRefresh { .. }, Err(false)) => {
                return self.reject(id, storage_error(slot, "remove"));
            }
            (at, Ok(Some(value))) => {
                let kept = match value {
                    Stored::Text(t) if usable_token(t) => Some(t.to_string()),
                    _ => None,
                };
                let unusable = kept.is_none() && value != Stored::Missing;
                match (at, unusable) {
                    (Starting::Access, true) => Starting::RemoveAccess,
                    (Starting::Access, false) => Starting::Refresh { access: kept },
                    (Starting::Refresh { access }, true) => Starting::RemoveRefresh { access },
                    (Starting::Refresh { access }, false) => return self.started(id, access, kept),
                    (at, _) => at,
                }
            }
            (Starting::RemoveAccess, _) => Starting::Refresh { access: None },
            (Starting::RemoveRefresh { access }, _) => return self.started(id, access, None),
            (at, _) => at,
        };
        // In cookie mode the refresh token's key is never read or written.
        if let (Starting::Refresh { access }, true) = (&next, self.config.cookie) {
            let access = access.clone();
            return self.started(id, access, None);
        }
        let io = self.io();
        self.emit(match next {
            Starting::RemoveAccess => Effect::Remove {
                io,
                slot: Slot::Access,
            },
            Starting::RemoveRefresh { .. } => Effect::Remove {
                io,
                slot: Slot::Refresh,
            },
            Starting::Key | Starting::Access => Effect::Load {
                io,
                slot: Slot::Access,
            },
            Starting::Refresh { .. } => Effect::Load {
                io,
                slot: Slot::Refresh,
            },
        });
        self.tasks.push(Task::Start {
            id,
            serial,
            io,
            at: next,
        });
    }

    fn started(&mut self, id: Id, access: Option<String>, refresh: Option<String>) {
        if let Some(access) = &access {
            self.adopt_access(access, None, Arrival::Stored, None);
        }
        self.st.set_refresh(refresh);
        let shown = self.st.shown();
        self.dispatch(Action::Restored(shown));
        self.emit(Effect::Resolve {
            id,
            value: Answer::Nothing,
        });
        // Revocations a logout kept while offline (maybe before a restart) go now.
        self.send_kept();
    }

    /// Sets the access token in memory (see `State::take_access`). With `dpop`, it is bound to the
    /// key when its token response said `token_type: "DPoP"` (`dpop`), or, when nothing said so
    /// (a token read from storage or taken from another tab), when it names the key (`cnf.jkt`)
    /// or is opaque.
    pub(crate) fn adopt_access(
        &mut self,
        access: &str,
        expires_in: Option<f64>,
        arrival: Arrival,
        dpop: Option<bool>,
    ) {
        let info = crate::jwt::inspect(access);
        let bound = self.config.dpop && dpop.unwrap_or(info.bound || info.claims.is_none());
        self.st.take_access(
            access,
            info,
            expires_in,
            arrival,
            (self.now, self.mono),
            bound,
        );
    }

    // Login.

    /// `login(tokens)`: a refresh in flight is discarded, the tokens are held and written; then
    /// `loggedIn`, and the other tabs hear of it.
    pub(crate) fn login(&mut self, id: Id, text: &str) {
        let tokens = match token_set_text(text) {
            Ok(t) => t,
            Err(why) => {
                let error = Error::new(Code::InvalidToken, cat(&["login: the tokens given ", why]));
                return self.reject(id, error);
            }
        };
        self.new_epoch(Ok(()));
        self.logins += 1;
        self.refreshed_from = None;
        self.adopt_access(
            &tokens.access,
            tokens.expires_in,
            Arrival::Login,
            tokens.dpop,
        );
        self.st.set_refresh(tokens.refresh.clone());
        let serial = self.serial();
        let epoch = self.st.epoch();
        let write = Write::start(self, &tokens.access, tokens.refresh.as_deref(), true);
        self.tasks.push(Task::Login {
            id,
            serial,
            epoch,
            write,
        });
    }

    fn logged_in(&mut self, id: Id, epoch: u64, written: Result<(), Error>) {
        // A logout or another login while the tokens were written came later: its action, not
        // this one, says where the session is. And these very tokens may have expired meanwhile
        // (a request refreshed them and the refresh token was refused): sessionExpired told the
        // listeners; the caller learns it here.
        if self.st.epoch() == epoch {
            if !self.st.authenticated() {
                let error = self.ended_error();
                return self.reject(id, error);
            }
            // Other tabs and clients sharing the storage take the stored tokens as their login.
            if written.is_ok() {
                let fp = self.stored_fingerprint();
                self.emit(Effect::Post(Message::LoggedIn(fp).text()));
            }
            let shown = self.st.shown();
            self.dispatch(Action::LoggedIn(shown));
        }
        self.settle(id, written, Answer::Nothing);
    }

    pub(crate) fn settle(&mut self, id: Id, result: Result<(), Error>, value: Answer) {
        if id == NO_CALLER {
            return;
        }
        self.emit(match result {
            Ok(()) => Effect::Resolve { id, value },
            Err(error) => Effect::Reject { id, error },
        });
    }

    // Ending a session.

    /// The one place a session ends in memory, whatever ended it (`logout()`, a refused refresh,
    /// another tab's logout or expiry): what waited gets `waiters` (when given: a new epoch),
    /// the tokens are forgotten, and `expired` says which end it was. Returns true when the end
    /// is an expiry to announce: there was a session. A second end finds no tokens, so each
    /// session's expiry is announced once.
    pub(crate) fn end_session(&mut self, expired: bool, waiters: Option<Error>) -> bool {
        if let Some(error) = waiters {
            self.new_epoch(Err(error));
        }
        let had_session = self.st.authenticated();
        if had_session {
            self.ended = self.stored_fingerprint();
        }
        self.refreshed_from = None;
        self.st.end(expired);
        expired && had_session
    }

    /// A new session epoch (login, logout, another tab's logout or expiry): the refresh in
    /// flight is discarded and what waited for it gets `outcome`; a write of refused tokens and
    /// the wait for another tab's news stop.
    pub(crate) fn new_epoch(&mut self, outcome: Result<(), Error>) {
        self.st.next_epoch();
        if let Some(serial) = self.drop_flight() {
            self.resume_later(serial, outcome.clone());
        }
        while let Some(task) = self.take_task(|t| matches!(t, Task::Save { .. } | Task::Watch(_))) {
            if let Task::Save { serial, .. } = task {
                self.resume_later(serial, outcome.clone());
            }
        }
    }

    /// The API rejected the token and there is nothing to refresh it with: the session ends;
    /// returns the serial of the removal, which the request waits for.
    pub(crate) fn expire(&mut self, reason: EndReason) -> u64 {
        let announce = self.end_session(true, None);
        let serial = self.serial();
        let remove = Remove::start(self);
        self.tasks.push(Task::Expire {
            serial,
            remove,
            announce,
            reason,
        });
        serial
    }

    /// Writes tokens storage refused earlier, once for every request that asks while it runs;
    /// returns its serial (`None`: there is no token to write).
    pub(crate) fn join_or_start_save(&mut self) -> Option<u64> {
        if let Some(Task::Save { serial, .. }) =
            self.tasks.iter().find(|t| matches!(t, Task::Save { .. }))
        {
            return Some(*serial);
        }
        let access = self.st.access().cloned()?;
        let refresh = self.st.refresh().cloned();
        let serial = self.serial();
        let write = Write::start(self, &access, refresh.as_deref(), false);
        self.tasks.push(Task::Save { serial, write });
        Some(serial)
    }
}
