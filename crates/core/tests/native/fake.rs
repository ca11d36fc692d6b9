//! A fake world for the core: `FakeEnv` implements `Env` over the world of `world.rs` (a server
//! that knows which tokens are valid, storage, a clock, and a seeded scheduler that makes every
//! network call and sleep take a random number of polls, so each seed is a different
//! interleaving, replayable), and the JS shell's loops that drive the core (`shell.rs`).

#[path = "world.rs"]
mod world;
pub use world::*;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use authlane_core::env::{Action, Answer, Attempt, Env, Fut, Slot, Stored, TokenInfo};
use authlane_core::error::{Code, Error};
use authlane_core::pipeline::Lease;
use authlane_core::refresh_result::{classify, token_set, Field, Reply};
use authlane_core::shared::Shared;
use futures::executor::LocalSpawner;
use futures::task::LocalSpawnExt;

pub struct FakeEnv {
    pub world: W,
    pub spawner: LocalSpawner,
    /// Bumped by `cancel_refresh`: a call in flight then never reaches the server.
    pub cancels: Rc<Cell<u64>>,
    /// Which tab this client is (for the lock and broadcasts).
    pub tab: usize,
    /// The shell's lease on the fast path, whether it told the core of an acceptance, and the
    /// device time from which it hands the core a response's `Date` again.
    pub lease: RefCell<Option<(Lease, bool, f64)>>,
}

impl FakeEnv {
    /// The request's URL.
    pub fn url(&self, r: &Req) -> String {
        r.url.clone()
    }
    /// One attempt of a request, as the JS shell's `send` makes it: the fake API answers 200
    /// to a live token it issued, 401 otherwise.
    pub fn send(
        &self,
        r: &Req,
        authorization: Option<String>,
        attempt: u8,
    ) -> Fut<Result<Resp, Error>> {
        let w = self.world.clone();
        let corrected = w.borrow().corrected_now.clone().map(|now| now());
        {
            let mut world = w.borrow_mut();
            let token = authorization
                .as_deref()
                .and_then(|a| a.strip_prefix("Bearer "));
            let exp = token.and_then(|t| world.issued.get(t)).map(|v| v.1);
            let refresh_stored = world.storage.contains_key("authlane.refreshToken");
            // By the client's corrected clock; and, when the device clock is right, by the
            // server's (a clock corrected from a stale token's `iat` would hide it).
            let truth = (world.skew_ms == 0.0).then(|| world.server_now());
            for (now, which) in [(corrected, "corrected"), (truth, "server's")] {
                if let (Some(exp), Some(now), true) = (exp, now, refresh_stored) {
                    if now >= exp {
                        world.violations.push(format!(
                            "request {} carried a token expired {} ms ago by the {which} clock, with a refresh token stored",
                            r.id,
                            now - exp
                        ));
                    }
                }
            }
            let expected = world.known.as_ref().map(|t| format!("Bearer {t}"));
            let foreign = !r.url.starts_with("https://api.example");
            if foreign && authorization.is_some() {
                world
                    .violations
                    .push(format!("request {} sent a token to a foreign origin", r.id));
            }
            if !foreign && authorization.is_some() && authorization != expected {
                world.violations.push(format!(
                    "request {} sent {:?}, the newest known is {:?}",
                    r.id, authorization, expected
                ));
            }
            world.sent.push(Sent {
                request: r.id,
                authorization: authorization.clone(),
                attempt,
                url: r.url.clone(),
            });
        }
        Box::pin(async move {
            delay(&w, 6).await;
            let mut world = w.borrow_mut();
            let token = authorization.and_then(|a| a.strip_prefix("Bearer ").map(str::to_string));
            let now = world.server_now();
            let lives = |map: &HashMap<String, (f64, f64)>| {
                token
                    .as_ref()
                    .and_then(|t| map.get(t))
                    .map(|&(_, exp)| now < exp)
            };
            let ok = lives(&world.valid) == Some(true);
            if lives(&world.issued) == Some(false) {
                world.expired_seen += 1;
            }
            let refuses = world.api_refuses.clone();
            let date = world
                .sends_date
                .then(|| (world.server_now() / 1000.0).floor() * 1000.0);
            Ok(Resp {
                status: if ok && refuses.is_none() { 200 } else { 401 },
                challenge: refuses.flatten(),
                date,
            })
        })
    }
    /// Resolves when the test aborts the request.
    pub fn aborted(&self, r: &Req) -> Fut<Error> {
        let shared = self
            .world
            .borrow_mut()
            .aborts
            .entry(r.id)
            .or_insert_with(Shared::new)
            .clone();
        Box::pin(async move { shared.wait().await })
    }
    pub fn new(world: &W, spawner: LocalSpawner) -> Self {
        FakeEnv {
            world: world.clone(),
            spawner,
            cancels: Rc::default(),
            tab: 0,
            lease: RefCell::default(),
        }
    }
}

