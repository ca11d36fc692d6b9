//! What a refresh call's JS result means: tokens, a definitive end of the session, a transient
//! failure or an unusable answer. The host reports the result; the decision is made here.

use wasm_bindgen::prelude::*;

use crate::env::{Attempt, TokenSet};
use crate::error::{Code, Error};
use crate::js_env::{get, number, string};
use crate::policy::{refresh_status, usable_token, RefreshStatus};

/// A refresh call's result as the host reports it: `{ kind: "fn", value }` from a refresh
/// function, `{ kind: "http", status, body, date, retryAfterMs }` from an endpoint.
pub(crate) fn classify_refresh(result: JsValue) -> Attempt {
    if string(&result, "kind").as_deref() == Some("fn") {
        let value = get(&result, "value");
        if value.is_null() || value.is_undefined() {
            return Attempt::Definitive(Error::new(
                Code::SessionExpired,
                "the refresh function returned null",
            ));
        }
        return tokens_from(&value, None);
    }
    let status = number(&result, "status").unwrap_or(0.0) as u16;
    let date = number(&result, "date");
    match refresh_status(status) {
        RefreshStatus::Success => tokens_from(&get(&result, "body"), date),
        RefreshStatus::Definitive => Attempt::Definitive(Error::new(
            Code::SessionExpired,
            format!("the refresh endpoint answered HTTP {status}"),
        )),
        RefreshStatus::Transient => Attempt::Transient(
            Error::new(
                Code::RefreshFailed,
                format!("the refresh endpoint answered HTTP {status}"),
            ),
            number(&result, "retryAfterMs"),
        ),
    }
}

/// Reads a token set from a refresh response body or a refresh function's result.
fn tokens_from(body: &JsValue, date: Option<f64>) -> Attempt {
    let first = |keys: &[&str]| keys.iter().find_map(|k| string(body, k));
    let unusable = |why: &str| {
        Attempt::Unusable(Error::new(
            Code::BadRefreshResponse,
            format!("the refresh response {why}"),
        ))
    };
    if !body.is_object() {
        return unusable("was not a JSON object");
    }
    let Some(access) = first(&["accessToken", "access_token", "authToken", "token"]) else {
        return unusable("had no access token (accessToken, access_token, authToken or token)");
    };
    if !usable_token(&access) {
        return unusable(
            "had an access token that is empty or holds whitespace or non-ASCII characters",
        );
    }
    let refresh = match first(&["refreshToken", "refresh_token"]) {
        Some(r) if usable_token(&r) => Some(r),
        Some(_) => {
            return unusable(
                "had a refresh token that is empty or holds whitespace or non-ASCII characters",
            )
        }
        None => None,
    };
    let expires_in = number(body, "expiresIn")
        .or_else(|| number(body, "expires_in"))
        .filter(|s| *s > 0.0);
    Attempt::Tokens(
        TokenSet {
            access,
            refresh,
            expires_in,
        },
        date,
    )
}

/// A refresh call that threw: a `status` of 400/401/403 ends the session, anything else is
/// transient (network error, timeout, a function that failed).
pub(crate) fn classify_thrown(thrown: JsValue) -> Attempt {
    let status = number(&thrown, "status").unwrap_or(0.0) as u16;
    if matches!(status, 400 | 401 | 403) {
        return Attempt::Definitive(Error::with_cause(
            Code::SessionExpired,
            format!("the refresh function threw status {status}"),
            thrown,
        ));
    }
    let inner = Error::from_js(thrown);
    let what = match inner.code() {
        Code::Timeout => "the refresh call timed out (refreshTimeoutMs)",
        Code::NetworkError => "the refresh call could not be sent",
        _ => "the refresh call threw",
    };
    Attempt::Transient(Error::new(Code::RefreshFailed, what).caused_by(inner), None)
}
