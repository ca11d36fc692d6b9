//! Deterministic simulation of tabs sharing storage: two or three clients with a cross-tab lock
//! whose wait times out, broadcasts delivered late or not yet, a server that rotates refresh
//! tokens and revokes the family when a spent one comes back, and refresh calls that freeze
//! their tab past the lock timeout, fail transiently or succeed. Invariants: a refresh token
//! that storage no longer holds is never presented (so the server never sees a reuse), every
//! request settles, and no session ends. `SIM_SEED=<n> cargo test -p authlane-core --test simulation_tabs`
//! replays a failing seed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "native/fake.rs"]
#[allow(dead_code)] // shared with the other native tests
mod fake;

use std::rc::Rc;

use authlane_core::config::Config;
use authlane_core::core::Core;
use authlane_core::error::Code;
use fake::{spawn_request, world, FakeEnv, Lock, RefreshPlan, Results, W};
use futures::executor::LocalPool;
use futures::task::LocalSpawnExt;

const API: &str = "https://api.example";
const SEEDS: u64 = 3_000;

fn simulate(seed: u64) -> Vec<String> {
    let mut pool = LocalPool::new();
    let w: W = world(seed);
    let rand = |n: u64| w.borrow_mut().rand(n);
    {
        let mut world = w.borrow_mut();
        world.ttl_ms = [5_000.0, 30_000.0][world.rand(2) as usize];
        world.check_presented = true;
        world.lock = Some(Lock {
            held_by: None,
            fallback_held_by: None,
            timeout_polls: 150,
        });
        let access = world.issue_access(-1_000.0);
        let refresh = world.issue_refresh();
        world.known = Some(access.clone());
        world.storage.insert("authlane.accessToken", access);
        world.storage.insert("authlane.refreshToken", refresh);
    }
    let tabs: Vec<Rc<Core<FakeEnv>>> = (0..2 + rand(2) as usize)
        .map(|tab| {
            let env = FakeEnv {
                tab,
                ..FakeEnv::new(&w, pool.spawner())
            };
            let config = Config {
                allowed_origins: vec![API.into()],
                cross_tab: true,
                ..Config::default()
            };
            let core = Core::new(env, config);
            let c = core.clone();
            pool.run_until(async move { c.start().await }).unwrap();
            core
        })
        .collect();
    let results: Results = Default::default();
    let mut spawned = 0;

    for _ in 0..40 {
        match rand(10) {
            0..=4 => {
                let id = spawned;
                spawned += 1;
                let tab = &tabs[rand(tabs.len() as u64) as usize];
                spawn_request(
                    &pool.spawner(),
                    tab,
                    id,
                    format!("{API}/items/{id}"),
                    &results,
                );
            }
            5 => {
                let plan = [
                    RefreshPlan::Rotate,
                    RefreshPlan::Transient,
                    RefreshPlan::Freeze,
                ][rand(3) as usize];
                w.borrow_mut().plans.push_back(plan);
            }
            6 | 7 => {
                // Deliver one pending broadcast to every other tab.
                let message = {
                    let mut world = w.borrow_mut();
                    (!world.mailbox.is_empty()).then(|| world.mailbox.remove(0))
                };
                if let Some((from, message)) = message {
                    for (_, tab) in tabs.iter().enumerate().filter(|(i, _)| *i != from) {
                        let tab = tab.clone();
                        pool.spawner()
                            .spawn_local(async move { tab.on_broadcast(message).await })
                            .unwrap();
                    }
                }
            }
            8 => w.borrow_mut().local_ms += [1_000.0, 40_000.0][rand(2) as usize],
            _ => {}
        }
        for _ in 0..rand(8) {
            pool.try_run_one();
        }
    }
    pool.run_until_stalled();

    let mut broken = w.borrow().violations.clone();
    let world = w.borrow();
    if results.borrow().len() != spawned {
        broken.push(format!(
            "{} of {spawned} requests settled",
            results.borrow().len()
        ));
    }
    if world.reuses > 0 {
        broken.push(format!(
            "the server saw {} reused refresh tokens",
            world.reuses
        ));
    }
    if world.has_action("SessionExpired") > 0 {
        broken.push("a session ended".into());
    }
    for (id, r) in results.borrow().iter() {
        if let Err(e) = r {
            if e.code() != Code::RefreshFailed {
                broken.push(format!("request {id} failed with {:?}", e.code()));
            }
        }
    }
    broken
}

#[test]
fn tabs_sharing_storage_never_present_a_spent_refresh_token() {
    let seeds: Vec<u64> = match std::env::var("SIM_SEED") {
        Ok(s) => vec![s.parse().expect("SIM_SEED is a number")],
        Err(_) => (0..SEEDS).collect(),
    };
    for seed in seeds {
        let broken = simulate(seed);
        assert!(
            broken.is_empty(),
            "seed {seed} broke invariants (replay: SIM_SEED={seed} cargo test -p authlane-core --test simulation_tabs):\n{}",
            broken.join("\n")
        );
    }
}
