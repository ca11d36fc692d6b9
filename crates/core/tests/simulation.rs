//! Deterministic simulation of the coordinator and pipeline: for each seed, a random script of
//! requests (to the API and to a foreign origin), aborts, server-side revocation, refresh outcomes
//! (rotation, definitive, transient, garbage, hang, a lost answer after rotation, an OAuth 2.0
//! configuration error), an API that refuses every token, logout, login, clock jumps and skew,
//! a quarter of the runs in cookie mode, under a
//! seeded scheduler; half the runs start from stored tokens of every age (expired, inside the
//! leeway, valid), as an app that starts again does; half keep auto refresh on (no timer loop; after
//! the script, a calm minute in which the token never expires once the timer's backoff is over). Invariants are checked at every send, write and removal, and at the end. A
//! failing seed prints itself: `SIM_SEED=<n> cargo test -p authlane-core --test simulation` replays it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "native/fake.rs"]
#[allow(dead_code)] // shared with tests/coordinator.rs, which uses the rest
mod fake;

use std::rc::Rc;

use authlane_core::config::Config;
use authlane_core::core::Core;
use authlane_core::env::TokenSet;
use authlane_core::error::{Code, Error};
use fake::{spawn_request, world, FakeEnv, HostTimer, RefreshPlan, Results, W};
use futures::executor::LocalPool;
use futures::task::LocalSpawnExt;

const API: &str = "https://api.example";
const SEEDS: u64 = 10_000;

