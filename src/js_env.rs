//! The client's surroundings in JS: the host object the JS shell builds (fetch with timeouts,
//! storage, timers, dispatch) behind the [`Env`] trait. Only I/O happens in JS; every decision
//! is made in Rust.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::api::parse_part;
use crate::env::{Action, Attempt, Env, Fut, Slot, Stored, TokenInfo};
use crate::error::{Code, Error};
use crate::js_action::action_to_js;
use crate::js_refresh::{classify_refresh, classify_thrown};
use crate::jwt::Part;
use crate::options::HostSettings;

/// The host's functions, looked up once.
pub struct JsEnv {
    host: JsValue,
    now: Function,
    random: Function,
    sleep: Function,
    send: Function,
    aborted: Function,
    rejects: Option<Function>,
    call_refresh: Function,
    cancel_refresh: Function,
    revoke: Function,
    load: Function,
    store: Function,
    remove: Function,
    dispatch: Function,
    lock: Function,
    broadcast: Function,
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

fn func(host: &JsValue, key: &str) -> Result<Function, Error> {
    get(host, key).dyn_into::<Function>().map_err(|_| {
        Error::new(
            Code::InvalidConfig,
            format!("internal: the host has no {key}()"),
        )
    })
}

/// Awaits a value that may be a promise.
async fn settle(value: JsValue) -> Result<JsValue, JsValue> {
    JsFuture::from(Promise::resolve(&value)).await
}

fn slot_name(slot: Slot) -> JsValue {
    JsValue::from_str(match slot {
        Slot::Access => "access",
        Slot::Refresh => "refresh",
    })
}

fn storage_error(slot: Slot, what: &str, cause: JsValue) -> Error {
    let which = match slot {
        Slot::Access => "access",
        Slot::Refresh => "refresh",
    };
    Error::with_cause(
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
    pub fn new(host: JsValue, settings: &HostSettings) -> Result<Self, Error> {
        Ok(JsEnv {
            now: func(&host, "now")?,
            random: func(&host, "random")?,
            sleep: func(&host, "sleep")?,
            send: func(&host, "send")?,
            aborted: func(&host, "aborted")?,
            rejects: get(&host, "rejects").dyn_into::<Function>().ok(),
            call_refresh: func(&host, "callRefresh")?,
            cancel_refresh: func(&host, "cancelRefresh")?,
            revoke: func(&host, "revoke")?,
            load: func(&host, "load")?,
            store: func(&host, "store")?,
            remove: func(&host, "remove")?,
            dispatch: func(&host, "dispatch")?,
            lock: func(&host, "lock")?,
            broadcast: func(&host, "broadcast")?,
            host,
            header_name: settings.header_name.clone(),
            timeout_ms: settings.timeout_ms,
            refresh_timeout_ms: settings.refresh_timeout_ms,
            refresh_url: settings.refresh_url.clone(),
            lock_timeout_ms: settings.lock_timeout_ms,
            oauth2: settings.oauth2,
            revoke_url: settings.revoke_url.clone(),
        })
    }

    fn call(&self, f: &Function, args: &[JsValue]) -> Result<JsValue, JsValue> {
        let array: js_sys::Array = args.iter().collect();
        f.apply(&self.host, &array)
    }
}

/// A held Web Lock: dropping it calls the release function the host handed over.
pub struct JsLock(Function);

impl Drop for JsLock {
    fn drop(&mut self) {
        let _ = self.0.call0(&JsValue::NULL);
    }
}

impl Env for JsEnv {
    type Request = JsValue;
    type Response = JsValue;
    type Claims = JsValue;
    type Lock = JsLock;

    fn lock(&self) -> Fut<Option<JsLock>> {
        let started = self.call(&self.lock, &[JsValue::from_f64(self.lock_timeout_ms)]);
        Box::pin(async move {
            let release = async { settle(started?).await }.await.ok()?;
            release.dyn_into::<Function>().ok().map(JsLock)
        })
    }

    fn broadcast(&self, message: crate::env::Broadcast) {
        let _ = self.call(&self.broadcast, &[JsValue::from_str(message.as_str())]);
    }

    fn now_ms(&self) -> f64 {
        self.call(&self.now, &[])
            .ok()
            .and_then(|v| v.as_f64())
            .filter(|n| n.is_finite())
            .unwrap_or_else(js_sys::Date::now)
    }

    fn random(&self) -> f64 {
        self.call(&self.random, &[])
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(0.5)
    }

    fn spawn(&self, task: Fut<()>) {
        wasm_bindgen_futures::spawn_local(task);
    }

    fn sleep(&self, ms: f64) -> Fut<()> {
        let promise = self.call(&self.sleep, &[JsValue::from_f64(ms)]);
        Box::pin(async move {
            if let Ok(p) = promise {
                let _ = settle(p).await;
            }
        })
    }

    fn url(&self, request: &JsValue) -> String {
        string(request, "url").unwrap_or_default()
    }

    fn response_url(&self, response: &JsValue) -> Option<String> {
        string(response, "url").filter(|u| !u.is_empty())
    }

    fn send(
        &self,
        request: &JsValue,
        authorization: Option<String>,
        attempt: u8,
    ) -> Fut<Result<JsValue, Error>> {
        let args = [
            request.clone(),
            JsValue::from_str(&self.header_name),
            authorization
                .map(|a| JsValue::from_str(&a))
                .unwrap_or(JsValue::NULL),
            JsValue::from_f64(f64::from(attempt)),
            JsValue::from_f64(self.timeout_ms),
        ];
        let started = self.call(&self.send, &args);
        Box::pin(async move {
            async { settle(started?).await }
                .await
                .map_err(Error::from_js)
        })
    }

    fn aborted(&self, request: &JsValue) -> Fut<Error> {
        let promise = self
            .call(&self.aborted, std::slice::from_ref(request))
            .ok()
            .filter(|p| !p.is_null() && !p.is_undefined());
        Box::pin(async move {
            match promise {
                Some(p) => match settle(p).await {
                    Ok(reason) | Err(reason) => Error::from_js(reason),
                },
                None => std::future::pending().await,
            }
        })
    }

    fn status(&self, response: &JsValue) -> u16 {
        number(response, "status").unwrap_or(0.0) as u16
    }

    fn server_date(&self, response: &JsValue) -> Option<f64> {
        let ms = js_sys::Date::parse(&header(response, "date")?);
        ms.is_finite().then_some(ms)
    }

    fn www_authenticate(&self, response: &JsValue) -> Option<String> {
        header(response, "www-authenticate")
    }

    fn rejects(&self, response: &JsValue) -> Option<Fut<bool>> {
        let verdict = self.call(self.rejects.as_ref()?, std::slice::from_ref(response));
        Some(Box::pin(async move {
            match verdict {
                Ok(v) => settle(v).await.map(|v| v.is_truthy()).unwrap_or(false),
                Err(_) => false,
            }
        }))
    }

    fn cancel_refresh(&self) {
        let _ = self.call(&self.cancel_refresh, &[]);
    }

    fn call_refresh(&self, refresh_token: Option<String>) -> Fut<Attempt> {
        let oauth2 = self.oauth2;
        let args = [
            refresh_token
                .as_deref()
                .map(JsValue::from_str)
                .unwrap_or(JsValue::NULL),
            self.refresh_url
                .as_deref()
                .map(JsValue::from_str)
                .unwrap_or(JsValue::NULL),
            JsValue::from_f64(self.refresh_timeout_ms),
        ];
        let started = self.call(&self.call_refresh, &args);
        Box::pin(async move {
            match async { settle(started?).await }.await {
                Ok(result) => classify_refresh(result, oauth2),
                Err(thrown) => classify_thrown(thrown),
            }
        })
    }

    fn revoke(&self, token: Option<String>, hint: &'static str) -> Fut<bool> {
        let token = token.as_deref().map(JsValue::from_str);
        let url = self.revoke_url.as_deref().map(JsValue::from_str);
        let args = [
            token.unwrap_or(JsValue::NULL),
            JsValue::from_str(hint),
            url.unwrap_or(JsValue::NULL),
            JsValue::from_f64(self.refresh_timeout_ms),
        ];
        let started = self.call(&self.revoke, &args);
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
        let started = self.call(&self.load, &[slot_name(slot)]);
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
        let started = self.call(&self.store, &[slot_name(slot), JsValue::from_str(&value)]);
        Box::pin(async move {
            async { settle(started?).await }
                .await
                .map(drop)
                .map_err(|e| storage_error(slot, "write", e))
        })
    }

    fn remove(&self, slot: Slot) -> Fut<Result<(), Error>> {
        let started = self.call(&self.remove, &[slot_name(slot)]);
        Box::pin(async move {
            async { settle(started?).await }
                .await
                .map(drop)
                .map_err(|e| storage_error(slot, "remove", e))
        })
    }

    fn dispatch(&self, action: Action<JsValue>) {
        let _ = self.call(&self.dispatch, &[action_to_js(action)]);
    }
}
