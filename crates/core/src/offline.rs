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
use crate::effect::{Answer, Effect, Id, Io, Lock, Slot};
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

/// The kept list's one owner: logouts made offline add to it, a round online sends it; one
/// storage operation at a time, so that no write loses another's entry.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    /// Entries to add, with the `logout()` calls to settle once they are stored.
    adding: Vec<(Id, Result<(), Error>, Kept)>,
    /// The storage operation in progress.
    op: Option<Op>,
    /// The round of sending, when one runs.
    round: Option<Round>,
    /// The device came online again during a round: another follows it.
    again: bool,
}

#[derive(Debug)]
enum Op {
    /// Reading the list (for the round when it is ready, else to add to it).
    Read(Io),
    /// Writing it back; then these `logout()` calls are settled (their entries are in it), and
    /// the round ends (`ends`).
    Write {
        io: Io,
        settles: Vec<(Id, Result<(), Error>)>,
        ends: bool,
    },
}

#[derive(Debug)]
enum Round {
    /// Waiting for the revoke lock.
    Locking,
    /// The lock came after another tab's turn: its write may still be on the way until `until`.
    Settling { until: f64 },
    /// The lock is held (or none is needed): the list is read when storage is free.
    Ready,
    /// The revocation of `list[0]` is out (`nonce_sent`: again, with the server's DPoP nonce).
    Revoking {
        id: Id,
        list: Vec<Kept>,
        nonce_sent: bool,
    },
}

impl Pending {
    pub fn wake_at(&self) -> Option<f64> {
        match self.round {
            Some(Round::Settling { until }) => Some(until),
            _ => None,
        }
    }

    /// Work in progress (the shell keeps its process alive for it).
    pub fn busy(&self) -> bool {
        self.op.is_some() || self.round.is_some() || !self.adding.is_empty()
    }
}

