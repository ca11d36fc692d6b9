//! `verifyJwt` for authlane, in its own wasm module: jsonwebtoken and its pure-Rust crypto cost
//! about 250 KB gzip, so the client's module never carries them; the JS shell loads this one on
//! the first `verifyJwt` call.
#![deny(missing_docs)]

pub mod verify;

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use verify::{algorithm, verify, Failure, Key, Options};

fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn present(v: &JsValue) -> bool {
    !v.is_undefined() && !v.is_null()
}

/// `{ code, message, reason? }`, which the JS shell turns into an `AuthlaneError`.
fn failure(f: Failure) -> JsValue {
    let (code, message, reason) = match f {
        Failure::Malformed(m) => ("INVALID_TOKEN", format!("verifyJwt: {m}"), None),
        Failure::Config(m) => ("INVALID_CONFIG", format!("verifyJwt: options.{m}"), None),
        Failure::Rejected(r) => (
            "SIGNATURE_INVALID",
            format!("verifyJwt: the token failed the {r} check"),
            Some(r),
        ),
    };
    let out = Object::new();
    let _ = Reflect::set(&out, &"code".into(), &code.into());
    let _ = Reflect::set(&out, &"message".into(), &message.into());
    if let Some(r) = reason {
        let _ = Reflect::set(&out, &"reason".into(), &r.into());
    }
    out.into()
}

fn strings(v: &JsValue, what: &'static str) -> Result<Vec<String>, Failure> {
    if !present(v) {
        return Ok(Vec::new());
    }
    if let Some(s) = v.as_string() {
        return Ok(vec![s]);
    }
    let array = v.dyn_ref::<Array>().ok_or(Failure::Config(what))?;
    array
        .iter()
        .map(|x| x.as_string().ok_or(Failure::Config(what)))
        .collect()
}

fn parse_key(v: &JsValue) -> Result<Key, Failure> {
    if let Some(secret) = v.as_string() {
        return Ok(Key::Secret(secret.into_bytes()));
    }
    if let Some(bytes) = v.dyn_ref::<Uint8Array>() {
        return Ok(Key::Secret(bytes.to_vec()));
    }
    if !v.is_object() {
        return Err(Failure::Config(
            "key must be a secret string, a Uint8Array, a JWK or a JWKS",
        ));
    }
    let json: String = js_sys::JSON::stringify(v)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or(Failure::Config("key must be JSON"))?;
    if present(&get(v, "keys")) {
        serde_json::from_str(&json)
            .map(Key::Set)
            .map_err(|_| Failure::Config("key is not a valid JWKS"))
    } else {
        serde_json::from_str(&json)
            .map(|k| Key::Jwk(Box::new(k)))
            .map_err(|_| Failure::Config("key is not a valid JWK"))
    }
}

fn parse_options(options: &JsValue) -> Result<Options, Failure> {
    if !options.is_object() {
        return Err(Failure::Config("options must be { key, algorithms }"));
    }
    let algorithms = get(options, "algorithms")
        .dyn_into::<Array>()
        .ok()
        .map(|a| a.iter().map(|x| x.as_string().and_then(|s| algorithm(&s))).collect::<Option<Vec<_>>>())
        .unwrap_or(None)
        .filter(|list| !list.is_empty())
        .ok_or(Failure::Config(
            "algorithms must be a non-empty array of HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA",
        ))?;
    let leeway = match get(options, "leewaySeconds") {
        v if !present(&v) => 0,
        v => v
            .as_f64()
            .filter(|n| n.is_finite() && *n >= 0.0)
            .ok_or(Failure::Config("leewaySeconds must be a number >= 0"))? as u64,
    };
    Ok(Options {
        key: parse_key(&get(options, "key"))?,
        algorithms,
        issuer: strings(
            &get(options, "issuer"),
            "issuer must be a string or an array of strings",
        )?,
        audience: strings(
            &get(options, "audience"),
            "audience must be a string or an array of strings",
        )?,
        leeway,
    })
}

/// Checks the signature and standard claims; returns the payload or throws
/// `{ code, message, reason }`.
///
/// ```js
/// verifyJwt(token, { key: jwks, algorithms: ['RS256'], issuer: 'https://id.example.com' })
/// ```
#[wasm_bindgen(js_name = verifyJwt)]
pub fn verify_jwt(token: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let token = token
        .as_string()
        .ok_or_else(|| failure(Failure::Malformed("the token must be a string")))?;
    let options = parse_options(&options).map_err(failure)?;
    let now = (js_sys::Date::now() / 1000.0) as u64;
    let payload = verify(&token, &options, now).map_err(failure)?;
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    serde::Serialize::serialize(&payload, &serializer)
        .map_err(|_| failure(Failure::Malformed("the payload could not be read")))
}
