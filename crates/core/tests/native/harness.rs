//! A client logged in against the fake world, with helpers to fire bursts of requests and check
//! the invariants every test shares. Used by tests/coordinator.rs and tests/clock.rs.

use std::rc::Rc;

use authlane_core::config::Config;
use authlane_core::core::Core;
use authlane_core::error::{Code, Error};
use futures::executor::LocalPool;

use crate::fake::{spawn_request, world, FakeEnv, W};

pub const API: &str = "https://api.example";

pub struct Harness {
    pub pool: LocalPool,
    pub core: Rc<Core<FakeEnv>>,
    pub w: W,
}

/// A client logged in with an access token living `ttl_ms` (negative: expired) and a refresh token.
pub fn harness(seed: u64, ttl_ms: f64) -> Harness {
    harness_stored(seed, 0.0, ttl_ms)
}

/// A client that starts with tokens in storage: an access token issued `age_ms` ago that lived
/// `ttl_ms` from then, and a refresh token.
pub fn harness_stored(seed: u64, age_ms: f64, ttl_ms: f64) -> Harness {
    harness_with(seed, age_ms, ttl_ms, |_, _| {})
}

/// As [`harness_stored`], with `setup` changing the config and the world (storage, cookie)
/// before the client starts.
pub fn harness_with(
    seed: u64,
    age_ms: f64,
    ttl_ms: f64,
    setup: impl FnOnce(&mut Config, &mut crate::fake::World),
) -> Harness {
    let pool = LocalPool::new();
    let w = world(seed);
    let mut config = Config {
        allowed_origins: vec![API.into()],
        ..Config::default()
    };
    {
        let mut world = w.borrow_mut();
        let access = world.issue_access_aged(age_ms, ttl_ms);
        let refresh = world.issue_refresh();
        world.storage.insert("authlane.accessToken", access);
        world.storage.insert("authlane.refreshToken", refresh);
        setup(&mut config, &mut world);
    }
    let core = Core::new(FakeEnv::new(&w, pool.spawner()), config);
    let mut h = Harness { pool, core, w };
    let c = h.core.clone();
    h.pool.run_until(async move { c.start().await }).unwrap();
    h
}

pub use crate::fake::Results;

impl Harness {
    /// Starts request `id` to `url` as the JS shell sends it (see [`spawn_request`]).
    pub fn spawn(&self, id: usize, url: &str, results: &Results) {
        spawn_request(
            &self.pool.spawner(),
            &self.core,
            id,
            url.to_string(),
            results,
        );
    }

    /// Fires `n` requests at once, runs everything to completion, returns each result.
    pub fn burst(&mut self, n: usize, url: &str) -> Vec<(usize, Result<u16, Error>)> {
        let results: Results = Default::default();
        let first = self
            .w
            .borrow()
            .sent
            .iter()
            .map(|s| s.request + 1)
            .max()
            .unwrap_or(0);
        for id in first..first + n {
            self.spawn(id, url, &results);
        }
        self.pool.run_until_stalled();
        let out = results
            .borrow()
            .iter()
            .map(|(i, r)| (*i, r.clone()))
            .collect::<Vec<_>>();
        assert_eq!(out.len(), n, "every request settles");
        out
    }

    pub fn sends_of(&self, id: usize) -> Vec<(Option<String>, u8)> {
        self.w
            .borrow()
            .sent
            .iter()
            .filter(|s| s.request == id)
            .map(|s| (s.authorization.clone(), s.attempt))
            .collect()
    }

    pub fn check_invariants(&self) {
        let w = self.w.borrow();
        assert!(
            w.max_inflight_refresh <= 1,
            "never more than one refresh in flight"
        );
        let mut counts = std::collections::HashMap::new();
        for s in &w.sent {
            *counts.entry(s.request).or_insert(0) += 1;
            if !s.url.starts_with(API) {
                assert_eq!(s.authorization, None, "no header to a foreign origin");
            }
        }
        assert!(
            counts.values().all(|&c| c <= 2),
            "no request is sent more than twice"
        );
        assert!(w.has_action("SessionExpired") <= 1);
    }
}

pub fn code(r: &Result<u16, Error>) -> Option<Code> {
    r.as_ref().err().map(Error::code)
}