/// `list` with `more` added, each entry once.
fn merged(mut list: Vec<Kept>, more: &[(Id, Result<(), Error>, Kept)]) -> Vec<Kept> {
    for (_, _, kept) in more {
        if !list.contains(kept) {
            list.push(kept.clone());
        }
    }
    list
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
                self.auto = Some(self.mono);
            }
        }
    }

    /// The device is offline at a `logout()` (call `id`, whose removal of the tokens came to
    /// `removed`): its revocation is kept, and the call settles once it is stored.
    pub(crate) fn keep_revocation(&mut self, id: Id, removed: Result<(), Error>, kept: Kept) {
        self.pending.adding.push((id, removed, kept));
        self.pump_pending();
    }

    /// Sends the kept revocations (online; one round at a time: asked during one, another
    /// follows it).
    pub(crate) fn send_kept(&mut self) {
        if !self.online || self.config.revoke_url.is_none() {
            return;
        }
        if self.pending.round.is_some() {
            self.pending.again = true;
            return;
        }
        if self.config.cross_tab {
            self.pending.round = Some(Round::Locking);
            let timeout_ms = self.config.lock_timeout_ms;
            return self.emit(Effect::Lock {
                which: Lock::Revoke,
                timeout_ms,
            });
        }
        self.pending.round = Some(Round::Ready);
        self.pump_pending();
    }

    /// Starts the next storage operation, if storage is free and there is one to do.
    fn pump_pending(&mut self) {
        let p = &self.pending;
        let holds_list = matches!(p.round, Some(Round::Revoking { .. }));
        let wants = matches!(p.round, Some(Round::Ready)) || !p.adding.is_empty();
        if p.op.is_some() || holds_list || !wants {
            return;
        }
        let io = self.io();
        self.pending.op = Some(Op::Read(io));
        self.emit(Effect::Load {
            io,
            slot: Slot::Pending,
        });
    }

    /// The revoke lock: taken (after another tab's turn: `contended`), or not to be had.
    pub(crate) fn revoke_locked(&mut self, granted: bool, contended: bool) {
        if !matches!(self.pending.round, Some(Round::Locking)) {
            if granted {
                self.release(Lock::Revoke);
            }
            return;
        }
        // Not granted (no Web Locks here, or a frozen tab holds it past the timeout): it goes on
        // without; letting go of a lock not held is nothing.
        if granted && contended {
            let until = self.mono + SETTLE_MS;
            self.pending.round = Some(Round::Settling { until });
            return;
        }
        self.pending.round = Some(Round::Ready);
        self.pump_pending();
    }

    /// The settle wait is over.
    pub(crate) fn kept_woke(&mut self) {
        if let Some(Round::Settling { until }) = self.pending.round {
            if self.mono >= until {
                self.pending.round = Some(Round::Ready);
                self.pump_pending();
            }
        }
    }

    /// A storage operation ended; true when it was the kept list's.
    pub(crate) fn kept_storage(
        &mut self,
        io: Io,
        result: Result<Option<Stored<'_>>, bool>,
    ) -> bool {
        let ours = match &self.pending.op {
            Some(Op::Read(i)) | Some(Op::Write { io: i, .. }) => *i == io,
            None => false,
        };
        if !ours {
            return false;
        }
        match (self.pending.op.take(), result) {
            (Some(Op::Read(_)), Ok(value)) => {
                let list = parse_list(value);
                let round = matches!(self.pending.round, Some(Round::Ready));
                // Nothing kept and nothing to add: nothing to write either.
                if list.is_empty() && self.pending.adding.is_empty() {
                    if round {
                        self.end_round();
                    }
                    self.pump_pending();
                    return true;
                }
                match round && self.online {
                    true => self.revoke_next(list),
                    // Adding (or a round that went offline): what is added is written.
                    false => {
                        let ends = round;
                        self.write_kept(list, ends);
                    }
                }
            }
            (Some(Op::Write { settles, ends, .. }), Err(ok)) => {
                for (id, removed) in settles {
                    let value = Answer::LoggedOut {
                        revoked: false,
                        pending: ok,
                    };
                    self.settle(id, removed, value);
                }
                if ends {
                    self.end_round();
                }
            }
            // A read that failed, or an answer of the wrong kind: nothing is known of the list.
            (Some(Op::Read(_)), Err(_)) | (Some(Op::Write { .. }), Ok(_)) | (None, _) => {
                let adding = std::mem::take(&mut self.pending.adding);
                for (id, removed, _) in adding {
                    let value = Answer::LoggedOut {
                        revoked: false,
                        pending: false,
                    };
                    self.settle(id, removed, value);
                }
                if self.pending.round.is_some() {
                    self.end_round();
                }
            }
        }
        self.pump_pending();
        true
    }

    /// Revokes the first of `list` (with none left, or offline, writes what is left).
    fn revoke_next(&mut self, list: Vec<Kept>) {
        let Some(first) = list.first().cloned().filter(|_| self.online) else {
            return self.write_kept(list, true);
        };
        self.next_kept = self.next_kept.wrapping_add(1);
        let id = KEPT_IDS.wrapping_add(self.next_kept);
        self.pending.round = Some(Round::Revoking {
            id,
            list,
            nonce_sent: false,
        });
        let call = self.revoke_call(id, first.token.as_deref(), first.hint);
        self.send_revoke(call);
    }

    /// Whether revocation `id` is a kept one.
    pub(crate) fn is_kept(&self, id: Id) -> bool {
        matches!(&self.pending.round, Some(Round::Revoking { id: i, .. }) if *i == id)
    }

    /// A kept revocation came back: answered (whatever the status), it is done; no answer keeps
    /// it, and the round ends.
    pub(crate) fn kept_revoked(&mut self, status: Option<u16>, use_nonce: bool) {
        let Some(Round::Revoking {
            id,
            mut list,
            nonce_sent,
        }) = self.pending.round.take()
        else {
            return;
        };
        if use_nonce && self.dpop.is_some() && !nonce_sent {
            if let Some(first) = list.first().cloned() {
                let call = self.revoke_call(id, first.token.as_deref(), first.hint);
                self.pending.round = Some(Round::Revoking {
                    id,
                    list,
                    nonce_sent: true,
                });
                return self.send_revoke(call);
            }
        }
        self.pending.round = Some(Round::Ready);
        if status.is_none() {
            return self.write_kept(list, true);
        }
        list.remove(0);
        self.revoke_next(list);
    }

    /// Writes `list` back with what waits to be added (removing the key when nothing is left);
    /// `ends`: the round ends with it.
    fn write_kept(&mut self, list: Vec<Kept>, ends: bool) {
        let adding = std::mem::take(&mut self.pending.adding);
        let list = merged(list, &adding);
        let settles = adding.into_iter().map(|(id, r, _)| (id, r)).collect();
        let io = self.io();
        self.pending.op = Some(Op::Write { io, settles, ends });
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

    fn end_round(&mut self) {
        if self.pending.round.take().is_some() && self.config.cross_tab {
            self.release(Lock::Revoke);
        }
        if std::mem::take(&mut self.pending.again) {
            self.send_kept();
        }
    }

    /// Everything stops (dispose): its lock goes (a lock asked for is withdrawn); a logout whose
    /// revocation was being kept settles without it.
    pub(crate) fn drop_sending(&mut self) {
        self.pending.again = false;
        for (id, removed, _) in std::mem::take(&mut self.pending.adding) {
            let value = Answer::LoggedOut {
                revoked: false,
                pending: false,
            };
            self.settle(id, removed, value);
        }
        if self.pending.round.take().is_some() && self.config.cross_tab {
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
