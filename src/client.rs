//! The exported client core. The JS shell (`js/client.js`) wraps it as `AuthClient`: it prepares
//! requests and provides the host; every decision happens here and in the modules it drives.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::js_env::JsEnv;
use crate::js_error;
use crate::js_options;
use crate::js_refresh::read_token_set;
use authlane_core::core::Core;
use authlane_core::env::Fut;
use authlane_core::error::{Code, Error};
use authlane_core::pipeline::{Held, Ready, Rejection, Step, Verdict, Wait};

/// One client's core: its state, refresh queue and pipeline.
///
/// ```js
/// const core = new ClientCore(options, host, location?.href);
/// await core.start();
/// const header = core.ready(url, true, 0); // then send, and core.onResponse(response, ...)
/// ```
#[wasm_bindgen]
pub struct ClientCore {
    core: Rc<Core<JsEnv>>,
    base_url: Option<String>,
    /// The refresh that `ready` last named, with its Promise: every request it holds gets the
    /// same one.
    held: RefCell<Option<(Held, Promise)>>,
    /// The `until` of the lease `lease` last granted, and whether it learns from `Date`.
    lease_until: Cell<f64>,
    lease_date_every: Cell<f64>,
}

/// Boxes each exported method's future, so that `settle` (and with it `future_to_promise`'s
/// machinery) exists once in the wasm instead of once per method.
fn promise(future: impl Future<Output = Result<JsValue, Error>> + 'static) -> Promise {
    settle(Box::pin(future))
}

fn settle(future: Fut<Result<JsValue, Error>>) -> Promise {
    future_to_promise(async move { future.await.map_err(js_error::into_js) })
}

#[wasm_bindgen]
impl ClientCore {
    /// Validates the options (`INVALID_CONFIG` naming the option) and builds a logged-out core.
    #[wasm_bindgen(constructor)]
    pub fn new(
        options: JsValue,
        host: JsValue,
        document_url: Option<String>,
    ) -> Result<ClientCore, JsValue> {
        let (config, settings) =
            js_options::parse_js(options, document_url).map_err(js_error::into_js)?;
        let env = JsEnv::new(host, &settings);
        Ok(ClientCore {
            core: Core::new(env, config),
            base_url: settings.base_url,
            held: RefCell::new(None),
            lease_until: Cell::new(f64::NEG_INFINITY),
            lease_date_every: Cell::new(0.0),
        })
    }

    /// Reads storage; dispatches `restored`.
    pub fn start(&self) -> Promise {
        let core = Rc::clone(&self.core);
        promise(async move { core.start().await.map(|_| JsValue::UNDEFINED) })
    }

    /// `input` resolved against `baseUrl` (or the page), or `undefined` when it cannot be.
    #[wasm_bindgen(js_name = resolveUrl)]
    pub fn resolve_url(&self, input: &str) -> Option<String> {
        authlane_core::url::resolve(self.base_url.as_deref(), input)
    }

    /// Whether `url` may get the token: for the redirect hops the JS shell follows itself.
    pub fn allows(&self, url: &str) -> bool {
        self.core.config().allows(url)
    }

    /// What a request to `url` may do now: the header value to send it with (`null` to send it
    /// without one; then `onResponse`), `false` to send it as it is and be done, or a Promise to
    /// wait for before asking again: the refresh that holds it (the same Promise for every
    /// request that refresh holds; it rejects with the refresh's error), the write of tokens
    /// storage refused earlier, or a rejection (the client was disposed; a resend found the
    /// session over). `step`: 0 before the first send, 1 after a wait, 2 before the resend.
    pub fn ready(&self, url: &str, auth: bool, step: u8) -> JsValue {
        let step = match step {
            0 => Step::First,
            1 => Step::Again,
            _ => Step::Resend,
        };
        match self.core.ready_now(url, auth, step) {
            Ready::Bypass => JsValue::FALSE,
            Ready::Send { authorization, .. } => {
                authorization.map(JsValue::from).unwrap_or(JsValue::NULL)
            }
            Ready::Wait(wait) => self.wait(wait),
        }
    }

    /// The Promise to wait for before asking again (a rejection for [`Wait::Reject`]).
    fn wait(&self, wait: Wait) -> JsValue {
        match wait {
            Wait::Refresh(held) | Wait::Save(held) => self.held(held).into(),
            Wait::Reject(e) => Promise::reject(&js_error::into_js(e)).into(),
        }
    }

    /// The Promise of `refresh` for the requests it holds: made once per refresh.
    fn held(&self, refresh: Held) -> Promise {
        let mut held = self.held.borrow_mut();
        if let Some((last, promise)) = held.as_ref() {
            if Rc::ptr_eq(last, &refresh) {
                return promise.clone();
            }
        }
        let wait = Rc::clone(&refresh);
        let shared = promise(async move { wait.wait().await.map(|()| JsValue::UNDEFINED) });
        *held = Some((refresh, shared.clone()));
        shared
    }

