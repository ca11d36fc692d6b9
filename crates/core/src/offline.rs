//! Offline (API.md "Offline"): while the device cannot reach the network, no refresh call is
//! made and no retry burnt (a request that needs a refresh fails at once with NETWORK_ERROR, its
//! cause the shell's `OfflineError`), and nothing ends a session; back online, a refresh that is
//! due runs at once (with auto refresh on). A `logout()` offline ends the session at once and
//! keeps its revocation in storage (the slot [`Slot::Pending`], beside the refresh token), so
//! that a restart keeps it too; when the device is online (at start, and each time it comes
//! back) the client sends what is kept, each revocation once: with `crossTab` under the Web
//! Lock `<storageKey>.revoke`, reading the list only after a wait for the tab that held it (its
//! write may still be on the way), and writing the list back without each entry the server
//! answered.

use crate::client::Client;
use crate::effect::{Effect, Id, Io, Lock, Slot};
use crate::error::{Code, Error, Host};
use crate::flight::SETTLE_MS;
use crate::input::Stored;
use crate::json::{write_str, Json};

/// Ids of the kept revocations' calls: far above the shell's own ids of API calls.
const KEPT_IDS: Id = 0x7000_0000;

/// The error of a request (or `refresh()`, `getAccessToken()`) that needs a refresh offline.
pub(crate) fn offline_error() -> Error {
    Error::new(
        Code::NetworkError,
        "the device is offline: the token could not be refreshed; try again once online",
    )
    .caused_by_host(Host::Offline)
}

/// One kept revocation: the token (none in cookie mode) and its hint.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Kept {
    pub token: Option<String>,
    pub hint: &'static str,
}

/// The kept list as stored: `[{"token":…,"hint":…}]`.
fn list_text(kept: &[Kept]) -> String {
    let mut out = String::from("[");
    for (i, k) in kept.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"token\":");
        match &k.token {
            Some(t) => write_str(&mut out, t),
            None => out.push_str("null"),
        }
        out.push_str(",\"hint\":");
        write_str(&mut out, k.hint);
        out.push('}');
    }
    out.push(']');
    out
}

/// The kept list from storage (whatever is not one is no list: nothing kept).
fn parse_list(value: Option<Stored<'_>>) -> Vec<Kept> {
    let Some(Stored::Text(text)) = value else {
        return Vec::new();
    };
    let Ok(json) = Json::parse(text) else {
        return Vec::new();
    };
    json.items()
        .unwrap_or(&[])
        .iter()
        .filter_map(|item| {
            let hint = match item.get("hint").and_then(Json::str) {
                Some("access_token") => "access_token",
                Some("refresh_token") => "refresh_token",
                _ => return None,
            };
            let token = item.get("token").and_then(Json::str).map(str::to_string);
            Some(Kept { token, hint })
        })
        .collect()
}

/// Where keeping a logout's revocation is: reading the list, then writing it with one more.
#[derive(Debug)]
pub(crate) enum Keeping {
    Reading(Io),
    Writing(Io),
}

/// Sending the kept revocations.
#[derive(Debug)]
pub(crate) enum Sending {
    /// Waiting for the lock.
    Locking,
    /// The lock came after another tab's turn: its write may still be on the way until `until`.
    Settling {
        until: f64,
    },
    Reading(Io),
    /// The revocation of `list[0]` is out (`nonce_sent`: again, with the server's DPoP nonce).
    Revoking {
        id: Id,
        list: Vec<Kept>,
        nonce_sent: bool,
    },
    /// Writing back the list without the entries sent.
    Writing(Io),
}

impl Sending {
    pub fn wake_at(&self) -> Option<f64> {
        match self {
            Sending::Settling { until } => Some(*until),
            _ => None,
        }
    }
}

impl Client {
    /// The shell says whether the device is online: going offline ends a refresh waiting to
    /// retry; coming back sends the kept revocations and refreshes at once when due.
    pub(crate) fn connectivity(&mut self, online: bool) {
        let was = std::mem::replace(&mut self.online, online);
        if !online && was {
            self.offline_flight();
        }
        if online && !was {
            self.send_kept();
            if self.auto.is_some() {
                self.st.clear_timer_wait();
                self.auto = Some(self.now);
            }
        }
    }

    /// Keeps the revocation of `token` (`hint`) for later: the list read, then written with it.
    pub(crate) fn keep_revocation(&mut self) -> Keeping {
        let io = self.io();
        self.emit(Effect::Load {
            io,
            slot: Slot::Pending,
        });
        Keeping::Reading(io)
    }

    /// A storage operation of keeping ended: the next one, or `Some(kept)` when done.
    pub(crate) fn keeping(
        &mut self,
        at: Keeping,
        kept: &Kept,
        result: Result<Option<Stored<'_>>, bool>,
    ) -> Result<bool, Keeping> {
        match (at, result) {
            (Keeping::Reading(_), Ok(value)) => {
                let mut list = parse_list(value);
                list.push(kept.clone());
                let io = self.io();
                let value = list_text(&list);
                self.emit(Effect::Store {
                    io,
                    slot: Slot::Pending,
                    value,
                });
                Err(Keeping::Writing(io))
            }
            (Keeping::Writing(_), Err(ok)) => Ok(ok),
            (Keeping::Reading(_), Err(_)) => Ok(false),
            (Keeping::Writing(_), Ok(_)) => Ok(false),
        }
    }

    /// Whether storage operation `io` is keeping's.
    pub(crate) fn keeping_owns(at: &Keeping, io: Io) -> bool {
        match at {
            Keeping::Reading(i) | Keeping::Writing(i) => *i == io,
        }
    }

