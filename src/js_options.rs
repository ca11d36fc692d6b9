//! `createAuthClient`'s options as JS hands them over: [`Value`] for `JsValue`, and the facts
//! about the JS environment the option rules need. The rules are in `options.rs`.

use js_sys::{Array, Function};
use wasm_bindgen::prelude::*;

use authlane_core::config::Config;
use authlane_core::error::Error;
use authlane_core::options::{parse, Environment, HostSettings, Value};

#[wasm_bindgen]
extern "C" {
    /// `globalThis` itself. `js_sys::global()` looks at `window` first, and jsdom-like test
    /// setups and SSR shims define a `window` without `fetch`.
    #[wasm_bindgen(thread_local_v2, js_name = globalThis)]
    static GLOBAL_THIS: JsValue;
}

/// An option value as JS handed it over.
struct Js(JsValue);

impl Value for Js {
    fn get(&self, key: &str) -> Self {
        Js(crate::js_env::get(&self.0, key))
    }
    fn present(&self) -> bool {
        !self.0.is_undefined() && !self.0.is_null()
    }
    fn is_object(&self) -> bool {
        self.0.is_object()
    }
    fn is_function(&self) -> bool {
        self.0.is_function()
    }
    fn as_string(&self) -> Option<String> {
        self.0.as_string()
    }
    fn as_f64(&self) -> Option<f64> {
        self.0.as_f64()
    }
    fn as_bool(&self) -> Option<bool> {
        self.0.as_bool()
    }
    fn items(&self) -> Option<Vec<Self>> {
        Array::is_array(&self.0).then(|| Array::from(&self.0).iter().map(Js).collect())
    }
}

/// Validates `options` as `createAuthClient` got them; `document_url` is the page's URL.
pub fn parse_js(
    options: JsValue,
    document_url: Option<String>,
) -> Result<(Config, HostSettings), Error> {
    let global = |key: &str| GLOBAL_THIS.with(|g| crate::js_env::get(g, key));
    let env = Environment {
        document_url,
        global_fetch: global("fetch").is_instance_of::<Function>(),
        web_locks: crate::js_env::get(&global("navigator"), "locks").is_object(),
    };
    parse(&Js(options), env)
}
