//! The storage sequences the core runs, one operation at a time: reading the pair, writing it
//! (refresh token first), removing it (access token first). Each is a small state machine fed
//! with the result of the operation it asked for.

use crate::client::Client;
use crate::effect::{Effect, Io, Slot};
use crate::error::{Code, Error, Host};
use crate::input::Stored;
use crate::policy::usable_token;

/// A stored value as the core takes it: a usable token, or nothing (missing, not a string,
/// unusable, or a read that failed).
pub(crate) fn usable(value: Option<Stored<'_>>) -> Option<String> {
    match value {
        Some(Stored::Text(t)) if usable_token(t) => Some(t.to_string()),
        _ => None,
    }
}

/// The error of a failed storage operation; the callback's thrown value is its cause.
pub(crate) fn storage_error(slot: Slot, what: &str) -> Error {
    let which = match slot {
        Slot::Access => "access",
        // The kept revocations live with the refresh token.
        Slot::Refresh | Slot::Pending => "refresh",
    };
    Error::new(
        Code::StorageError,
        crate::error::cat(&["the ", which, " token storage failed to ", what]),
    )
    .caused_by_host(Host::Storage(slot))
}

/// Reading the access token, then (unless in cookie mode) the refresh token.
#[derive(Debug)]
pub(crate) struct Read {
    pub io: Io,
    access: Option<Option<String>>,
}

impl Read {
    pub fn start(c: &mut Client) -> Read {
        let io = c.io();
        c.emit(Effect::Load {
            io,
            slot: Slot::Access,
        });
        Read { io, access: None }
    }

    /// The result of the operation `self.io`; the pair once both are read.
    pub fn feed(
        &mut self,
        c: &mut Client,
        value: Option<Stored<'_>>,
    ) -> Option<(Option<String>, Option<String>)> {
        match self.access.take() {
            None if !c.config.cookie => {
                self.access = Some(usable(value));
                self.io = c.io();
                c.emit(Effect::Load {
                    io: self.io,
                    slot: Slot::Refresh,
                });
                None
            }
            None => Some((usable(value), None)),
            Some(access) => Some((access, usable(value))),
        }
    }
}

/// Writing a pair: the refresh token first (or its removal, for a login without one), then the
/// access token, so that a tab that sees the new access token also sees its refresh token. A
/// logout, a login or another token in memory while it writes owns storage then: the write
/// stops, so as not to put back a token something replaced.
#[derive(Debug)]
pub(crate) struct Write {
    pub io: Io,
    access: String,
    /// `(epoch, generation)` when it began.
    mark: (u64, u64),
    on_access: bool,
}

impl Write {
    /// Starts writing; `None` when there is nothing to wait for (it wrote nothing yet: the
    /// refresh step was skipped and the access write is the one asked for).
    pub fn start(
        c: &mut Client,
        access: &str,
        refresh: Option<&str>,
        remove_missing: bool,
    ) -> Write {
        let mark = (c.st.epoch(), c.st.generation());
        let io = c.io();
        let mut w = Write {
            io,
            access: access.to_string(),
            mark,
            on_access: false,
        };
        match (refresh, c.config.cookie) {
            (Some(r), false) => c.emit(Effect::Store {
                io,
                slot: Slot::Refresh,
                value: r.to_string(),
            }),
            (None, false) if remove_missing => c.emit(Effect::Remove {
                io,
                slot: Slot::Refresh,
            }),
            _ => {
                w.on_access = true;
                c.emit(Effect::Store {
                    io,
                    slot: Slot::Access,
                    value: w.access.clone(),
                });
            }
        }
        w
    }

    /// The result of the operation `self.io`; the write's result once it is over.
    pub fn feed(&mut self, c: &mut Client, ok: bool) -> Option<Result<(), Error>> {
        let current = (c.st.epoch(), c.st.generation()) == self.mark;
        if !self.on_access {
            if !current {
                return Some(Ok(()));
            }
            if !ok {
                c.st.set_unsaved(true);
                return Some(Err(storage_error(Slot::Refresh, "write")));
            }
            self.on_access = true;
            self.io = c.io();
            c.emit(Effect::Store {
                io: self.io,
                slot: Slot::Access,
                value: self.access.clone(),
            });
            return None;
        }
        if current {
            c.st.set_unsaved(!ok);
        }
        Some(match ok {
            true => Ok(()),
            false => Err(storage_error(Slot::Access, "write")),
        })
    }
}

/// Removing the pair: the access token, then (unless in cookie mode, or a login came meanwhile
/// and owns storage) the refresh token.
#[derive(Debug)]
pub(crate) struct Remove {
    pub io: Io,
    /// `login()` calls before it.
    logins: u64,
    first: Option<bool>,
}

impl Remove {
    pub fn start(c: &mut Client) -> Remove {
        let io = c.io();
        c.emit(Effect::Remove {
            io,
            slot: Slot::Access,
        });
        Remove {
            io,
            logins: c.logins,
            first: None,
        }
    }

    /// The result of the operation `self.io`; the removal's result once it is over.
    pub fn feed(&mut self, c: &mut Client, ok: bool) -> Option<Result<(), Error>> {
        match self.first {
            None if !c.config.cookie && c.logins == self.logins => {
                self.first = Some(ok);
                self.io = c.io();
                c.emit(Effect::Remove {
                    io: self.io,
                    slot: Slot::Refresh,
                });
                None
            }
            None => Some(removed(ok, true)),
            Some(first) => Some(removed(first, ok)),
        }
    }
}

fn removed(access: bool, refresh: bool) -> Result<(), Error> {
    match (access, refresh) {
        (false, _) => Err(storage_error(Slot::Access, "remove")),
        (true, false) => Err(storage_error(Slot::Refresh, "remove")),
        (true, true) => Ok(()),
    }
}
