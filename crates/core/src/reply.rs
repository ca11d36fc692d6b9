//! What a refresh call's result means (API.md, "Outcomes of a refresh"): new tokens, a definitive
//! end of the session, a configuration error, a transient failure or an unusable answer. Pure
//! rules over what the shell reported ([`Reply`]).

use crate::action::Answered;
use crate::error::{cat, decimal, Code, Error, Host};
use crate::input::Reply;
use crate::json::Json;
use crate::policy::{refresh_status, usable_token, RefreshStatus};

/// A token set from a refresh or a login.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TokenSet {
    /// The new access token.
    pub access: String,
    /// A new refresh token (rotation), or `None` to keep the old one.
    pub refresh: Option<String>,
    /// `expiresIn`, seconds, for tokens that are not JWTs.
    pub expires_in: Option<f64>,
    /// `token_type` / `tokenType`: `Some(true)` for `DPoP` (the access token is bound to the key),
    /// `Some(false)` for another type, `None` when it is not said.
    pub dpop: Option<bool>,
}

/// One refresh call's result, classified.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// New tokens, with the server's `Date` (ms) when the response had one.
    Tokens(TokenSet, Option<f64>),
    /// The refresh token was refused (400/401/403, with OAuth 2.0 `invalid_grant` only; `null`
    /// from the function).
    Definitive(Error, Answered),
    /// OAuth 2.0: any other `error` in a 4xx (`invalid_client`, ...): a configuration mistake.
    /// The tokens are kept and it is not retried.
    Misconfigured(Error, Answered),
    /// Network error, timeout, 5xx, 429.
    Transient {
        /// Why.
        error: Error,
        /// `Retry-After`, ms.
        retry_after_ms: Option<f64>,
        /// What the endpoint answered.
        answered: Answered,
        /// The call may have reached the server (a timeout, a network error) and rotated the
        /// refresh token before its answer was lost.
        maybe_reached: bool,
    },
    /// A 2xx without a usable access token.
    Unusable(Error, Answered),
}

/// A token set from a JSON value: the access token under `accessToken`, `access_token`,
/// `authToken` or `token`, a refresh token under `refreshToken` or `refresh_token`, `expiresIn` /
/// `expires_in` in seconds, as a number or a numeric string (Firebase sends `"3600"`). The error
/// says what is wrong, never the value.
///
/// ```
/// use authlane_core::{json::Json, reply::token_set};
/// let v = Json::parse(r#"{"access_token":"a.b.c","expires_in":"3600"}"#).unwrap();
/// let set = token_set(&v).unwrap();
/// assert_eq!((set.access.as_str(), set.expires_in), ("a.b.c", Some(3600.0)));
/// ```
pub fn token_set(value: &Json) -> Result<TokenSet, &'static str> {
    if value.members().is_none() {
        return Err("was not a JSON object");
    }
    let text = |keys: &[&str]| keys.iter().find_map(|k| value.get(k).and_then(Json::str));
    let access = text(&["accessToken", "access_token", "authToken", "token"])
        .ok_or("had no access token (accessToken, access_token, authToken or token)")?;
    if !usable_token(access) {
        return Err(
            "had an access token that is empty or holds whitespace or non-ASCII characters",
        );
    }
    let refresh = match text(&["refreshToken", "refresh_token"]) {
        Some(r) if usable_token(r) => Some(r.to_string()),
        Some(_) => {
            return Err(
                "had a refresh token that is empty or holds whitespace or non-ASCII characters",
            )
        }
        None => None,
    };
    let seconds = |k: &str| match value.get(k)? {
        Json::Num(n) => Some(*n),
        Json::Str(t) => Json::parse(t.trim()).ok()?.num(),
        _ => None,
    };
    let expires_in = seconds("expiresIn")
        .or_else(|| seconds("expires_in"))
        .filter(|s| *s > 0.0 && s.is_finite());
    let dpop = match cfg!(feature = "dpop") {
        true => text(&["token_type", "tokenType"]).map(|t| crate::dpop::bound_type(Some(t))),
        false => None,
    };
    Ok(TokenSet {
        access: access.to_string(),
        refresh,
        expires_in,
        dpop,
    })
}

