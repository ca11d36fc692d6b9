//! Two tabs sharing storage, natively: a server that rotates refresh tokens and revokes the whole
//! family when a spent one comes back, and a cross-tab lock that no longer excludes (it timed out
//! while a frozen tab held it). The replay of a parked tab waking up after another tab refreshed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "native/fake.rs"]
#[allow(dead_code)] // shared with the other native tests
mod fake;

use std::cell::RefCell;
use std::rc::Rc;

use authlane_core::config::Config;
use authlane_core::core::Core;
use authlane_core::env::{pair_fingerprint, Broadcast};
use authlane_core::error::Error;
use fake::{shell_fetch, world, FakeEnv, RefreshPlan, Req, W};
use futures::executor::LocalPool;
use futures::task::LocalSpawnExt;

const API: &str = "https://api.example";
type Tab = Rc<Core<FakeEnv>>;
type Result1 = Rc<RefCell<Option<Result<u16, Error>>>>;

/// A world whose storage holds an expired access token and the refresh token R0.
fn shared_storage(seed: u64) -> W {
    let w = world(seed);
    {
        let mut world = w.borrow_mut();
        let access = world.issue_access(-1_000.0);
        let refresh = world.issue_refresh();
        world.storage.insert("authlane.accessToken", access);
        world.storage.insert("authlane.refreshToken", refresh);
    }
    w
}

fn open_tab(pool: &mut LocalPool, w: &W) -> Tab {
    let config = Config {
        allowed_origins: vec![API.into()],
        cross_tab: true,
        ..Config::default()
    };
    let tab = Core::new(FakeEnv::new(w, pool.spawner()), config);
    let t = tab.clone();
    pool.run_until(async move { t.start().await }).unwrap();
    tab
}

fn request(pool: &LocalPool, tab: &Tab, id: usize) -> Result1 {
    let result: Result1 = Rc::default();
    let (tab, out) = (tab.clone(), result.clone());
    pool.spawner()
        .spawn_local(async move {
            let r = shell_fetch(
                &tab,
                Req {
                    id,
                    url: format!("{API}/x"),
                },
                true,
            )
            .await;
            *out.borrow_mut() = Some(r.map(|r| r.status));
        })
        .unwrap();
    result
}

fn ok(r: &Result1) -> bool {
    matches!(*r.borrow(), Some(Ok(200)))
}

#[test]
fn a_tab_that_wakes_after_another_refreshed_takes_its_tokens_instead_of_reusing_its_own() {
    for seed in 0..200 {
        let mut pool = LocalPool::new();
        let w = shared_storage(seed);
        let (a, b) = (open_tab(&mut pool, &w), open_tab(&mut pool, &w));
        // A refreshes with R0; the call hangs at the server (A is frozen).
        let gate = w.borrow_mut().close_gate();
        let ra = request(&pool, &a, 0);
        pool.run_until_stalled();
        w.borrow_mut().gate = None;
        // B's lock wait timed out: it refreshes with R0 itself and gets R1.
        let rb = request(&pool, &b, 1);
        pool.run_until_stalled();
        assert!(ok(&rb), "seed {seed}: B's request");
        // A thaws: its call times out, and it must not retry with R0.
        w.borrow_mut().plans.push_back(RefreshPlan::Hang);
        gate.complete(());
        pool.run_until_stalled();
        let world = w.borrow();
        assert_eq!(world.reuses, 0, "seed {seed}: R0 presented again");
        assert!(ok(&ra), "seed {seed}: A's request: {:?}", ra.borrow());
        assert_eq!(world.has_action("SessionExpired"), 0, "seed {seed}");
        assert_eq!(
            world.refresh_count(),
            2,
            "seed {seed}: A's hung call and B's"
        );
        assert!(
            world.violations.is_empty(),
            "seed {seed}: {:?}",
            world.violations
        );
    }
}

#[test]
fn another_tabs_new_tokens_settle_a_refresh_in_flight() {
    for seed in 0..200 {
        let mut pool = LocalPool::new();
        let w = shared_storage(seed);
        let (a, b) = (open_tab(&mut pool, &w), open_tab(&mut pool, &w));
        let gate = w.borrow_mut().close_gate();
        let ra = request(&pool, &a, 0);
        pool.run_until_stalled();
        w.borrow_mut().gate = None;
        let rb = request(&pool, &b, 1);
        pool.run_until_stalled();
        assert!(ok(&rb));
        // B's broadcast reaches A while A's call still hangs.
        let a2 = a.clone();
        let message = stored_news(&w, false);
        pool.spawner()
            .spawn_local(async move { a2.on_broadcast(message).await })
            .unwrap();
        pool.run_until_stalled();
        assert!(ok(&ra), "seed {seed}: A's request went out with B's token");
        assert_eq!(w.borrow().refresh_cancels, 1, "A's hung call was cancelled");
        gate.complete(());
        pool.run_until_stalled();
        let world = w.borrow();
        assert_eq!(world.reuses, 0, "seed {seed}");
        assert_eq!(
            world.refresh_count(),
            2,
            "seed {seed}: no call after the broadcast"
        );
        assert_eq!(world.has_action("SessionExpired"), 0);
    }
}