    /// The fast path's lease on the token held now: its header value (then `leaseUntil`,
    /// `leaseDateEvery`, `failures` and `generation`), or `undefined` when every request must
    /// ask `ready`. Under it, a first send to an allowed origin carries the header without
    /// asking, until device ms `leaseUntil` and while `leaseHolds(generation, until, failures)`;
    /// its response is the answer unless its status is one of `refreshStatuses` (then
    /// `onResponse`), the core told by `accepted` once and by `notedDate` of a response's `Date`
    /// every `leaseDateEvery` ms.
    pub fn lease(&self) -> Option<String> {
        let lease = self.core.lease()?;
        self.lease_until.set(lease.until);
        self.lease_date_every.set(lease.date_every_ms);
        Some(lease.authorization)
    }

    /// Until when (device ms) the lease `lease` granted last runs.
    #[wasm_bindgen(js_name = leaseUntil)]
    pub fn lease_until(&self) -> f64 {
        self.lease_until.get()
    }

    /// How often (device ms) the shell hands `notedDate` the `Date` of a response under the
    /// lease `lease` granted last: 0 for every response.
    #[wasm_bindgen(js_name = leaseDateEvery)]
    pub fn lease_date_every(&self) -> f64 {
        self.lease_date_every.get()
    }

    /// Whether the lease on the token of `generation`, running until `until`, still holds.
    #[wasm_bindgen(js_name = leaseHolds)]
    pub fn lease_holds(&self, generation: f64, until: f64, failures: f64) -> bool {
        self.core
            .lease_holds(generation as u64, until, failures as u64)
    }

    /// How many refreshes have failed so far: what a request notes when it is sent (for
    /// `afterRejection`), and a lease when it is granted (for `leaseHolds`).
    pub fn failures(&self) -> f64 {
        self.core.failures() as f64
    }

    /// A response under a lease that learns from `Date` carried `Date: date` (ms): the lease's
    /// `until` after the clock has noted it.
    #[wasm_bindgen(js_name = notedDate)]
    pub fn noted_date(&self, date: f64) -> f64 {
        self.core.noted_date(date)
    }

    /// The allowed origins (`https://host[:port]`), separated by spaces: a URL that starts with
    /// one and `/` is on it.
    #[wasm_bindgen(js_name = allowedOrigins)]
    pub fn allowed_origins(&self) -> String {
        spaced(self.core.config().allowed_origins.iter().cloned())
    }

    /// The origin that a path-absolute URL (`/x`) resolves to: `baseUrl`'s (or the page's),
    /// `undefined` when there is none or its root is not the origin and `/` (credentials in it).
    #[wasm_bindgen(js_name = baseOrigin)]
    pub fn base_origin(&self) -> Option<String> {
        let base = self.base_url.as_deref()?;
        let origin = authlane_core::url::origin(base)?;
        let root = authlane_core::url::resolve(Some(base), "/")?;
        (root.strip_prefix(origin.as_str()) == Some("/")).then_some(origin)
    }

    /// The statuses that reject the token (`refreshOn` when it is not a predicate), separated
    /// by spaces.
    #[wasm_bindgen(js_name = refreshStatuses)]
    pub fn refresh_statuses(&self) -> String {
        spaced(self.core.config().refresh_on.iter().map(u16::to_string))
    }

    /// The generation of the token held now: what `ready` just put in the header.
    pub fn generation(&self) -> f64 {
        self.core.generation() as f64
    }

    /// What `response` (to a request sent with the token of `generation`, `undefined` for none;
    /// with its `status`, and its `url` unless empty) says of the token: 0 nothing, it is the
    /// answer; 1 it rejects the token; 2 ask the `refreshOn` predicate (then `accepted` when it
    /// says no).
    #[wasm_bindgen(js_name = onResponse)]
    pub fn on_response(
        &self,
        response: &JsValue,
        status: f64,
        url: Option<String>,
        generation: Option<f64>,
    ) -> u8 {
        let generation = generation.map(|g| g as u64);
        match self
            .core
            .on_response(response, status as u16, url.as_deref(), generation)
        {
            Verdict::Answer => 0,
            Verdict::Rejected => 1,
            Verdict::Ask => 2,
        }
    }

    /// The `refreshOn` predicate found nothing against the token of `generation`.
    pub fn accepted(&self, generation: f64) {
        self.core.accepted(generation as u64);
    }

    /// The resend, with the token of `generation`, was rejected too.
    pub fn refused(&self, generation: f64) {
        self.core.refused_fresh(generation as u64);
    }