    /// Sends the kept revocations (online; one round at a time).
    pub(crate) fn send_kept(&mut self) {
        if self.sending.is_some() || !self.online || self.config.revoke_url.is_none() {
            return;
        }
        if self.config.cross_tab {
            self.sending = Some(Sending::Locking);
            let timeout_ms = self.config.lock_timeout_ms;
            return self.emit(Effect::Lock {
                which: Lock::Revoke,
                timeout_ms,
            });
        }
        self.read_kept();
    }

    fn read_kept(&mut self) {
        let io = self.io();
        self.sending = Some(Sending::Reading(io));
        self.emit(Effect::Load {
            io,
            slot: Slot::Pending,
        });
    }

    /// The revoke lock: taken (after another tab's turn: `contended`), or not to be had.
    pub(crate) fn revoke_locked(&mut self, granted: bool, contended: bool) {
        if !matches!(self.sending, Some(Sending::Locking)) {
            if granted {
                self.release(Lock::Revoke);
            }
            return;
        }
        // Not granted (no Web Locks here, or a frozen tab holds it past the timeout): it goes on
        // without; letting go of a lock not held is nothing.
        if granted && contended {
            let until = self.now + SETTLE_MS;
            self.sending = Some(Sending::Settling { until });
            return;
        }
        self.read_kept();
    }

    /// The settle wait is over.
    pub(crate) fn kept_woke(&mut self) {
        if let Some(Sending::Settling { until }) = self.sending {
            if self.now >= until {
                self.read_kept();
            }
        }
    }

    /// A storage operation ended; true when it was the sending's.
    pub(crate) fn kept_storage(
        &mut self,
        io: Io,
        result: Result<Option<Stored<'_>>, bool>,
    ) -> bool {
        match (&self.sending, result) {
            (Some(Sending::Reading(i)), Ok(value)) if *i == io => {
                let list = parse_list(value);
                self.revoke_next(list);
                true
            }
            (Some(Sending::Writing(i)), Err(_)) if *i == io => {
                self.done_sending();
                true
            }
            (Some(Sending::Reading(i)), Err(_)) if *i == io => {
                self.done_sending();
                true
            }
            _ => false,
        }
    }

    /// Revokes the first of `list` (or, with none left, writes what is left).
    fn revoke_next(&mut self, list: Vec<Kept>) {
        let Some(first) = list.first().cloned() else {
            return self.done_sending();
        };
        if !self.online {
            return self.write_kept(list);
        }
        self.next_kept = self.next_kept.wrapping_add(1);
        let id = KEPT_IDS.wrapping_add(self.next_kept);
        self.sending = Some(Sending::Revoking {
            id,
            list,
            nonce_sent: false,
        });
        let call = self.revoke_call(id, first.token.as_deref(), first.hint);
        self.send_revoke(call);
    }

    /// Whether revocation `id` is a kept one.
    pub(crate) fn is_kept(&self, id: Id) -> bool {
        matches!(&self.sending, Some(Sending::Revoking { id: i, .. }) if *i == id)
    }

    /// A kept revocation came back: answered (whatever the status), it is done; no answer keeps
    /// it and this round ends.
    pub(crate) fn kept_revoked(&mut self, status: Option<u16>, use_nonce: bool) {
        let Some(Sending::Revoking {
            id,
            mut list,
            nonce_sent,
        }) = self.sending.take()
        else {
            return;
        };
        if use_nonce && self.dpop.is_some() && !nonce_sent {
            if let Some(first) = list.first().cloned() {
                let call = self.revoke_call(id, first.token.as_deref(), first.hint);
                self.sending = Some(Sending::Revoking {
                    id,
                    list,
                    nonce_sent: true,
                });
                return self.send_revoke(call);
            }
        }
        if status.is_none() {
            return self.write_kept(list);
        }
        list.remove(0);
        if list.is_empty() {
            return self.write_kept(list);
        }
        self.revoke_next(list);
    }

    /// Writes back what is left (removing the key when nothing is).
    fn write_kept(&mut self, list: Vec<Kept>) {
        let io = self.io();
        self.sending = Some(Sending::Writing(io));
        if list.is_empty() {
            return self.emit(Effect::Remove {
                io,
                slot: Slot::Pending,
            });
        }
        let value = list_text(&list);
        self.emit(Effect::Store {
            io,
            slot: Slot::Pending,
            value,
        });
    }

    fn done_sending(&mut self) {
        let locked = self.sending.take().is_some() && self.config.cross_tab;
        if locked {
            self.release(Lock::Revoke);
        }
    }

    /// The sending stops (dispose): its lock goes.
    pub(crate) fn drop_sending(&mut self) {
        // A lock asked for is withdrawn, a lock held let go.
        if self.sending.take().is_some() && self.config.cross_tab {
            self.release(Lock::Revoke);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kept_list_reads_back_what_was_written() {
        let list = vec![
            Kept {
                token: Some("r\"1".into()),
                hint: "refresh_token",
            },
            Kept {
                token: None,
                hint: "access_token",
            },
        ];
        let text = list_text(&list);
        assert_eq!(parse_list(Some(Stored::Text(&text))), list);
        assert!(parse_list(Some(Stored::Text("{"))).is_empty());
        assert!(parse_list(Some(Stored::Text(r#"[{"hint":"other"}]"#))).is_empty());
        assert!(parse_list(Some(Stored::Missing)).is_empty());
    }
}
