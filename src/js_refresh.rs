//! Reads a refresh call's JS result into the plain values `refresh_result` classifies. No rule
//! lives here: only which JS fields are read.

use wasm_bindgen::prelude::*;

use crate::js_env::{get, number, string};
use crate::js_error;
use authlane_core::env::{Answer, Attempt, TokenSet};
use authlane_core::error::{Code, Error};
use authlane_core::refresh_result::{classify, thrown_ends_session, token_set, Field, Reply};

/// A refresh call's result as the host reports it: `{ kind: "fn", value }` from a refresh
/// function, `{ kind: "http", status, body, oauthError, date, retryAfterMs }` from an endpoint.
pub(crate) fn classify_refresh(result: JsValue, oauth2: bool) -> Attempt {
    let reply = if string(&result, "kind").as_deref() == Some("fn") {
        let value = get(&result, "value");
        Reply::Function(
            Some(value)
                .filter(|v| !v.is_null() && !v.is_undefined())
                .map(|v| read_token_set(&v)),
        )
    } else {
        Reply::Http {
            status: number(&result, "status").unwrap_or(0.0) as u16,
            oauth_error: string(&result, "oauthError"),
            date: number(&result, "date"),
            retry_after_ms: number(&result, "retryAfterMs"),
            body: read_token_set(&get(&result, "body")),
        }
    };
    classify(reply, oauth2)
}

/// A token set from a JS object (a refresh response, a refresh function's result, `login()`'s
/// argument); the rules are `refresh_result::token_set`'s.
pub(crate) fn read_token_set(value: &JsValue) -> Result<TokenSet, &'static str> {
    let field = |k: &str| {
        let v = get(value, k);
        match (v.as_string(), v.as_f64()) {
            (Some(t), _) => Field::Text(t),
            (None, Some(n)) if n.is_finite() => Field::Number(n),
            _ => Field::Other,
        }
    };
    // JS parses numeric strings: Rust's float parser would add kilobytes to the module.
    token_set(value.is_object(), field, js_sys::Number::parse_float)
}

/// A refresh call that threw: its `status` decides (`refresh_result::thrown_ends_session`); the
/// thrown value becomes the error's cause.
pub(crate) fn classify_thrown(thrown: JsValue) -> Attempt {
    let status = number(&thrown, "status").map(|s| s as u16);
    if thrown_ends_session(status) {
        let status = status.unwrap_or(0);
        return Attempt::Definitive(
            js_error::with_js_cause(
                Code::SessionExpired,
                format!("the refresh function threw status {status}"),
                thrown,
            ),
            Answer {
                status: Some(status),
                oauth_error: None,
            },
        );
    }
    let inner = js_error::from_js(thrown);
    let what = match inner.code() {
        Code::Timeout => "the refresh call timed out (refreshTimeoutMs)",
        Code::NetworkError => "the refresh call could not be sent",
        _ => "the refresh call threw",
    };
    Attempt::Transient(
        Error::new(Code::RefreshFailed, what).caused_by(inner),
        None,
        Answer::default(),
    )
}
