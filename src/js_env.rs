//! The client's surroundings in JS: the host object the JS shell builds (fetch with timeouts,
//! storage, timers, dispatch) behind the [`Env`] trait. Only I/O happens in JS; every decision
//! is made in Rust.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::api::parse_part;
use crate::js_action::action_to_js;
use crate::js_error;
use crate::js_refresh::{classify_refresh, classify_thrown};
use authlane_core::env::{Action, Attempt, Env, Fut, Slot, Stored, TokenInfo};
use authlane_core::error::{Code, Error};
use authlane_core::jwt::Part;
use authlane_core::options::HostSettings;

#[wasm_bindgen]
extern "C" {
    /// The host object `js/client.js` builds: each method is called on it by name, typed, so
    /// the wasm neither looks functions up by string nor builds argument arrays.
    pub type Host;
    #[wasm_bindgen(method, catch)]
    fn now(this: &Host) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn random(this: &Host) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn sleep(this: &Host, ms: f64) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = callRefresh)]
    fn call_refresh(
        this: &Host,
        refresh_token: &JsValue,
        url: &JsValue,
        timeout_ms: f64,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = cancelRefresh)]
    fn cancel_refresh(this: &Host) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn revoke(
        this: &Host,
        token: &JsValue,
        hint: &str,
        url: &JsValue,
        timeout_ms: f64,
    ) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn load(this: &Host, slot: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn store(this: &Host, slot: &str, value: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn remove(this: &Host, slot: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn dispatch(this: &Host, action: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn lock(this: &Host, timeout_ms: f64) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn broadcast(this: &Host, message: &str) -> Result<JsValue, JsValue>;
}

/// The client's surroundings: the host and what it needs to know from the options.
pub struct JsEnv {
    host: Host,
    /// The auth header's name.
    pub header_name: String,
    /// Per attempt of a request, ms; 0 for none.
    pub timeout_ms: f64,
    /// Per attempt of the refresh call, ms.
    pub refresh_timeout_ms: f64,
    /// The refresh endpoint's resolved URL (endpoint form).
    pub refresh_url: Option<String>,
    /// How long to wait for another tab's refresh lock: its refresh's longest legitimate run.
    pub lock_timeout_ms: f64,
    /// The refresh endpoint is an OAuth 2.0 token endpoint: its error bodies are judged too.
    pub oauth2: bool,
    /// The revocation endpoint's resolved URL.
    pub revoke_url: Option<String>,
}

pub(crate) fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Awaits a value that may be a promise.
async fn settle(value: JsValue) -> Result<JsValue, JsValue> {
    JsFuture::from(Promise::resolve(&value)).await
}

fn slot_name(slot: Slot) -> &'static str {
    match slot {
        Slot::Access => "access",
        Slot::Refresh => "refresh",
    }
}

fn storage_error(slot: Slot, what: &str, cause: JsValue) -> Error {
    let which = slot_name(slot);
    js_error::with_js_cause(
        Code::StorageError,
        format!("the {which} token storage failed to {what}"),
        cause,
    )
}

/// A response header's value (`response.headers.get(name)`).
fn header(response: &JsValue, name: &str) -> Option<String> {
    let headers = get(response, "headers");
    get(&headers, "get")
        .dyn_into::<Function>()
        .ok()?
        .call1(&headers, &name.into())
        .ok()?
        .as_string()
}

/// A finite number at `key`, if any.
pub fn number(obj: &JsValue, key: &str) -> Option<f64> {
    get(obj, key).as_f64().filter(|n| n.is_finite())
}

pub(crate) fn string(obj: &JsValue, key: &str) -> Option<String> {
    get(obj, key).as_string()
}

impl JsEnv {
    /// Wraps the host object built by the JS shell.
    pub fn new(host: JsValue, settings: &HostSettings) -> Self {
        let host: Host = host.unchecked_into();
        JsEnv {
            host,
            header_name: settings.header_name.clone(),
            timeout_ms: settings.timeout_ms,
            refresh_timeout_ms: settings.refresh_timeout_ms,
            refresh_url: settings.refresh_url.clone(),
            lock_timeout_ms: settings.lock_timeout_ms,
            oauth2: settings.oauth2,
            revoke_url: settings.revoke_url.clone(),
        }
    }
}

fn text_or_null(text: Option<&str>) -> JsValue {
    text.map(JsValue::from_str).unwrap_or(JsValue::NULL)
}

/// A held Web Lock: dropping it calls the release function the host handed over.
pub struct JsLock(Function);

impl Drop for JsLock {
    fn drop(&mut self) {
        let _ = self.0.call0(&JsValue::NULL);
    }
}

impl Env for JsEnv {
    type Response = JsValue;
    type Claims = JsValue;
    type Lock = JsLock;

    fn lock(&self) -> Fut<Option<JsLock>> {
        let started = self.host.lock(self.lock_timeout_ms);
        Box::pin(async move {
            let release = async { settle(started?).await }.await.ok()?;
            release.dyn_into::<Function>().ok().map(JsLock)
        })
    }

    fn broadcast(&self, message: authlane_core::env::Broadcast) {
        let _ = self.host.broadcast(&message.text());
    }

    fn now_ms(&self) -> f64 {
        self.host
            .now()
            .ok()
            .and_then(|v| v.as_f64())
            .filter(|n| n.is_finite())
            .unwrap_or_else(js_sys::Date::now)
    }

    fn random(&self) -> f64 {
        self.host
            .random()
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(0.5)
    }

    fn spawn(&self, task: Fut<()>) {
        wasm_bindgen_futures::spawn_local(task);
    }

    fn sleep(&self, ms: f64) -> Fut<()> {
        let promise = self.host.sleep(ms);
        Box::pin(async move {
            if let Ok(p) = promise {
                let _ = settle(p).await;
            }
        })
    }

    fn server_date(&self, response: &JsValue) -> Option<f64> {
        let ms = js_sys::Date::parse(&header(response, "date")?);
        ms.is_finite().then_some(ms)
    }

    fn www_authenticate(&self, response: &JsValue) -> Option<String> {
        header(response, "www-authenticate")
    }

    fn cancel_refresh(&self) {
        let _ = self.host.cancel_refresh();
    }

    fn call_refresh(&self, refresh_token: Option<String>) -> Fut<Attempt> {
        let oauth2 = self.oauth2;
        let started = self.host.call_refresh(
            &text_or_null(refresh_token.as_deref()),
            &text_or_null(self.refresh_url.as_deref()),
            self.refresh_timeout_ms,
        );
        Box::pin(async move {
            match async { settle(started?).await }.await {
                Ok(result) => classify_refresh(result, oauth2),
                Err(thrown) => classify_thrown(thrown),
            }
        })
    }

    fn revoke(&self, token: Option<String>, hint: &'static str) -> Fut<bool> {
        let started = self.host.revoke(
            &text_or_null(token.as_deref()),
            hint,
            &text_or_null(self.revoke_url.as_deref()),
            self.refresh_timeout_ms,
        );
        Box::pin(
            async move { matches!(async { settle(started?).await }.await, Ok(v) if v.is_truthy()) },
        )
    }

    fn inspect(&self, access_token: &str) -> TokenInfo<JsValue> {
        match parse_part(access_token, Part::Payload) {
            Ok(claims) if claims.is_object() => TokenInfo {
                expires_at: number(&claims, "exp").map(|s| s * 1_000.0),
                issued_at: number(&claims, "iat").map(|s| s * 1_000.0),
                claims: Some(claims),
            },
            _ => TokenInfo::default(),
        }
    }

    fn load(&self, slot: Slot) -> Fut<Result<Stored, Error>> {
        let started = self.host.load(slot_name(slot));
        Box::pin(async move {
            let value = async { settle(started?).await }
                .await
                .map_err(|e| storage_error(slot, "read", e))?;
            Ok(if value.is_null() || value.is_undefined() {
                Stored::Missing
            } else if let Some(text) = value.as_string() {
                Stored::Text(text)
            } else {
                Stored::NotText
            })
        })
    }

    fn store(&self, slot: Slot, value: String) -> Fut<Result<(), Error>> {
        let started = self.host.store(slot_name(slot), &value);
        Box::pin(async move {
            async { settle(started?).await }
                .await
                .map(drop)
                .map_err(|e| storage_error(slot, "write", e))
        })
    }

    fn remove(&self, slot: Slot) -> Fut<Result<(), Error>> {
        let started = self.host.remove(slot_name(slot));
        Box::pin(async move {
            async { settle(started?).await }
                .await
                .map(drop)
                .map_err(|e| storage_error(slot, "remove", e))
        })
    }

    fn dispatch(&self, action: Action<JsValue>) {
        let _ = self.host.dispatch(&action_to_js(action));
    }
}