/// A token set from JSON text (a refresh function's result, `login()`'s argument).
pub fn token_set_text(text: &str) -> Result<TokenSet, &'static str> {
    match Json::parse(text) {
        Ok(v) => token_set(&v),
        Err(_) => Err("was not a JSON object"),
    }
}

/// An OAuth 2.0 error code: RFC 6749's charset, restricted further to `[A-Za-z0-9_.-]`, at most
/// 64 bytes. Anything else is not echoed into messages and actions.
pub fn is_error_code(e: &str) -> bool {
    !e.is_empty()
        && e.len() <= 64
        && e.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

/// Classifies a refresh call's result (`oauth2`: the endpoint speaks RFC 6749).
pub fn classify(reply: Reply<'_>, oauth2: bool) -> Outcome {
    let (status, body, date, retry_after_ms) = match reply {
        Reply::Function(None) => {
            return Outcome::Definitive(
                Error::new(Code::SessionExpired, "the refresh function returned null"),
                Answered::default(),
            )
        }
        Reply::Function(Some(text)) => {
            return tokens_from(token_set_text(text), None, Answered::default())
        }
        Reply::Threw { status, timeout } => return thrown(status, timeout),
        Reply::Http {
            status,
            body,
            date,
            retry_after_ms,
            ..
        } => (status, body, date, retry_after_ms),
    };
    let parsed = body.and_then(|b| Json::parse(b).ok());
    let oauth_error = match (400..500).contains(&status) {
        true => parsed
            .as_ref()
            .and_then(|b| b.get("error"))
            .and_then(Json::str)
            .filter(|e| is_error_code(e))
            .map(str::to_string),
        false => None,
    };
    let said = match &oauth_error {
        Some(e) => cat(&["HTTP ", &decimal(f64::from(status)), " ", e]),
        None => cat(&["HTTP ", &decimal(f64::from(status))]),
    };
    let kind = refresh_status(status, oauth_error.as_deref(), oauth2);
    let answered = Answered {
        status: Some(status),
        oauth_error,
    };
    match kind {
        RefreshStatus::Success => {
            let set = parsed.as_ref().ok_or("was not a JSON object").and_then(token_set);
            tokens_from(set, date, answered)
        }
        RefreshStatus::Definitive => Outcome::Definitive(
            Error::new(
                Code::SessionExpired,
                cat(&["the refresh endpoint answered ", &said]),
            ),
            answered,
        ),
        RefreshStatus::Misconfigured => Outcome::Misconfigured(
            Error::new(
                Code::RefreshFailed,
                cat(&["the token endpoint answered ", &said, ": check the client id, secret, client authentication and parameters (the session was kept)"]),
            ),
            answered,
        ),
        RefreshStatus::Transient => Outcome::Transient {
            error: Error::new(
                Code::RefreshFailed,
                cat(&["the refresh endpoint answered ", &said]),
            ),
            retry_after_ms,
            answered,
            maybe_reached: false,
        },
    }
}

fn tokens_from(
    set: Result<TokenSet, &'static str>,
    date: Option<f64>,
    answered: Answered,
) -> Outcome {
    match set {
        Ok(tokens) => Outcome::Tokens(tokens, date),
        Err(why) => Outcome::Unusable(
            Error::new(
                Code::BadRefreshResponse,
                cat(&["the refresh response ", why]),
            ),
            answered,
        ),
    }
}

/// A refresh call that threw: a `status` of 400, 401 or 403 ends the session (the function
/// reported a refused refresh token); anything else is transient.
fn thrown(status: Option<u16>, timeout: Option<bool>) -> Outcome {
    if let Some(s @ (400 | 401 | 403)) = status {
        return Outcome::Definitive(
            Error::new(
                Code::SessionExpired,
                cat(&["the refresh function threw status ", &decimal(f64::from(s))]),
            )
            .caused_by_host(Host::Call),
            Answered {
                status: Some(s),
                oauth_error: None,
            },
        );
    }
    let what = match timeout {
        Some(true) => "the refresh call timed out (refreshTimeoutMs)",
        Some(false) => "the refresh call could not be sent",
        None => "the refresh call threw",
    };
    Outcome::Transient {
        error: Error::new(Code::RefreshFailed, what).caused_by_host(Host::Call),
        retry_after_ms: None,
        answered: Answered::default(),
        maybe_reached: timeout.is_some(),
    }
}