/// Runs one seed; returns the broken invariants.
fn simulate(seed: u64) -> Vec<String> {
    let mut pool = LocalPool::new();
    let w: W = world(seed);
    let rand = |n: u64| w.borrow_mut().rand(n);
    {
        let mut world = w.borrow_mut();
        world.ttl_ms = [5_000.0, 30_000.0, 900_000.0][world.rand(3) as usize];
        world.skew_ms = [0.0, 600_000.0, -600_000.0][world.rand(3) as usize];
        // Half the runs' API sends `Date`, which a restored session's clock learns from.
        world.sends_date = world.rand(2) == 0;
        // A quarter of the runs keep the refresh token in an HttpOnly cookie.
        world.cookie_mode = world.rand(4) == 0;
    }
    let cookie = w.borrow().cookie_mode;
    let core = Core::new(
        FakeEnv::new(&w, pool.spawner()),
        Config {
            allowed_origins: vec![API.into()],
            cookie,
            ..Config::default()
        },
    );
    let results: Results = Default::default();
    let mut spawned = 0usize;

    let login = |pool: &LocalPool, w: &W, core: &Rc<Core<FakeEnv>>, ttl: f64| {
        let (w, core) = (w.clone(), core.clone());
        pool.spawner()
            .spawn_local(async move {
                // The server issues the tokens as login() takes them (API.md: a login token
                // tells the clock the server's time).
                let (access, refresh) = {
                    let mut world = w.borrow_mut();
                    let (access, refresh) = (world.issue_access(ttl), world.issue_refresh());
                    if world.cookie_mode {
                        world.cookie = Some(refresh);
                        (access, None)
                    } else {
                        (access, Some(refresh))
                    }
                };
                {
                    // The model changes in the same poll as the client's own state.
                    let mut world = w.borrow_mut();
                    world.epoch += 1;
                    world.known = Some(access.clone());
                    world.logged_out = false;
                    world.removal_allowed = false;
                    // Not an action: marks where the app began a session, which may expire
                    // before its loggedIn (tokens already dead), so "one sessionExpired per
                    // session" counts from here too.
                    world.actions.push("(login() called)".into());
                }
                let _ = core
                    .login(TokenSet {
                        access,
                        refresh,
                        expires_in: None,
                    })
                    .await;
            })
            .unwrap();
    };
    {
        let weak = Rc::downgrade(&core);
        w.borrow_mut().corrected_now = Some(Rc::new(move || {
            weak.upgrade().map_or(f64::NAN, |core| core.server_now())
        }));
    }
    if rand(2) == 0 {
        login(
            &pool,
            &w,
            &core,
            if rand(2) == 0 { -1_000.0 } else { 900_000.0 },
        );
    } else {
        // The app starts again and finds tokens in storage, issued in the past: expired long
        // ago, expired an hour ago, inside the leeway, or valid.
        let (access, refresh) = {
            let mut world = w.borrow_mut();
            let ttl = world.ttl_ms;
            let age = [ttl + 100_000.0, ttl + 3_600_000.0, ttl - 30_000.0, 1_000.0]
                [world.rand(4) as usize];
            (
                world.issue_access_aged(age.max(0.0), ttl),
                world.issue_refresh(),
            )
        };
        let mut world = w.borrow_mut();
        world.known = Some(access.clone());
        world.storage.insert("authlane.accessToken", access);
        if world.cookie_mode {
            world.cookie = Some(refresh);
        } else {
            world.storage.insert("authlane.refreshToken", refresh);
        }
        drop(world);
        let core = core.clone();
        pool.spawner()
            .spawn_local(async move {
                let _ = core.start().await;
            })
            .unwrap();
    }
    pool.run_until_stalled();
    // Half the runs keep auto refresh on: the host's timer as js/client.js runs it.
    let mut timer = (rand(2) == 0).then(|| HostTimer::new(&w));
    let started_at = w.borrow().local_ms;

    for _ in 0..30 {
        if let Some(t) = timer.as_mut() {
            t.step(&core, &w);
        }
        match rand(13) {
            0..=4 => {
                let id = spawned;
                spawned += 1;
                let url = if rand(8) == 0 {
                    "https://other.example/x".to_string()
                } else {
                    format!("{API}/items/{id}")
                };
                spawn_request(&pool.spawner(), &core, id, url, &results);
            }
            5 if spawned > 0 => {
                let id = rand(spawned as u64) as usize;
                let abort = w
                    .borrow_mut()
                    .aborts
                    .entry(id)
                    .or_insert_with(authlane_core::shared::Shared::new)
                    .clone();
                abort.complete(Error::new(Code::Thrown, "AbortError"));
            }
            6 => w.borrow_mut().revoke_all_access(),
            // The API starts or stops refusing every token (a wrong audience): no refresh storm.
            11 => {
                let mut world = w.borrow_mut();
                world.api_refuses = world.api_refuses.is_none().then_some(None);
            }
            7 => {
                let plan = [
                    RefreshPlan::Definitive,
                    RefreshPlan::Transient,
                    RefreshPlan::Garbage,
                    RefreshPlan::Hang,
                    RefreshPlan::Rotate,
                    RefreshPlan::Misconfigured,
                    RefreshPlan::Lost,
                ][rand(7) as usize];
                w.borrow_mut().plans.push_back(plan);
            }
            8 => {
                let (w2, core) = (w.clone(), core.clone());
                pool.spawner()
                    .spawn_local(async move {
                        {
                            let mut world = w2.borrow_mut();
                            world.epoch += 1;
                            world.known = None;
                            world.logged_out = true;
                            world.removal_allowed = true;
                        }
                        let _ = core.logout().await;
                    })
                    .unwrap();
            }
            9 => login(
                &pool,
                &w,
                &core,
                if rand(2) == 0 {
                    -1_000.0
                } else {
                    w.borrow().ttl_ms
                },
            ),
            10 => w.borrow_mut().local_ms += [1_000.0, 60_000.0, 7_200_000.0][rand(3) as usize], // the device slept
            _ => {}
        }
        for _ in 0..rand(6) {
            pool.try_run_one();
        }
    }
    pool.run_until_stalled();
    let mut broken = Vec::new();
    if let Some(t) = timer.as_mut() {
        // No timer loop, whatever the script did: one timer refresh for each token the app gave
        // or storage held, and beyond that one per 500 ms at most.
        let elapsed = w.borrow().local_ms - started_at;
        let by_timer = w.borrow().has_action("RefreshStarted(Timer)");
        let given = 1 + w.borrow().has_action("(login() called)");
        if by_timer as f64 > given as f64 + elapsed / 500.0 {
            broken.push(format!("{by_timer} timer refreshes in {elapsed} ms"));
        }
        broken.extend(calm_tail(&mut pool, &core, &w, t));
    }

    broken.extend(w.borrow().violations.iter().cloned());
    let world = w.borrow();
    if results.borrow().len() != spawned {
        broken.push(format!(
            "{} of {} requests settled",
            results.borrow().len(),
            spawned
        ));
    }
    if world.max_inflight_refresh > 1 {
        broken.push("more than one refresh in flight".into());
    }
    let mut counts = std::collections::HashMap::new();
    for s in &world.sent {
        *counts.entry(s.request).or_insert(0) += 1;
    }
    if counts.values().any(|&c| c > 2) {
        broken.push("a request was sent more than twice".into());
    }
    // An app's store, fed only the lifecycle actions, ends where the client is: a session
    // that ended said so, a session that began said so.
    let mut store_authenticated = false;
    for a in &world.actions {
        if a.starts_with("Restored") {
            store_authenticated = a.contains("authenticated: true");
        } else if a.starts_with("LoggedIn") || a.starts_with("RefreshSucceeded") {
            store_authenticated = true;
        } else if a.starts_with("SessionExpired") || a.starts_with("LoggedOut") {
            store_authenticated = false;
        }
    }
    if store_authenticated != core.session().authenticated {
        broken.push(format!(
            "the actions say authenticated = {store_authenticated}, the client says {}",
            core.session().authenticated
        ));
    }
    let mut expired_in_session = 0;
    for a in &world.actions {
        if a.starts_with("LoggedIn") || a.starts_with("LoggedOut") || a == "(login() called)" {
            expired_in_session = 0;
        } else if a.starts_with("SessionExpired") {
            expired_in_session += 1;
            if expired_in_session > 1 {
                broken.push("sessionExpired twice in one session".into());
            }
        }
    }
    for (id, r) in results.borrow().iter() {
        if let Err(e) = r {
            let documented = matches!(
                e.code(),
                Code::SessionExpired
                    | Code::RefreshFailed
                    | Code::BadRefreshResponse
                    | Code::LoggedOut
                    | Code::Thrown
            );
            if !documented {
                broken.push(format!(
                    "request {id} failed with an undocumented {:?}",
                    e.code()
                ));
            }
        }
    }
    if std::env::var("SIM_TRACE").is_ok() && !broken.is_empty() {
        for a in &world.actions {
            eprintln!("action {a}");
        }
        for x in &world.sent {
            eprintln!("sent {} {:?} {}", x.request, x.authorization, x.attempt);
        }
    }
    broken
}

