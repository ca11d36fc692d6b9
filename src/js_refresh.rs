//! What a refresh call's JS result means: tokens, a definitive end of the session, a
//! configuration error, a transient failure or an unusable answer. The host reports the result;
//! the decision is made here (and in `policy::refresh_status`).

use wasm_bindgen::prelude::*;

use crate::env::{Answer, Attempt, TokenSet};
use crate::error::{Code, Error};
use crate::js_env::{get, number, string};
use crate::policy::{refresh_status, usable_token, RefreshStatus};

/// A refresh call's result as the host reports it: `{ kind: "fn", value }` from a refresh
/// function, `{ kind: "http", status, body, oauthError, date, retryAfterMs }` from an endpoint.
pub(crate) fn classify_refresh(result: JsValue, oauth2: bool) -> Attempt {
    if string(&result, "kind").as_deref() == Some("fn") {
        let value = get(&result, "value");
        if value.is_null() || value.is_undefined() {
            return Attempt::Definitive(
                Error::new(Code::SessionExpired, "the refresh function returned null"),
                Answer::default(),
            );
        }
        return tokens_from(&value, None, Answer::default());
    }
    let status = number(&result, "status").unwrap_or(0.0) as u16;
    let oauth_error = string(&result, "oauthError").filter(|e| is_error_code(e));
    let date = number(&result, "date");
    let said = match &oauth_error {
        Some(e) => format!("HTTP {status} {e}"),
        None => format!("HTTP {status}"),
    };
    let answer = Answer {
        status: Some(status),
        oauth_error: oauth_error.clone(),
    };
    match refresh_status(status, oauth_error.as_deref(), oauth2) {
        RefreshStatus::Success => tokens_from(&get(&result, "body"), date, answer),
        RefreshStatus::Definitive => Attempt::Definitive(
            Error::new(
                Code::SessionExpired,
                format!("the refresh endpoint answered {said}"),
            ),
            answer,
        ),
        RefreshStatus::Misconfigured => Attempt::Misconfigured(
            Error::new(
                Code::RefreshFailed,
                format!("the token endpoint answered {said}: check the client id, secret, client authentication and parameters (the session was kept)"),
            ),
            answer,
        ),
        RefreshStatus::Transient => Attempt::Transient(
            Error::new(
                Code::RefreshFailed,
                format!("the refresh endpoint answered {said}"),
            ),
            number(&result, "retryAfterMs"),
            answer,
        ),
    }
}

/// An OAuth 2.0 error code: RFC 6749's charset (%x20-21 / %x23-5B / %x5D-7E), short. Anything
/// else is not echoed into messages and actions.
fn is_error_code(e: &str) -> bool {
    !e.is_empty()
        && e.len() <= 64
        && e.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

/// A token set from a refresh response, a refresh function's result or `login()`'s argument:
/// the access token under `accessToken`, `access_token`, `authToken` or `token`, a refresh token
/// under `refreshToken` or `refresh_token`, `expiresIn` / `expires_in` in seconds. The error
/// says what is wrong, without the value.
pub(crate) fn read_token_set(value: &JsValue) -> Result<TokenSet, &'static str> {
    let first = |keys: &[&str]| keys.iter().find_map(|k| string(value, k));
    if !value.is_object() {
        return Err("was not a JSON object");
    }
    let access = first(&["accessToken", "access_token", "authToken", "token"])
        .ok_or("had no access token (accessToken, access_token, authToken or token)")?;
    if !usable_token(&access) {
        return Err(
            "had an access token that is empty or holds whitespace or non-ASCII characters",
        );
    }
    let refresh = match first(&["refreshToken", "refresh_token"]) {
        Some(r) if usable_token(&r) => Some(r),
        Some(_) => {
            return Err(
                "had a refresh token that is empty or holds whitespace or non-ASCII characters",
            )
        }
        None => None,
    };
    // Seconds, as a number or a numeric string (Firebase sends "3600").
    let seconds = |k: &str| {
        number(value, k).or_else(|| {
            // JS parses it: Rust's float parser would add kilobytes to the module.
            string(value, k)
                .map(|t| js_sys::Number::parse_float(&t))
                .filter(|n| n.is_finite())
        })
    };
    let expires_in = seconds("expiresIn")
        .or_else(|| seconds("expires_in"))
        .filter(|s| *s > 0.0);
    Ok(TokenSet {
        access,
        refresh,
        expires_in,
    })
}

fn tokens_from(body: &JsValue, date: Option<f64>, answer: Answer) -> Attempt {
    match read_token_set(body) {
        Ok(tokens) => Attempt::Tokens(tokens, date),
        Err(why) => Attempt::Unusable(
            Error::new(
                Code::BadRefreshResponse,
                format!("the refresh response {why}"),
            ),
            answer,
        ),
    }
}

/// A refresh call that threw: a `status` of 400/401/403 ends the session, anything else is
/// transient (network error, timeout, a function that failed).
pub(crate) fn classify_thrown(thrown: JsValue) -> Attempt {
    let status = number(&thrown, "status").unwrap_or(0.0) as u16;
    if matches!(status, 400 | 401 | 403) {
        return Attempt::Definitive(
            Error::with_cause(
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
    let inner = Error::from_js(thrown);
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
