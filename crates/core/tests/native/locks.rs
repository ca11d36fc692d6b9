//! The locks of js/tabs.js: the refresh lock (with `crossTab`, a Web Lock every tab takes;
//! always, the queue of this app's clients sharing the storage) and, with `crossTab` only, the
//! call lock, the fallback lock and the revoke lock. Each is held by one tab, the others queued
//! until their wait times out; what the
//! shell reports is `(granted, contended, shared)`.

use authlane_core::effect::Lock;
use authlane_core::input::Input;

use super::sim::Sim;

/// The locks: each held by one tab, the others queued until their timeout. A grant's number is
/// odd when its taker waited for another holder (`contended`).
#[derive(Default)]
pub struct Locks {
    holder: [Option<usize>; 4],
    grant: [u64; 4],
    waiters: [Vec<(u64, usize, Lock)>; 4],
    /// Numbers the asks.
    asked: u64,
}

fn index(which: Lock) -> usize {
    match which {
        Lock::Refresh => 0,
        Lock::Call => 1,
        Lock::Revoke => 2,
        Lock::Fallback => 3,
        // The same Web Lock as the call lock.
        Lock::Logout => 1,
    }
}

impl Sim {
    // Without crossTab there is no call or fallback lock (no Web Locks), and a wait for the refresh lock is
    // for another client of this app, not `contended`.

    fn cross_tab(&self, tab: usize) -> bool {
        self.tabs[tab].client.config().cross_tab
    }

    /// `shared`: other clients use the storage, or tabs may.
    fn shared(&self, tab: usize) -> bool {
        self.tabs.iter().filter(|t| !t.disposed).count() > 1 || self.cross_tab(tab)
    }

    fn locked(&mut self, tab: usize, which: Lock, granted: bool, contended: bool) {
        let shared = self.shared(tab);
        let contended = contended && self.cross_tab(tab);
        self.feed(
            tab,
            Input::Locked {
                which,
                granted,
                contended,
                shared,
            },
        );
    }

    pub(super) fn lock(&mut self, tab: usize, which: Lock, timeout_ms: f64) {
        if which != Lock::Refresh && !self.cross_tab(tab) {
            return self.at(0.0, Box::new(move |s| s.locked(tab, which, false, false)));
        }
        let i = index(which);
        let l = &mut self.locks;
        l.asked += 1;
        let waiter = l.asked;
        if l.holder[i].is_none() && l.waiters[i].is_empty() {
            l.holder[i] = Some(tab);
            return self.grant(tab, which, waiter << 1);
        }
        l.waiters[i].push((waiter, tab, which));
        self.at(
            timeout_ms,
            Box::new(move |s| {
                let waiters = &mut s.locks.waiters[i];
                let before = waiters.len();
                waiters.retain(|(w, _, _)| *w != waiter);
                if waiters.len() < before {
                    s.locked(tab, which, false, false);
                }
            }),
        );
    }

    /// `tab` takes the lock, unless it let go of it before the grant reached it.
    fn grant(&mut self, tab: usize, which: Lock, grant: u64) {
        let i = index(which);
        self.locks.grant[i] = grant;
        self.later(Box::new(move |s| {
            if s.locks.holder[i] == Some(tab) && s.locks.grant[i] == grant {
                s.locked(tab, which, true, grant & 1 == 1);
            }
        }));
    }

    /// Lets go of a lock held, or withdraws a wait for it.
    pub(super) fn unlock(&mut self, tab: usize, which: Lock) {
        let i = index(which);
        let l = &mut self.locks;
        l.waiters[i].retain(|(_, t, w)| !(*t == tab && *w == which));
        if l.holder[i] != Some(tab) {
            return;
        }
        l.holder[i] = None;
        if !l.waiters[i].is_empty() {
            let (waiter, next, asked) = l.waiters[i].remove(0);
            l.holder[i] = Some(next);
            self.grant(next, asked, (waiter << 1) | 1);
        }
    }

    pub(super) fn unlock_all(&mut self, tab: usize) {
        self.unlock(tab, Lock::Refresh);
        self.unlock(tab, Lock::Call);
        self.unlock(tab, Lock::Fallback);
        self.unlock(tab, Lock::Revoke);
        self.unlock(tab, Lock::Logout);
    }
}
