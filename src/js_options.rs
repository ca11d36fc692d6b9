//! `createAuthClient`'s options as JS hands them over: [`Value`] for `JsValue`, and the facts
//! about the JS environment the option rules need. The rules are in `options.rs`.

use js_sys::{Array, Function};
use wasm_bindgen::prelude::*;

use crate::config::Config;
use crate::error::Error;
use crate::options::{parse, Environment, HostSettings, Value};

#[wasm_bindgen]
extern "C" {
    /// `globalThis` itself. `js_sys::global()` looks at `window` first, and jsdom-like test
    /// setups and SSR shims define a `window` without `fetch`.
    #[wasm_bindgen(thread_local_v2, js_name = globalThis)]
    static GLOBAL_THIS: JsValue;
}

impl Value for JsValue {
    fn get(&self, key: &str) -> Self {
        crate::js_env::get(self, key)
    }
    fn present(&self) -> bool {
        !self.is_undefined() && !self.is_null()
    }
    fn is_object(&self) -> bool {
        JsValue::is_object(self)
    }
    fn is_function(&self) -> bool {
        JsValue::is_function(self)
    }
    fn as_string(&self) -> Option<String> {
        JsValue::as_string(self)
    }
    fn as_f64(&self) -> Option<f64> {
        JsValue::as_f64(self)
    }
    fn as_bool(&self) -> Option<bool> {
        JsValue::as_bool(self)
    }
    fn items(&self) -> Option<Vec<Self>> {
        Array::is_array(self).then(|| Array::from(self).iter().collect())
    }
}

/// Validates `options` as `createAuthClient` got them; `document_url` is the page's URL.
pub fn parse_js(
    options: &JsValue,
    document_url: Option<String>,
) -> Result<(Config, HostSettings), Error> {
    let global = |key: &str| GLOBAL_THIS.with(|g| Value::get(g, key));
    let env = Environment {
        document_url,
        global_fetch: global("fetch").is_instance_of::<Function>(),
        web_locks: Value::get(&global("navigator"), "locks").is_object(),
    };
    parse(options, env)
}
