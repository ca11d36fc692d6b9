//! Tabs and clients sharing a storage (API.md, "Tabs and clients sharing a storage"): what the
//! others say, and taking their tokens. A message names the pair it announces by a fingerprint;
//! the pair is taken from storage only once storage holds exactly that pair ([`Watch`]), so a
//! message that overtakes the write is not lost and two keys are never taken apart. Messages
//! from different tabs may arrive in any order, each before or after its write: the tab waits for
//! every pair announced, and takes the one storage holds. Receiving never posts, so there are no
//! echo loops.

use crate::action::{pair_fingerprint, Action, EndReason, Message};
use crate::client::Client;
use crate::effect::{Io, NO_CALLER};
use crate::error::{Code, Error};
use crate::input::Stored;
use crate::session::Arrival;
use crate::storage::Read;
use crate::tasks::Task;

/// How long a tab waits for storage to hold the pair another tab announced: the write reaches
/// this tab's process some time after the message may have (a loaded browser: up to a second).
pub const FOLLOW_MS: f64 = 3_000.0;

/// How often storage is read meanwhile.
pub const FOLLOW_POLL_MS: f64 = 20.0;

/// A pair another tab announced: its fingerprint, whether it was that tab's `login()`, and until
/// when (monotonic ms) this tab waits for storage to hold it.
#[derive(Debug, Clone, Copy)]
struct Expect {
    fp: u64,
    login: bool,
    until: f64,
}

/// Another tab's logout (or its session's expiry) that named the pair `fp`.
#[derive(Debug, Clone, Copy)]
struct End {
    fp: u64,
    expired: bool,
    until: f64,
}

/// Watching storage for the pairs other tabs announced (one task, whatever the number of
/// messages): storage is read every [`FOLLOW_POLL_MS`] until it holds one of them, which is
/// taken, or until each one's wait is over.
#[derive(Debug)]
pub(crate) struct Watch {
    pub serial: u64,
    expect: Vec<Expect>,
    /// Ends of a session other tabs announced that named a pair other than this tab's: one
    /// takes effect once storage shows that pair or no tokens (the end reached storage); until
    /// `until`. A message posted before this tab's own login, or before another tab's whose
    /// news came first, finds storage holding that newer pair, and ends nothing.
    ends: Vec<End>,
    /// Reading storage now, or reading again at `next`.
    read: Option<Read>,
    /// `(epoch, generation)` when the read began: a read across a change of this tab's own
    /// tokens may show what storage held before it, and is made again.
    mark: (u64, u64),
    next: f64,
}

impl Watch {
    pub fn wake_at(&self) -> Option<f64> {
        self.read.is_none().then_some(self.next)
    }

    pub fn owns(&self, io: Io) -> bool {
        self.read.as_ref().is_some_and(|r| r.io == io)
    }
}

impl Client {
    /// The fingerprint of the pair held now, as storage holds it once written (in cookie mode
    /// the refresh token is not ours to store).
    pub(crate) fn stored_fingerprint(&self) -> u64 {
        let access = self.st.access().map_or("", String::as_str);
        let refresh = self.st.refresh().filter(|_| !self.config.cookie);
        pair_fingerprint(access, refresh.map(String::as_str))
    }

    /// A message from another tab or client sharing the storage.
    pub(crate) fn message(&mut self, text: &str) {
        match Message::parse(text) {
            Some(Message::Tokens(fp)) => self.follow(fp, false),
            Some(Message::LoggedIn(fp)) => self.follow(fp, true),
            Some(Message::LoggedOut(fp)) => self.heard_end(fp, false),
            Some(Message::SessionExpired(fp)) => self.heard_end(fp, true),
            None => {}
        }
    }

    /// Another tab logged out, or its session expired, removing the pair `fp`: the session ends
    /// here at once when this tab holds that pair (or none), else once storage shows the end.
    /// For a while storage stays watched: a pair announced before the removal may reach this
    /// tab's storage before the removal does, and be taken; the removal, newer, then ends it.
    fn heard_end(&mut self, fp: u64, expired: bool) {
        // This tab's refresh presented the pair that logout removed, and wrote the new one after
        // the removal (it read storage before the removal reached it): it logs out itself,
        // removing and revoking what it wrote.
        if !expired && self.st.authenticated() && self.refreshed_from == Some(fp) {
            return self.logout(NO_CALLER);
        }
        let at_once = !self.st.authenticated() || self.stored_fingerprint() == fp;
        let end = End {
            fp,
            expired,
            until: self.mono + FOLLOW_MS,
        };
        self.watch_also(|w| w.ends.push(end));
        if at_once {
            self.end_here(fp, expired);
        }
    }

    /// Ends the session as another tab's logout or expiry `fp` did; the wait for the pairs other
    /// tabs announced since goes on (a login in another tab may come right after).
    fn end_here(&mut self, fp: u64, expired: bool) {
        let watch = self.take_watch();
        if expired {
            let error = Error::new(
                Code::SessionExpired,
                "the session expired in another tab; log in again",
            );
            if self.end_session(true, Some(error)) {
                self.dispatch(Action::SessionExpired(EndReason::OtherTab));
            }
        } else {
            let error = Error::new(Code::LoggedOut, "logged out in another tab");
            self.end_session(false, Some(error));
            self.dispatch(Action::LoggedOut);
        }
        if let Some(mut w) = watch {
            w.expect.retain(|e| e.fp != fp);
            if !w.expect.is_empty() || !w.ends.is_empty() {
                self.tasks.push(Task::Watch(w));
            }
        }
    }

