//! The real client core through the real JS engine: a host object as the JS shell builds one
//! (storage a plain JS object, a fake auth server behind `send` and `callRefresh` that judges
//! JWTs by their `exp`), the wasm module's own promises, an abort signal. Requests go as
//! js/client.js sends them: `ready`, then send and `onResponse` (and `afterRejection`), or wait
//! and ask again.

use std::rc::Rc;

use authlane::client::ClientCore;
use js_sys::{Array, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen(inline_js = r#"
const b64 = (o) => btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
const jwt = (exp) => `${b64({ alg: 'none' })}.${b64({ sub: 'u', iat: exp - 300, exp })}.x`;
const now = () => Math.floor(Date.now() / 1000);
export function world() {
  const w = { refreshCalls: 0, sent: [], storage: new Map(), actions: [], valid: new Set(), refresh: 'r0', refreshDelay: 0 };
  const access = jwt(now() - 100);
  w.storage.set('access', access);
  w.storage.set('refresh', 'r0');
  const answer = (status) => ({ status, url: '', headers: { get: () => null } });
  const after = (ms, value) => new Promise((resolve) => setTimeout(() => resolve(value), ms));
  w.host = {
    now: () => Date.now(),
    random: () => 0.5,
    sleep: (ms) => after(ms),
    send(prepared, name, value) {
      w.sent.push(value);
      const token = value && value.slice('Bearer '.length);
      return after(1, answer(w.valid.has(token) ? 200 : 401));
    },
    aborted(prepared) {
      const { signal } = prepared;
      if (!signal) return null;
      const reason = () => { const e = new Error('aborted'); e.name = 'AbortError'; return e; };
      if (signal.aborted) return Promise.resolve(reason());
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve(reason())));
    },
    callRefresh(token) {
      w.refreshCalls++;
      if (token !== w.refresh) return after(1, { kind: 'http', status: 401 });
      const accessToken = jwt(now() + 900);
      w.valid.add(accessToken);
      w.refresh = 'r' + w.refreshCalls;
      return after(w.refreshDelay, { kind: 'http', status: 200, body: { accessToken, refreshToken: w.refresh } });
    },
    cancelRefresh() {},
    revoke: async () => true,
    load: (slot) => w.storage.get(slot) ?? null,
    store: (slot, value) => { w.storage.set(slot, value); },
    remove: (slot) => { w.storage.delete(slot); },
    dispatch: (action) => w.actions.push(action.type),
    lock: () => null,
    broadcast() {},
  };
  w.options = { baseUrl: 'https://api.test', refresh: { url: '/refresh' }, fetch: () => null, crossTab: false };
  return w;
}
export function request(path, signal) {
  return { url: 'https://api.test' + path, signal };
}
export function abortController() {
  return new AbortController();
}
export function send(host, prepared, header) {
  return host.send(prepared, 'Authorization', header, 0, 0);
}
export function waitFor(host, prepared, ready) {
  const abort = host.aborted(prepared);
  return abort === null ? ready : Promise.race([ready, abort.then((reason) => Promise.reject(reason))]);
}
"#)]
extern "C" {
    fn world() -> JsValue;
    fn request(path: &str, signal: JsValue) -> JsValue;
    #[wasm_bindgen(js_name = abortController)]
    fn abort_controller() -> web_sys::AbortController;
    fn send(host: &JsValue, prepared: &JsValue, header: JsValue) -> Promise;
    #[wasm_bindgen(js_name = waitFor)]
    fn wait_for(host: &JsValue, prepared: &JsValue, ready: Promise) -> Promise;
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

async fn settle(p: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(p).await
}

async fn client(w: &JsValue) -> Rc<ClientCore> {
    let core = ClientCore::new(get(w, "options"), get(w, "host"), None).unwrap();
    settle(core.start()).await.unwrap();
    Rc::new(core)
}

/// `client.fetch` as js/client.js runs it over the core's exports: ask `ready`, send (then
/// `onResponse`, and `afterRejection` for a rejection) or wait for what it names (the request's
/// signal ends the wait) and ask again. The world has no `refreshOn` predicate.
fn fetch(core: &Rc<ClientCore>, w: &JsValue, prepared: JsValue) -> Promise {
    let (core, host) = (Rc::clone(core), get(w, "host"));
    future_to_promise(async move {
        let url = get(&prepared, "url").as_string().unwrap();
        let mut step = 0;
        loop {
            let ready = core.ready(&url, true, step);
            if ready.as_bool() == Some(false) {
                return settle(send(&host, &prepared, JsValue::NULL)).await;
            }
            let next = if ready.is_null() || ready.is_string() {
                let generation = ready.is_string().then(|| core.generation());
                let failures = core.failures();
                let response = settle(send(&host, &prepared, ready)).await?;
                let status = get(&response, "status").as_f64().unwrap();
                let rejected = core.on_response(&response, status, None, generation) == 1;
                if !rejected {
                    return Ok(response);
                }
                if step == 2 {
                    core.refused(generation.unwrap());
                    return Ok(response);
                }
                step = 2;
                let next = core.after_rejection(&response, generation.unwrap(), failures);
                if next.is_undefined() {
                    return Ok(response);
                }
                if next.is_null() {
                    continue;
                }
                next
            } else {
                ready
            };
            settle(wait_for(&host, &prepared, next.into())).await?;
            if step == 0 {
                step = 1;
            }
        }
    })
}

#[wasm_bindgen_test]
async fn five_requests_through_an_expired_stored_token_make_one_refresh() {
    let w = world();
    let core = client(&w).await;
    let all: Array = (0..5)
        .map(|i| fetch(&core, &w, request(&format!("/x/{i}"), JsValue::UNDEFINED)))
        .collect();
    let responses = settle(Promise::all(&all)).await.unwrap();
    let statuses: Vec<f64> = Array::from(&responses)
        .iter()
        .map(|r| get(&r, "status").as_f64().unwrap())
        .collect();
    assert_eq!(statuses, vec![200.0; 5]);
    assert_eq!(get(&w, "refreshCalls").as_f64(), Some(1.0));
    assert_eq!(
        Array::from(&get(&w, "sent")).length(),
        5,
        "the expired token never went out"
    );
    let storage = get(&w, "storage");
    let stored = |k: &str| {
        let m: js_sys::Map = storage.clone().into();
        m.get(&k.into()).as_string()
    };
    assert_eq!(
        stored("refresh").as_deref(),
        Some("r1"),
        "the rotated refresh token is stored"
    );
    core.dispose();
}

#[wasm_bindgen_test]
async fn an_aborted_request_rejects_alone_and_the_shared_refresh_goes_on() {
    let w = world();
    Reflect::set(&w, &"refreshDelay".into(), &JsValue::from_f64(30.0)).unwrap();
    let core = client(&w).await;
    let controller = abort_controller();
    let aborted = fetch(&core, &w, request("/a", controller.signal().into()));
    let other = fetch(&core, &w, request("/b", JsValue::UNDEFINED));
    controller.abort();
    let error = settle(aborted).await.unwrap_err();
    assert_eq!(
        get(&error, "name").as_string().as_deref(),
        Some("AbortError")
    );
    let response = settle(other).await.unwrap();
    assert_eq!(get(&response, "status").as_f64(), Some(200.0));
    assert_eq!(get(&w, "refreshCalls").as_f64(), Some(1.0));
    core.dispose();
}

#[wasm_bindgen_test]
async fn a_refused_refresh_ends_the_session_and_empties_storage() {
    let w = world();
    Reflect::set(&w, &"refresh".into(), &"not-r0".into()).unwrap();
    let core = client(&w).await;
    let error = settle(fetch(&core, &w, request("/x", JsValue::UNDEFINED)))
        .await
        .unwrap_err();
    assert_eq!(
        get(&error, "code").as_string().as_deref(),
        Some("SESSION_EXPIRED")
    );
    let storage: js_sys::Map = get(&w, "storage").into();
    assert_eq!(storage.size(), 0);
    let actions: Vec<String> = Array::from(&get(&w, "actions"))
        .iter()
        .filter_map(|a| a.as_string())
        .collect();
    assert!(
        actions.contains(&"authlane/sessionExpired".to_string()),
        "{actions:?}"
    );
    core.dispose();
}
