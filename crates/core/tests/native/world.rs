//! The fake world the native tests run clients in: an API that accepts the live access tokens it
//! issued and answers 401 otherwise, a refresh endpoint that follows a plan and detects the reuse
//! of a spent refresh token, a revocation endpoint, shared storage, a clock, and the record of
//! what was sent, called, written and dispatched. The driver (`sim.rs`) performs the clients'
//! effects against it.

use std::collections::{BTreeMap, HashMap, VecDeque};

use authlane_core::action::Action;
use authlane_core::calls::base64;
use authlane_core::effect::{Call, Id, Revoke};

/// Where the API lives: the origin the clients allow.
pub const API: &str = "https://api.example";
/// The storage keys (`storageKey` is the default, `authlane`).
pub const ACCESS_KEY: &str = "authlane.accessToken";
pub const REFRESH_KEY: &str = "authlane.refreshToken";
pub const PENDING_KEY: &str = "authlane.pendingRevocations";
pub const KEYS: [&str; 2] = [ACCESS_KEY, REFRESH_KEY];

/// What the refresh endpoint does with the next call (`Rotate` when no plan is left).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// New access and refresh tokens; the presented refresh token is spent.
    Rotate,
    /// 401: the refresh token is refused.
    Definitive,
    /// 503.
    Transient,
    /// 200 without an access token.
    Garbage,
    /// No answer: the shell's timeout (`refreshTimeoutMs`) ends the call; the server never saw it.
    Hang,
    /// OAuth 2.0 `401 invalid_client`: a configuration error.
    Misconfigured,
    /// The server rotates, but the answer is lost: the call times out after it rotated.
    Lost,
}

/// One send of a request, as the API saw it.
#[derive(Clone, Debug)]
pub struct Sent {
    pub tab: usize,
    pub request: Id,
    pub authorization: Option<String>,
    pub resend: bool,
    pub url: String,
    /// How many storage writes had landed when it was sent.
    pub writes_before: usize,
}

/// The API's answer to one send.
#[derive(Clone, Debug)]
pub struct Resp {
    pub status: u16,
    /// `WWW-Authenticate`.
    pub challenge: Option<String>,
    /// `Date`, ms.
    pub date: Option<f64>,
}

/// A write that has not reached the other tabs yet (`lag_ms`): they still read `before`.
struct Lagging {
    writer: usize,
    key: &'static str,
    before: Option<String>,
    until: f64,
}