/// After the script: the refresh endpoint and the API answer again, and auto refresh runs for a
/// minute. Once the timer's backoff after the script's failed refreshes is over (1 s after one,
/// 2 s after two in a row, ... at most 30 s), a session that is still on never holds an access
/// token expired by the corrected clock.
fn calm_tail(
    pool: &mut LocalPool,
    core: &Rc<Core<FakeEnv>>,
    w: &W,
    timer: &mut HostTimer,
) -> Vec<String> {
    {
        let mut world = w.borrow_mut();
        world.plans.clear();
        world.api_refuses = None;
    }
    let failed_in_a_row = {
        let world = w.borrow();
        let last_tokens = world.actions.iter().rposition(|a| {
            ["Restored", "LoggedIn", "RefreshSucceeded"]
                .iter()
                .any(|r| a.starts_with(r))
        });
        world.actions[last_tokens.map_or(0, |i| i + 1)..]
            .iter()
            .filter(|a| a.starts_with("RefreshFailed"))
            .count() as i32
    };
    let backoff = match failed_in_a_row {
        0 => 0.0,
        n => (1_000.0 * 2f64.powi(n - 1)).min(30_000.0),
    };
    let grace = backoff + 1_000.0;
    let start = w.borrow().local_ms;
    let mut broken = Vec::new();
    while w.borrow().local_ms - start < 45_000.0 {
        w.borrow_mut().local_ms += 100.0;
        timer.step(core, w);
        pool.run_until_stalled();
        timer.step(core, w);
        let s = core.session();
        let elapsed = w.borrow().local_ms - start;
        if elapsed > grace && s.authenticated {
            if let Some(exp) = s.expires_at {
                if core.server_now() >= exp {
                    broken.push(format!("auto refresh on, the endpoint answering, the token expired {elapsed} ms into the calm tail ({failed_in_a_row} refreshes had failed)"));
                    break;
                }
            }
        }
    }
    broken
}

#[test]
fn ten_thousand_seeds_keep_every_invariant() {
    let seeds: Vec<u64> = match std::env::var("SIM_SEED") {
        Ok(s) => vec![s.parse().expect("SIM_SEED is a number")],
        Err(_) => (0..SEEDS).collect(),
    };
    for seed in seeds {
        let broken = simulate(seed);
        assert!(broken.is_empty(), "seed {seed} broke invariants (replay: SIM_SEED={seed} cargo test -p authlane-core --test simulation):\n{}", broken.join("\n"));
    }
}