    /// What follows a first response that rejected the token of `generation` (sent when
    /// `failures()` said `failures`): `undefined` to answer with it as it is, `null` to send once
    /// more now (`ready` with step 2), or a Promise to wait for first: the refresh to resend
    /// after, or a rejection with the request's error.
    #[wasm_bindgen(js_name = afterRejection)]
    pub fn after_rejection(&self, response: &JsValue, generation: f64, failures: f64) -> JsValue {
        match self
            .core
            .after_rejection(response, generation as u64, failures as u64)
        {
            Rejection::Answer => JsValue::UNDEFINED,
            Rejection::Resend(None) => JsValue::NULL,
            Rejection::Resend(Some(refresh)) => self.held(refresh).into(),
            Rejection::Fail(e) => Promise::reject(&js_error::into_js(e)).into(),
            Rejection::Expire => {
                let core = Rc::clone(&self.core);
                promise(async move { Err(core.expire_rejected().await) }).into()
            }
        }
    }

    /// The auth header's name, for the fast path's send.
    #[wasm_bindgen(js_name = headerName)]
    pub fn header_name(&self) -> String {
        self.core.env().header_name.clone()
    }

    /// The per-attempt timeout (ms), for the fast path's send.
    #[wasm_bindgen(js_name = timeoutMs)]
    pub fn timeout_ms(&self) -> f64 {
        self.core.env().timeout_ms
    }

    /// `login(tokens)`: `{ accessToken, refreshToken?, expiresIn? }` or a token response as a
    /// server sends it (`access_token`, `refresh_token`, `expires_in`, ...).
    pub fn login(&self, tokens: JsValue) -> Promise {
        let core = Rc::clone(&self.core);
        let set = read_token_set(&tokens);
        promise(async move {
            let set = set.map_err(|why| {
                Error::new(Code::InvalidToken, format!("login: the tokens given {why}"))
            })?;
            core.login(set).await.map(|_| JsValue::UNDEFINED)
        })
    }

    /// `logout()`: resolves with `{ revoked }`.
    pub fn logout(&self) -> Promise {
        let core = Rc::clone(&self.core);
        promise(async move {
            let revoked = core.logout().await?;
            let out = Object::new();
            let _ = Reflect::set(&out, &"revoked".into(), &JsValue::from_bool(revoked));
            Ok(out.into())
        })
    }

    /// `getAccessToken()`, without waiting: the token (`null` when logged out), or a Promise
    /// to wait for before asking again with `first` false (as `ready`'s).
    #[wasm_bindgen(js_name = getAccessToken)]
    pub fn get_access_token(&self, first: bool) -> JsValue {
        match self.core.access_token_now(first) {
            Ok(token) => token.map(JsValue::from).unwrap_or(JsValue::NULL),
            Err(wait) => self.wait(wait),
        }
    }

    /// `refresh()`: the Promise of the refresh it started or joined (then `session()`), or a
    /// rejection.
    pub fn refresh(&self) -> Promise {
        match self.core.force_refresh() {
            Ok(refresh) => self.held(refresh),
            Err(e) => Promise::reject(&js_error::into_js(e)),
        }
    }

    /// `session()`: `{ authenticated, claims, expiresAt }`, never the tokens.
    pub fn session(&self) -> JsValue {
        session_to_js(&self.core)
    }

    /// One auto-refresh check; returns ms until the next one is due.
    pub fn tick(&self) -> f64 {
        self.core.tick()
    }

    /// Whether cross-tab coordination is on (the host opens its channel and locks only then).
    #[wasm_bindgen(js_name = crossTab)]
    pub fn cross_tab(&self) -> bool {
        self.core.config().cross_tab
    }

    /// A message from another tab: `"tokens"`, `"loggedOut"` or `"sessionExpired"`.
    #[wasm_bindgen(js_name = onBroadcast)]
    pub fn on_broadcast(&self, message: &str) -> Promise {
        let core = Rc::clone(&self.core);
        let message = authlane_core::env::Broadcast::parse(message);
        promise(async move {
            if let Some(m) = message {
                core.on_broadcast(m).await;
            }
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Rejects held requests with LOGGED_OUT and stops the client; tokens are kept.
    pub fn dispose(&self) {
        self.core.dispose();
    }
}

/// The items separated by spaces.
fn spaced(items: impl Iterator<Item = String>) -> String {
    let mut out = String::new();
    for item in items {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&item);
    }
    out
}

fn session_to_js(core: &Core<JsEnv>) -> JsValue {
    let s = core.session();
    let out = Object::new();
    let _ = Reflect::set(
        &out,
        &"authenticated".into(),
        &JsValue::from_bool(s.authenticated),
    );
    let _ = Reflect::set(&out, &"claims".into(), &s.claims.unwrap_or(JsValue::NULL));
    let expires = s.expires_at.map(JsValue::from_f64).unwrap_or(JsValue::NULL);
    let _ = Reflect::set(&out, &"expiresAt".into(), &expires);
    out.into()
}