pub struct World {
    rng: u64,
    /// The world's clock, ms: the device time of a tab whose clock is right.
    pub now: f64,
    /// The server's clock minus the world's.
    pub skew_ms: f64,
    /// The API's responses carry `Date` (server time, to the second), as HTTP servers' do.
    pub sends_date: bool,
    /// What the API's `Date` says beyond the server's time (a cache's old `Date`: negative).
    pub date_offset_ms: f64,
    /// The longest a network call, a storage operation, a lock grant or a message takes, ms; each
    /// takes a seeded random part of it. 0: the clock never moves by itself.
    pub max_delay_ms: u64,
    /// The life of the access tokens the refresh endpoint issues, ms (negative: already dead).
    pub ttl_ms: f64,
    next_token: u64,
    /// Access token -> (iat, exp), server ms, as the server judges them (`revoke_all_access`).
    pub valid: HashMap<String, (f64, f64)>,
    /// Access token -> (iat, exp), server ms, as the token itself says.
    pub issued: HashMap<String, (f64, f64)>,
    /// Tokens carry `iat` and `exp` in whole seconds, as real JWTs do.
    pub whole_second_iat: bool,
    /// Refresh tokens the server accepts.
    pub refresh_valid: Vec<String>,
    /// Refresh tokens that rotation replaced: presenting one again revokes the whole family.
    pub spent_refresh: Vec<String>,
    /// How often a spent refresh token came back (each revoked the family).
    pub reuses: usize,
    pub plans: VecDeque<Plan>,
    /// How long a refresh's answer takes, beyond the network's delay.
    pub refresh_latency_ms: f64,
    /// While true, refresh calls that reach the endpoint wait there (`Sim::release_calls`).
    pub gate: bool,
    /// Every refresh call made (the `Call` effects), with the tab that made it.
    pub calls: Vec<(usize, Call)>,
    /// How often a client cancelled its refresh call in flight.
    pub cancels: usize,
    /// Every revocation sent, with the tab that sent it.
    pub revocations: Vec<(usize, Revoke)>,
    /// The HttpOnly cookie's refresh token (cookie mode): used when a call carries none.
    pub cookie: Option<String>,
    /// The API refuses every token (a missing scope, a wrong audience), with this challenge.
    pub api_refuses: Option<Option<String>>,
    /// Requests the API refused because their token had expired by its clock.
    pub expired_seen: usize,
    pub sent: Vec<Sent>,
    /// What storage holds (what the writing tab sees).
    pub storage: BTreeMap<&'static str, String>,
    /// Writes fail.
    pub storage_fails: bool,
    /// While true, the completion of each write waits (the write itself has landed):
    /// `Sim::release_writes`.
    pub storage_gate: bool,
    /// How long a write takes to reach the other tabs (access key, refresh key), ms.
    pub lag_ms: [f64; 2],
    lagging: Vec<Lagging>,
    /// The keys written, in order.
    pub writes: Vec<&'static str>,
    /// Every action dispatched, with its tab.
    pub actions: Vec<(usize, Action)>,
    /// Every refresh call must present the refresh token that storage holds, and the one issued
    /// with the access token its tab holds.
    pub check_presented: bool,
    /// Access token -> the refresh token issued with it (refreshes, stored pairs, logins).
    pub pairs: HashMap<String, String>,
    /// Access token by the number in its claims (`n`).
    pub by_number: HashMap<u64, String>,
    /// Clients in cookie mode never touch the refresh token's key.
    pub cookie_mode: bool,
    /// Invariants broken, as they happened.
    pub violations: Vec<String>,
    /// What happened, in order: `"tab 0 store authlane.refreshToken"`, `"tab 0 remove …"`,
    /// `"tab 0 dispatch loggedOut"`, `"tab 0 call"`, `"tab 0 revoke"`, `"tab 0 send 3"`.
    pub log: Vec<String>,
}

impl World {
    pub fn new(seed: u64) -> World {
        World {
            rng: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            now: 1_700_000_000_000.0,
            skew_ms: 0.0,
            sends_date: false,
            date_offset_ms: 0.0,
            max_delay_ms: 6,
            ttl_ms: 900_000.0,
            next_token: 0,
            valid: HashMap::new(),
            issued: HashMap::new(),
            whole_second_iat: false,
            refresh_valid: Vec::new(),
            spent_refresh: Vec::new(),
            reuses: 0,
            plans: VecDeque::new(),
            refresh_latency_ms: 0.0,
            gate: false,
            calls: Vec::new(),
            cancels: 0,
            revocations: Vec::new(),
            cookie: None,
            api_refuses: None,
            expired_seen: 0,
            sent: Vec::new(),
            storage: BTreeMap::new(),
            storage_fails: false,
            storage_gate: false,
            lag_ms: [0.0, 0.0],
            lagging: Vec::new(),
            writes: Vec::new(),
            actions: Vec::new(),
            check_presented: false,
            pairs: HashMap::new(),
            by_number: HashMap::new(),
            cookie_mode: false,
            violations: Vec::new(),
            log: Vec::new(),
        }
    }

