//! Tabs and clients sharing a storage (API.md, "Tabs and clients sharing a storage"): what the
//! others say, and taking their tokens. A message names the pair it announces by a fingerprint;
//! the pair is taken from storage only once storage holds exactly that pair ([`Follow`]), so a
//! message that overtakes the write is not lost and two keys are never taken apart. Receiving
//! never posts, so there are no echo loops.

use crate::action::{pair_fingerprint, Action, EndReason, Message};
use crate::client::Client;
use crate::effect::Io;
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

/// Waiting for storage to hold the pair of fingerprint `fp` that another tab announced.
#[derive(Debug)]
pub(crate) struct Follow {
    pub serial: u64,
    fp: u64,
    /// It was that tab's `login()`.
    login: bool,
    /// Gives up then.
    until: f64,
    /// Reading storage now, or reading again at `next`.
    read: Option<Read>,
    next: f64,
}

impl Follow {
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
            Some(Message::LoggedOut) => {
                let error = Error::new(Code::LoggedOut, "logged out in another tab");
                self.end_session(false, Some(error));
                self.dispatch(Action::LoggedOut);
            }
            Some(Message::SessionExpired) => {
                let error = Error::new(
                    Code::SessionExpired,
                    "the session expired in another tab; log in again",
                );
                if self.end_session(true, Some(error)) {
                    self.dispatch(Action::SessionExpired(EndReason::OtherTab));
                }
            }
            None => {}
        }
    }

    /// Starts waiting for the pair `fp`; a newer message supersedes an older one's wait.
    fn follow(&mut self, fp: u64, login: bool) {
        self.tasks.retain(|t| !matches!(t, Task::Follow(_)));
        let serial = self.serial();
        let f = Follow {
            serial,
            fp,
            login,
            until: self.mono + FOLLOW_MS,
            read: None,
            next: self.mono,
        };
        self.follow_again(f);
    }

    /// Reads storage (again) for the pair `f` waits for.
    pub(crate) fn follow_again(&mut self, mut f: Follow) {
        f.read = Some(Read::start(self));
        self.tasks.push(Task::Follow(f));
    }

    /// A read of `f` ended.
    pub(crate) fn followed(&mut self, mut f: Follow, value: Option<Stored<'_>>) {
        let Some(mut read) = f.read.take() else {
            return;
        };
        let Some((access, refresh)) = read.feed(self, value) else {
            f.read = Some(read);
            return self.tasks.push(Task::Follow(f));
        };
        let matches = access
            .as_deref()
            .is_some_and(|a| pair_fingerprint(a, refresh.as_deref()) == f.fp);
        match (matches, access) {
            (true, Some(access)) => {
                if self.st.access() == Some(&access) && self.st.refresh() == refresh.as_ref() {
                    return;
                }
                // A refresh of ours in flight ends with these tokens: it would present a refresh
                // token that the other tab's rotation burnt, or one of the session a login
                // replaced.
                let flight = self.drop_flight();
                self.adopt_pair(&access, refresh, f.login);
                // Another tab's login bound its tokens to the key it holds: the one in the key
                // store now (it may have made a new one at its logout).
                if f.login {
                    self.load_key(false);
                }
                if let Some(serial) = flight {
                    self.resume(serial, Ok(()));
                }
            }
            _ if self.mono >= f.until => {}
            _ => {
                f.next = self.mono + FOLLOW_POLL_MS;
                self.tasks.push(Task::Follow(f));
            }
        }
    }

    /// Takes the pair another tab stored: memory and actions follow, storage is already right.
    /// `loggedIn` when it was that tab's login (or this tab had no session), `refreshSucceeded`
    /// otherwise.
    pub(crate) fn adopt_pair(&mut self, access: &str, refresh: Option<String>, login: bool) {
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