/// Found reading the two copies of "the session ended" (core.rs and cross_tab.rs) for issue 17:
/// the once-only flag of `sessionExpired` was reset by `login()` and `logout()` but not when a
/// tab took another tab's login, so that tab's next expiry was silent (no action, no broadcast)
/// and its UI stayed logged in. Our tests never ended a session twice in one tab.
#[test]
fn a_session_taken_from_another_tabs_login_announces_its_own_expiry() {
    for seed in 0..50 {
        let mut pool = LocalPool::new();
        let w = shared_storage(seed);
        let a = open_tab(&mut pool, &w);
        // The refresh token is refused: the session ends, once.
        w.borrow_mut().plans.push_back(RefreshPlan::Definitive);
        let r = request(&pool, &a, 0);
        pool.run_until_stalled();
        assert!(
            r.borrow().as_ref().is_some_and(|r| r.is_err()),
            "seed {seed}"
        );
        assert_eq!(w.borrow().has_action("SessionExpired"), 1, "seed {seed}");
        // The user logs in in another tab: its tokens are in the shared storage, and the
        // broadcast of that login reaches this tab.
        {
            let mut world = w.borrow_mut();
            let access = world.issue_access(900_000.0);
            let refresh = world.issue_refresh();
            world.storage.insert("authlane.accessToken", access);
            world.storage.insert("authlane.refreshToken", refresh);
        }
        let a2 = a.clone();
        let message = stored_news(&w, true);
        pool.spawner()
            .spawn_local(async move { a2.on_broadcast(message).await })
            .unwrap();
        pool.run_until_stalled();
        assert!(
            a.session().authenticated,
            "seed {seed}: the login was taken"
        );
        // That session ends too: this tab must say so again.
        {
            let mut world = w.borrow_mut();
            world.revoke_all_access();
            world.plans.push_back(RefreshPlan::Definitive);
        }
        let r = request(&pool, &a, 1);
        pool.run_until_stalled();
        assert!(
            r.borrow().as_ref().is_some_and(|r| r.is_err()),
            "seed {seed}"
        );
        assert!(!a.session().authenticated, "seed {seed}");
        assert_eq!(
            w.borrow().has_action("SessionExpired"),
            2,
            "seed {seed}: {:?}",
            w.borrow().actions
        );
    }
}

/// The message a tab sends after writing the pair the shared storage holds now: a refresh's, or
/// (`login`) a login's.
fn stored_news(w: &W, login: bool) -> Broadcast {
    let world = w.borrow();
    let access = &world.storage["authlane.accessToken"];
    let refresh = world
        .storage
        .get("authlane.refreshToken")
        .map(String::as_str);
    let fp = pair_fingerprint(access, refresh);
    match login {
        true => Broadcast::LoggedIn(fp),
        false => Broadcast::Tokens(fp),
    }
}

fn deliver(pool: &mut LocalPool, tab: &Tab, message: Broadcast) {
    let tab = tab.clone();
    pool.spawner()
        .spawn_local(async move { tab.on_broadcast(message).await })
        .unwrap();
    pool.run_until_stalled();
}

/// Found making login() broadcast: a tab taking another tab's tokens made the stored refresh
/// token its own before comparing with it, so `refreshSucceeded` said `rotated: false` after
/// the other tab's rotation, and a logged-out tab taking another tab's login said
/// `refreshSucceeded` instead of `loggedIn`. Our tests counted these actions, never read them.
#[test]
fn a_tab_taking_another_tabs_tokens_says_what_happened() {
    let mut pool = LocalPool::new();
    let w = shared_storage(1);
    let (a, b) = (open_tab(&mut pool, &w), open_tab(&mut pool, &w));
    // B refreshes (the server rotates R0); its broadcast reaches A.
    let rb = request(&pool, &b, 0);
    pool.run_until_stalled();
    assert!(ok(&rb));
    let before = w.borrow().actions.len();
    deliver(&mut pool, &a, stored_news(&w, false));
    let taken = w.borrow().actions[before..].to_vec();
    assert!(
        taken.len() == 1
            && taken[0].starts_with("RefreshSucceeded")
            && taken[0].contains("rotated: true"),
        "{taken:?}"
    );

    // A tab with no session, and another tab's login in the shared storage.
    let w = world(2);
    let c = open_tab(&mut pool, &w);
    assert!(!c.session().authenticated);
    {
        let mut world = w.borrow_mut();
        let access = world.issue_access(900_000.0);
        let refresh = world.issue_refresh();
        world.storage.insert("authlane.accessToken", access);
        world.storage.insert("authlane.refreshToken", refresh);
    }
    let before = w.borrow().actions.len();
    deliver(&mut pool, &c, stored_news(&w, true));
    let taken = w.borrow().actions[before..].to_vec();
    assert!(
        taken.len() == 1 && taken[0].starts_with("LoggedIn"),
        "{taken:?}"
    );
    assert!(c.session().authenticated);
}
