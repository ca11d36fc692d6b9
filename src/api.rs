//! The `#[wasm_bindgen]` exports that are plain functions. The client's exports live in
//! `client.rs`; the JS shell wraps all of them.

use wasm_bindgen::prelude::*;

use authlane_core::error::Error;
use authlane_core::jwt::{self, Part};

use crate::js_error;

/// Decodes the payload (or with `header: true` the header) of a JWT without validating it.
///
/// ```js
/// decodeJwt(token)                   // { sub: "42", exp: 1700000000, ... }
/// decodeJwt(token, { header: true }) // { alg: "HS256", typ: "JWT" }
/// ```
#[wasm_bindgen(js_name = decodeJwt)]
pub fn decode_jwt(token: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let Some(token) = token.as_string() else {
        return Err(js_error::into_js(jwt::invalid(format_args!(
            "must be a string"
        ))));
    };
    let part = if wants_header(&options) {
        Part::Header
    } else {
        Part::Payload
    };
    parse_part(&token, part).map_err(js_error::into_js)
}

/// The decoded, parsed part; the JSON is parsed by the engine's own `JSON`.
pub fn parse_part(token: &str, part: Part) -> Result<JsValue, Error> {
    let text = jwt::part_text(token, part)?;
    // The engine's message quotes the input; it stays out so no token content reaches a message.
    js_sys::JSON::parse(&text).map_err(|_| {
        let n = if part == Part::Header { 1 } else { 2 };
        jwt::invalid(format_args!("invalid json for part #{n}"))
    })
}

fn wants_header(options: &JsValue) -> bool {
    options.is_object()
        && js_sys::Reflect::get(options, &JsValue::from_str("header"))
            .map(|v| v == JsValue::TRUE)
            .unwrap_or(false)
}