/// A held cross-tab lock; released when dropped.
pub struct Held {
    world: W,
    tab: usize,
    fallback: bool,
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(lock) = self.world.borrow_mut().lock.as_mut() {
            let holder = match self.fallback {
                false => &mut lock.held_by,
                true => &mut lock.fallback_held_by,
            };
            if *holder == Some(self.tab) {
                *holder = None;
            }
        }
    }
}

pub struct Req {
    pub id: usize,
    pub url: String,
}

pub struct Resp {
    pub status: u16,
    /// `WWW-Authenticate`.
    pub challenge: Option<String>,
    /// `Date`, server ms.
    pub date: Option<f64>,
}

fn key(slot: Slot) -> &'static str {
    match slot {
        Slot::Access => "authlane.accessToken",
        Slot::Refresh => "authlane.refreshToken",
    }
}

impl Env for FakeEnv {
    type Response = Resp;
    type Claims = String;
    type Lock = Held;

    fn lock(&self) -> Fut<Option<Held>> {
        let (w, tab) = (self.world.clone(), self.tab);
        Box::pin(async move {
            let timeout = w.borrow().lock.as_ref().map(|l| l.timeout_polls)?;
            // The first lock; when its holder may be frozen, the fallback lock.
            for fallback in [false, true] {
                for _ in 0..timeout {
                    {
                        let mut world = w.borrow_mut();
                        let lock = world.lock.as_mut()?;
                        let holder = match fallback {
                            false => &mut lock.held_by,
                            true => &mut lock.fallback_held_by,
                        };
                        if holder.is_none() {
                            *holder = Some(tab);
                            return Some(Held {
                                world: w.clone(),
                                tab,
                                fallback,
                            });
                        }
                    }
                    frozen(&w, 1).await;
                }
            }
            None // timed out twice: the holders may be frozen
        })
    }
    fn broadcast(&self, message: authlane_core::env::Broadcast) {
        self.world.borrow_mut().mailbox.push((self.tab, message));
    }