    /// Waits (also) for the pair `fp` another tab announced, for [`FOLLOW_MS`] from now.
    fn follow(&mut self, fp: u64, login: bool) {
        // This tab's logout removes the tokens after this news: it is not taken.
        if self.logging_out() {
            return;
        }
        let until = self.mono + FOLLOW_MS;
        let expect = Expect { fp, login, until };
        self.watch_also(|w| {
            w.expect.retain(|e| e.fp != fp);
            w.expect.push(expect);
        });
    }

    /// Adds to what storage is watched for (the watch starts now when there is none).
    fn watch_also(&mut self, add: impl FnOnce(&mut Watch)) {
        match self.take_watch() {
            Some(mut w) => {
                add(&mut w);
                self.tasks.push(Task::Watch(w));
            }
            None => {
                let mut w = Watch {
                    serial: self.serial(),
                    expect: Vec::new(),
                    ends: Vec::new(),
                    read: None,
                    mark: (0, 0),
                    next: self.mono,
                };
                add(&mut w);
                self.watch_again(w);
            }
        }
    }

    fn take_watch(&mut self) -> Option<Watch> {
        let at = self
            .tasks
            .iter()
            .position(|t| matches!(t, Task::Watch(_)))?;
        match self.tasks.swap_remove(at) {
            Task::Watch(w) => Some(w),
            other => {
                self.tasks.push(other);
                None
            }
        }
    }

    /// Whether a pair another tab announced is on its way to storage: a refresh call now could
    /// present the refresh token that tab's rotation spent.
    pub(crate) fn news_pending(&self) -> bool {
        self.watch().is_some_and(|w| !w.expect.is_empty())
    }

    /// Whether a pair other than `fp` that another tab announced is on its way to storage.
    pub(crate) fn news_pending_besides(&self, fp: u64) -> bool {
        self.watch()
            .is_some_and(|w| w.expect.iter().any(|e| e.fp != fp))
    }

    /// Whether another tab announced the pair `fp` (and this tab still waits for it).
    pub(crate) fn announced(&self, fp: u64) -> bool {
        self.watch()
            .is_some_and(|w| w.expect.iter().any(|e| e.fp == fp))
    }

    /// Whether the pair `fp` was another tab's login, as announced.
    pub(crate) fn announced_login(&self, fp: u64) -> bool {
        self.watch()
            .is_some_and(|w| w.expect.iter().any(|e| e.fp == fp && e.login))
    }

    fn watch(&self) -> Option<&Watch> {
        self.tasks.iter().find_map(|t| match t {
            Task::Watch(w) => Some(w),
            _ => None,
        })
    }

    /// Reads storage (again) for the pairs `w` waits for.
    pub(crate) fn watch_again(&mut self, mut w: Watch) {
        w.mark = (self.st.epoch(), self.st.generation());
        w.read = Some(Read::start(self));
        self.tasks.push(Task::Watch(w));
    }

    /// A read of `w` ended.
    pub(crate) fn watched(&mut self, mut w: Watch, value: Option<Stored<'_>>) {
        let Some(mut read) = w.read.take() else {
            return;
        };
        let Some((access, refresh)) = read.feed(self, value) else {
            w.read = Some(read);
            return self.tasks.push(Task::Watch(w));
        };
        if w.mark != (self.st.epoch(), self.st.generation()) {
            // This tab's own tokens changed meanwhile: what was read may be older than them.
            return self.watch_again(w);
        }
        let fp = access
            .as_deref()
            .map(|a| pair_fingerprint(a, refresh.as_deref()));
        let end = w
            .ends
            .iter()
            .find(|e| fp.is_none() || Some(e.fp) == fp)
            .copied()
            .filter(|_| self.st.authenticated());
        if let Some(end) = end {
            // The end reached storage: it is newer than the pair this tab holds.
            w.next = self.mono + FOLLOW_POLL_MS;
            self.tasks.push(Task::Watch(w));
            return self.end_here(end.fp, end.expired);
        }
        let found = w.expect.iter().position(|e| Some(e.fp) == fp);
        if let (Some(at), Some(access)) = (found, access) {
            let login = w.expect.swap_remove(at).login;
            let held = self.st.access() == Some(&access) && self.st.refresh() == refresh.as_ref();
            if !held {
                // A refresh of ours in flight ends with these tokens: it would present a refresh
                // token that the other tab's rotation burnt, or one of the session a login
                // replaced.
                let flight = self.drop_flight();
                self.adopt_pair(&access, refresh, login);
                // Another tab's login bound its tokens to the key it holds: the one in the key
                // store now (it may have made a new one at its logout).
                if login {
                    self.load_key(false);
                }
                if let Some(serial) = flight {
                    self.resume(serial, Ok(()));
                }
            }
        }
        let now = self.mono;
        w.expect.retain(|e| now < e.until);
        w.ends.retain(|e| now < e.until);
        if !w.expect.is_empty() || !w.ends.is_empty() {
            w.next = now + FOLLOW_POLL_MS;
            self.tasks.push(Task::Watch(w));
        }
    }

    /// Takes the pair another tab stored: memory and actions follow, storage is already right.
    /// `loggedIn` when it was that tab's login (or this tab had no session), `refreshSucceeded`
    /// otherwise.
    pub(crate) fn adopt_pair(&mut self, access: &str, refresh: Option<String>, login: bool) {
        self.refreshed_from = None;
        let had_session = self.st.authenticated();
        let rotated = refresh.is_some() && refresh.as_ref() != self.st.refresh();
        self.adopt_access(access, None, Arrival::Stored, None);
        self.st.set_refresh(refresh);
        self.st.set_unsaved(false); // storage holds this pair
        let shown = self.st.shown();
        self.dispatch(match had_session && !login {
            true => Action::RefreshSucceeded { shown, rotated },
            false => Action::LoggedIn(shown),
        });
    }
}