    pub fn rand(&mut self, n: u64) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng % n.max(1)
    }

    /// A seeded delay, ms.
    pub fn delay(&mut self) -> f64 {
        let max = self.max_delay_ms;
        self.rand(max + 1) as f64
    }

    pub fn server_now(&self) -> f64 {
        self.now + self.skew_ms
    }

    /// Issues an access token living `ttl_ms` from server time now (negative: already expired).
    pub fn issue_access(&mut self, ttl_ms: f64) -> String {
        self.issue_access_aged(0.0, ttl_ms)
    }

    /// Issues an access token that was issued `age_ms` ago (server time) and lives `ttl_ms`
    /// from then: what an app finds in storage when it starts again. A JWT (`alg: none`) whose
    /// `iat` and `exp` say so.
    pub fn issue_access_aged(&mut self, age_ms: f64, ttl_ms: f64) -> String {
        self.next_token += 1;
        let mut iat = self.server_now() - age_ms;
        if self.whole_second_iat {
            iat = (iat / 1_000.0).floor() * 1_000.0;
        }
        let exp = iat + ttl_ms;
        let payload = format!(
            r#"{{"sub":"user","n":{},"iat":{},"exp":{}}}"#,
            self.next_token,
            iat / 1_000.0,
            exp / 1_000.0
        );
        let t = format!("{}.{}.sig", b64url(r#"{"alg":"none"}"#), b64url(&payload));
        self.by_number.insert(self.next_token, t.clone());
        self.valid.insert(t.clone(), (iat, exp));
        self.issued.insert(t.clone(), (iat, exp));
        t
    }

    pub fn issue_refresh(&mut self) -> String {
        self.next_token += 1;
        let t = format!("ref{}", self.next_token);
        self.refresh_valid.push(t.clone());
        t
    }

    /// The server no longer accepts any access token issued so far.
    pub fn revoke_all_access(&mut self) {
        self.valid.values_mut().for_each(|v| v.1 = f64::MIN);
    }

    /// Puts a pair in storage (what a login in another app session left there).
    pub fn store_pair(&mut self, access: &str, refresh: Option<&str>) {
        if let Some(r) = refresh {
            self.pairs.insert(access.to_string(), r.to_string());
        }
        self.storage.insert(ACCESS_KEY, access.to_string());
        match refresh {
            Some(r) => self.storage.insert(REFRESH_KEY, r.to_string()),
            None => self.storage.remove(REFRESH_KEY),
        };
    }

    pub fn refresh_count(&self) -> usize {
        self.calls.len()
    }

    /// How many actions of this name were dispatched, by every tab.
    pub fn has_action(&self, name: &str) -> usize {
        self.actions
            .iter()
            .filter(|(_, a)| a.name() == name)
            .count()
    }

    // The API.

    /// The API's answer to a request carrying `authorization`, now.
    pub fn answer(&mut self, authorization: Option<&str>) -> Resp {
        let token = authorization.and_then(|a| a.strip_prefix("Bearer "));
        let now = self.server_now();
        let lives = |map: &HashMap<String, (f64, f64)>| {
            token.and_then(|t| map.get(t)).map(|&(_, exp)| now < exp)
        };
        let ok = lives(&self.valid) == Some(true);
        if lives(&self.issued) == Some(false) {
            self.expired_seen += 1;
        }
        let date = self.date();
        Resp {
            status: if ok && self.api_refuses.is_none() {
                200
            } else {
                401
            },
            challenge: self.api_refuses.clone().flatten(),
            date,
        }
    }

    /// The `Date` of a response now, when the server sends one: server time (plus
    /// `date_offset_ms`), to the second.
    pub fn date(&self) -> Option<f64> {
        let now = self.server_now() + self.date_offset_ms;
        self.sends_date.then(|| (now / 1000.0).floor() * 1000.0)
    }

    // The refresh endpoint.

    /// The refresh endpoint answers call `call` (presenting `token`; the cookie's when it
    /// carries none): the status and body, or `None` for no answer (the shell's timeout).
    pub fn refresh_endpoint(&mut self, token: Option<&str>) -> Option<(u16, String)> {
        let from_cookie = token.is_none();
        let token = token
            .map(str::to_string)
            .or_else(|| self.cookie.clone())
            .unwrap_or_default();
        let plan = self.plans.pop_front().unwrap_or(Plan::Rotate);
        if plan == Plan::Hang {
            return None;
        }
        let known = self.refresh_valid.contains(&token);
        if self.spent_refresh.contains(&token) {
            // Reuse detection, as Auth0, Supabase and most OAuth 2.0 servers do it.
            self.reuses += 1;
            self.refresh_valid.clear();
        }
        let error = |e: &str| format!(r#"{{"error":"{e}"}}"#);
        match plan {
            _ if !known => Some((400, error("invalid_grant"))),
            Plan::Definitive => Some((401, String::new())),
            Plan::Misconfigured => Some((401, error("invalid_client"))),
            Plan::Transient => Some((503, String::new())),
            Plan::Garbage => Some((200, r#"{"token_type":"Bearer"}"#.into())),
            Plan::Hang => None,
            Plan::Rotate | Plan::Lost => {
                self.refresh_valid.retain(|t| t != &token);
                self.spent_refresh.push(token);
                let ttl = self.ttl_ms;
                let access = self.issue_access(ttl);
                let refresh = self.issue_refresh();
                self.pairs.insert(access.clone(), refresh.clone());
                if from_cookie {
                    self.cookie = Some(refresh.clone());
                }
                (plan == Plan::Rotate).then(|| {
                    let body = format!(
                        r#"{{"access_token":"{access}","refresh_token":"{refresh}","token_type":"Bearer"}}"#
                    );
                    (200, body)
                })
            }
        }
    }

    /// The access token whose claims are `claims` (its `n`).
    pub fn access_of(&self, claims: &str) -> Option<&String> {
        let n = authlane_core::json::Json::parse(claims).ok()?;
        let n = n.get("n").and_then(authlane_core::json::Json::num)?;
        self.by_number.get(&(n as u64))
    }

    /// The index in `log` of the first entry that contains `what`.
    pub fn logged(&self, what: &str) -> Option<usize> {
        self.log.iter().position(|l| l.contains(what))
    }

    /// The revocation endpoint (RFC 7009): forgets the token in the body (the cookie's, for an
    /// empty body).
    pub fn revoke(&mut self, body: Option<&str>) {
        let token = match body {
            None => self.cookie.take(),
            Some(b) => form_value(b, "token").or_else(|| json_refresh_token(b)),
        };
        if let Some(t) = token {
            self.refresh_valid.retain(|r| r != &t);
        }
    }

    // Storage.

    /// What `tab` reads at `key` now (another tab's write may not have reached it yet).
    pub fn read(&mut self, tab: usize, key: &'static str) -> Option<String> {
        let now = self.now;
        self.lagging.retain(|l| l.until > now);
        let pending = self
            .lagging
            .iter()
            .find(|l| l.key == key && l.writer != tab);
        match pending {
            Some(l) => l.before.clone(),
            None => self.storage.get(key).cloned(),
        }
    }

    /// `tab` writes `value` (`None`: removes) at `key`; it lands now.
    pub fn write(&mut self, tab: usize, key: &'static str, value: Option<String>) {
        let lag = match key {
            ACCESS_KEY => self.lag_ms[0],
            _ => self.lag_ms[1],
        };
        let before = self.storage.get(key).cloned();
        if lag > 0.0 {
            self.lagging.push(Lagging {
                writer: tab,
                key,
                before,
                until: self.now + lag,
            });
        }
        let what = if value.is_some() { "store" } else { "remove" };
        self.log.push(format!("tab {tab} {what} {key}"));
        match value {
            Some(v) => {
                self.storage.insert(key, v);
                self.writes.push(key);
            }
            None => {
                self.storage.remove(key);
            }
        }
    }
}

/// base64url without padding.
pub fn b64url(text: &str) -> String {
    base64(text.as_bytes())
        .trim_end_matches('=')
        .replace('+', "-")
        .replace('/', "_")
}

/// The value of `key` in an `application/x-www-form-urlencoded` body (tokens need no decoding).
pub fn form_value(body: &str, key: &str) -> Option<String> {
    body.split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_string())
}

/// `refreshToken` of a JSON body `{"refreshToken":"…"}`.
fn json_refresh_token(body: &str) -> Option<String> {
    let v = authlane_core::json::Json::parse(body).ok()?;
    v.get("refreshToken")
        .and_then(authlane_core::json::Json::str)
        .map(str::to_string)
}
