//! A client started against the fake world with tokens in storage, and the checks every test
//! shares.

use std::collections::HashMap;

use authlane_core::action::Action;
use authlane_core::config::Config;
use authlane_core::effect::Id;
use authlane_core::json::Json;
use authlane_core::options::{parse, Environment};

pub use super::sim::{Got, Sim};
pub use super::world::*;

/// The config the tests start from: the fake API's origin allowed, the rest defaults.
pub fn config() -> Config {
    Config {
        allowed_origins: vec![API.into()],
        ..Config::default()
    }
}

/// The config `createAuthClient` makes of `options` (JSON, `baseUrl` the fake API's origin
/// unless it says otherwise; a function is `{"\u0000":"function"}`), in an environment with a
/// global `fetch` and no Web Locks.
pub fn config_from(options: &str) -> Config {
    let mut options = Json::parse(options).expect("options JSON");
    if let Json::Obj(members) = &mut options {
        if !members.iter().any(|(k, _)| k == "baseUrl") {
            members.push(("baseUrl".into(), Json::Str(API.into())));
        }
    }
    let env = Environment {
        document_url: None,
        global_fetch: true,
        web_locks: false,
        random: None,
        signer: false,
    };
    parse(&options, env).unwrap_or_else(|e| panic!("refused: {}", e.message()))
}

/// A client that starts with a stored access token living `ttl_ms` from now (negative: expired)
/// and a refresh token.
pub fn harness(seed: u64, ttl_ms: f64) -> Sim {
    harness_stored(seed, 0.0, ttl_ms)
}

/// A client that starts with tokens in storage: an access token issued `age_ms` ago that lived
/// `ttl_ms` from then, and a refresh token.
pub fn harness_stored(seed: u64, age_ms: f64, ttl_ms: f64) -> Sim {
    harness_with(seed, age_ms, ttl_ms, |_, _| {})
}

/// As [`harness_stored`], with `setup` changing the config and the world (storage, cookie)
/// before the client starts.
pub fn harness_with(
    seed: u64,
    age_ms: f64,
    ttl_ms: f64,
    setup: impl FnOnce(&mut Config, &mut World),
) -> Sim {
    let mut sim = Sim::new(seed);
    let mut config = config();
    let access = sim.w.issue_access_aged(age_ms, ttl_ms);
    let refresh = sim.w.issue_refresh();
    sim.w.store_pair(&access, Some(&refresh));
    setup(&mut config, &mut sim.w);
    sim.open(config);
    sim
}

impl Sim {
    /// Fires `n` requests from the first tab at once, runs everything to completion, returns
    /// each result.
    pub fn burst(&mut self, n: usize, url: &str) -> Vec<(Id, Got)> {
        self.burst_on(0, n, url)
    }

    /// Each send of request `id` of `tab`: its header, and whether it was the resend.
    pub fn sends_of(&self, tab: usize, id: Id) -> Vec<(Option<String>, bool)> {
        self.w
            .sent
            .iter()
            .filter(|s| s.tab == tab && s.request == id)
            .map(|s| (s.authorization.clone(), s.resend))
            .collect()
    }

    /// The actions `tab` dispatched, in order.
    pub fn actions_of(&self, tab: usize) -> Vec<&Action> {
        self.w
            .actions
            .iter()
            .filter(|(t, _)| *t == tab)
            .map(|(_, a)| a)
            .collect()
    }

    /// What every run must keep: one refresh call at a time per client, no token to a foreign
    /// origin, no request sent more than twice, one `sessionExpired` per client at most.
    pub fn check_invariants(&self) {
        for v in &self.w.violations {
            assert!(
                !v.contains("second refresh call") && !v.contains("foreign origin"),
                "{v}"
            );
        }
        let mut counts = HashMap::new();
        for s in &self.w.sent {
            *counts.entry((s.tab, s.request)).or_insert(0) += 1;
            if !s.url.starts_with(API) {
                assert_eq!(s.authorization, None, "no header to a foreign origin");
            }
        }
        assert!(
            counts.values().all(|&c| c <= 2),
            "no request is sent more than twice"
        );
        for tab in 0..self.tabs.len() {
            let expired = self
                .actions_of(tab)
                .iter()
                .filter(|a| a.name() == "sessionExpired")
                .count();
            assert!(expired <= 1, "tab {tab}: {expired} sessionExpired");
        }
    }
}