    fn now_ms(&self) -> f64 {
        self.world.borrow().local_ms
    }
    fn random(&self) -> f64 {
        self.world.borrow_mut().rand(1000) as f64 / 1000.0
    }
    fn spawn(&self, task: Fut<()>) {
        let _ = self.spawner.spawn_local(task);
    }
    fn sleep(&self, ms: f64) -> Fut<()> {
        let w = self.world.clone();
        Box::pin(async move {
            delay(&w, 3).await;
            w.borrow_mut().local_ms += ms;
        })
    }
    fn server_date(&self, r: &Resp) -> Option<f64> {
        r.date
    }
    fn cancel_refresh(&self) {
        self.world.borrow_mut().refresh_cancels += 1;
        self.cancels.set(self.cancels.get() + 1);
    }
    fn www_authenticate(&self, r: &Resp) -> Option<String> {
        r.challenge.clone()
    }
    fn revoke(&self, token: Option<String>, _hint: &'static str) -> Fut<bool> {
        let w = self.world.clone();
        Box::pin(async move {
            let mut world = w.borrow_mut();
            world.revocations += 1;
            if let Some(t) = token {
                world.refresh_valid.retain(|r| r != &t);
            }
            true
        })
    }
    fn call_refresh(&self, refresh_token: Option<String>) -> Fut<Attempt> {
        let from_cookie = refresh_token.is_none();
        let refresh_token = refresh_token
            .or_else(|| self.world.borrow().cookie.clone())
            .unwrap_or_default();
        let w = self.world.clone();
        let cancels = self.cancels.clone();
        let started = cancels.get();
        {
            let mut world = w.borrow_mut();
            let stored = world.storage.get("authlane.refreshToken").cloned();
            if world.check_presented && stored.is_some() && stored.as_ref() != Some(&refresh_token)
            {
                world.violations.push(format!(
                    "presented {refresh_token}, but storage holds {stored:?}"
                ));
            }
        }
        Box::pin(async move {
            let epoch = {
                let mut world = w.borrow_mut();
                world.refresh_calls += 1;
                let epoch = world.epoch;
                let n = world.inflight_refresh.entry(epoch).or_insert(0);
                *n += 1;
                let n = *n;
                world.max_inflight_refresh = world.max_inflight_refresh.max(n);
                epoch
            };
            let gate = w.borrow().gate.clone();
            if let Some(gate) = gate {
                gate.wait().await;
            }
            let plan = w
                .borrow_mut()
                .plans
                .pop_front()
                .unwrap_or(RefreshPlan::Rotate);
            if matches!(plan, RefreshPlan::Hang) {
                delay(&w, 20).await;
                w.borrow_mut().local_ms += 10_000.0;
            }
            if matches!(plan, RefreshPlan::Freeze) {
                let polls = w.borrow().lock.as_ref().map_or(50, |l| l.timeout_polls * 2);
                frozen(&w, polls).await;
            }
            delay(&w, 8).await;
            let mut world = w.borrow_mut();
            *world.inflight_refresh.entry(epoch).or_insert(1) -= 1;
            // A call that hung, froze or was cancelled never reached the server.
            if matches!(plan, RefreshPlan::Hang | RefreshPlan::Freeze) || cancels.get() != started {
                return Attempt::Transient(
                    Error::new(Code::Timeout, "no answer"),
                    None,
                    Answer::default(),
                );
            }
            let current = world.epoch == epoch;
            let known = world.refresh_valid.contains(&refresh_token);
            if world.spent_refresh.contains(&refresh_token) {
                // Reuse detection, as Auth0, Supabase and most OAuth 2.0 servers do it.
                world.reuses += 1;
                world.refresh_valid.clear();
            }
            let definitive = !known || matches!(plan, RefreshPlan::Definitive);
            if definitive && current {
                world.known = None;
                world.removal_allowed = true;
            }
            // The server answers as an RFC 6749 token endpoint; the core's own rules
            // (`refresh_result::classify`) read the answer, as they read a real one.
            let answer = |status: u16, oauth_error: Option<&str>, body: &[(&str, &str)]| {
                let field = |k: &str| {
                    body.iter()
                        .find(|(key, _)| *key == k)
                        .map_or(Field::Other, |(_, v)| Field::Text((*v).to_string()))
                };
                let body = token_set(true, field, |t| t.parse().unwrap_or(f64::NAN));
                let reply = Reply::Http {
                    status,
                    oauth_error: oauth_error.map(str::to_string),
                    date: None,
                    retry_after_ms: None,
                    body,
                };
                classify(reply, true)
            };
            match plan {
                _ if !known => answer(400, Some("invalid_grant"), &[]),
                RefreshPlan::Definitive => answer(401, None, &[]),
                RefreshPlan::Lost => {
                    world.refresh_valid.retain(|t| t != &refresh_token);
                    world.spent_refresh.push(refresh_token);
                    let ttl = world.ttl_ms;
                    world.issue_access(ttl);
                    world.issue_refresh();
                    Attempt::Transient(
                        Error::new(Code::Timeout, "the answer was lost"),
                        None,
                        Answer::default(),
                    )
                }
                RefreshPlan::Misconfigured => answer(401, Some("invalid_client"), &[]),
                RefreshPlan::Hang | RefreshPlan::Freeze => unreachable!("answered above"),
                RefreshPlan::Transient => answer(503, None, &[]),
                RefreshPlan::Garbage => answer(200, None, &[("token_type", "Bearer")]),
                RefreshPlan::Rotate => {
                    world.refresh_valid.retain(|t| t != &refresh_token);
                    world.spent_refresh.push(refresh_token);
                    let ttl = world.ttl_ms;
                    let access = world.issue_access(ttl);
                    let refresh = world.issue_refresh();
                    if from_cookie {
                        world.cookie = Some(refresh.clone());
                    }
                    if current {
                        world.known = Some(access.clone());
                    }
                    world.local_ms += world.refresh_latency_ms;
                    answer(
                        200,
                        None,
                        &[("access_token", &access), ("refresh_token", &refresh)],
                    )
                }
            }
        })
    }
    fn inspect(&self, access: &str) -> TokenInfo<String> {
        let world = self.world.borrow();
        match world.issued.get(access) {
            Some(&(iat, exp)) => TokenInfo {
                claims: Some(format!("claims of {access}")),
                expires_at: Some(exp),
                issued_at: Some(iat),
            },
            None => TokenInfo::default(),
        }
    }
    fn load(&self, slot: Slot) -> Fut<Result<Stored, Error>> {
        let w = self.world.clone();
        if slot == Slot::Refresh && w.borrow().cookie_mode {
            w.borrow_mut()
                .violations
                .push("cookie mode read the refresh token's key".into());
        }
        Box::pin(async move {
            let world = w.borrow();
            Ok(world
                .storage
                .get(key(slot))
                .map(|v| Stored::Text(v.clone()))
                .unwrap_or(Stored::Missing))
        })
    }
    /// The write lands when it is issued (as JS storage calls do); the caller then waits.
    fn store(&self, slot: Slot, value: String) -> Fut<Result<(), Error>> {
        let w = self.world.clone();
        let result = {
            let mut world = w.borrow_mut();
            if world.logged_out {
                world
                    .violations
                    .push(format!("{} written after logout", key(slot)));
            }
            if world.cookie_mode && slot == Slot::Refresh {
                world
                    .violations
                    .push("cookie mode wrote the refresh token's key".into());
            }
            if world.storage_fails {
                Err(Error::new(Code::StorageError, "disk full"))
            } else {
                world.storage.insert(key(slot), value);
                world.writes_after.push(key(slot));
                Ok(())
            }
        };
        let gate = w.borrow().storage_gate.clone();
        Box::pin(async move {
            if let Some(gate) = gate {
                gate.wait().await;
            }
            delay(&w, 2).await;
            result
        })
    }
    fn remove(&self, slot: Slot) -> Fut<Result<(), Error>> {
        let mut world = self.world.borrow_mut();
        if world.cookie_mode && slot == Slot::Refresh {
            world
                .violations
                .push("cookie mode removed the refresh token's key".into());
        }
        if !world.removal_allowed {
            world.violations.push(format!(
                "{} removed without a definitive failure or logout",
                key(slot)
            ));
        }
        world.storage.remove(key(slot));
        drop(world);
        // Removal takes time, as writes do (AsyncStorage, IndexedDB): a login or logout can
        // happen meanwhile.
        let w = self.world.clone();
        Box::pin(async move {
            delay(&w, 2).await;
            Ok(())
        })
    }
    fn dispatch(&self, action: Action<String>) {
        let text = format!("{action:?}");
        let mut world = self.world.borrow_mut();
        for t in world.valid.keys().chain(world.refresh_valid.iter()) {
            assert!(
                !text.contains(&format!("\"{t}\"")),
                "an action carried a token: {text}"
            );
        }
        world.actions.push(text);
    }
}

// The JS shell's loops (requests, getAccessToken, the auto-refresh timer), as the tests run them.
#[path = "shell.rs"]
mod shell;
pub use shell::*;
