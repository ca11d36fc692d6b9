//! What a refresh call's result means: tokens, a definitive end of the session, a configuration
//! error, a transient failure or an unusable answer. Pure rules over plain values: the JS binding
//! (`js_refresh.rs`) only reads fields, so every rule here is tested natively.

use crate::env::{Answer, Attempt, TokenSet};
use crate::error::{Code, Error};
use crate::policy::{refresh_status, usable_token, RefreshStatus};

/// One field of a JS object, as the rules need to see it.
#[derive(Clone, Debug, PartialEq)]
pub enum Field {
    /// A string.
    Text(String),
    /// A finite number.
    Number(f64),
    /// Absent, or anything else.
    Other,
}

/// A token set read through `field`: the access token under `accessToken`, `access_token`,
/// `authToken` or `token`, a refresh token under `refreshToken` or `refresh_token`, `expiresIn` /
/// `expires_in` in seconds, as a number or a numeric string (Firebase sends `"3600"`; `parse`
/// reads it, so the wasm needs no float parser). The error says what is wrong, never the value.
///
/// ```
/// use authlane_core::refresh_result::{token_set, Field};
/// let body = |k: &str| match k {
///     "access_token" => Field::Text("a.b.c".into()),
///     "expires_in" => Field::Text("3600".into()),
///     _ => Field::Other,
/// };
/// let set = token_set(true, body, |t| t.parse().unwrap_or(f64::NAN)).unwrap();
/// assert_eq!((set.access.as_str(), set.expires_in), ("a.b.c", Some(3600.0)));
/// ```
pub fn token_set(
    is_object: bool,
    field: impl Fn(&str) -> Field,
    parse: impl Fn(&str) -> f64,
) -> Result<TokenSet, &'static str> {
    if !is_object {
        return Err("was not a JSON object");
    }
    let text = |keys: &[&str]| {
        keys.iter().find_map(|k| match field(k) {
            Field::Text(t) => Some(t),
            _ => None,
        })
    };
    let access = text(&["accessToken", "access_token", "authToken", "token"])
        .ok_or("had no access token (accessToken, access_token, authToken or token)")?;
    if !usable_token(&access) {
        return Err(
            "had an access token that is empty or holds whitespace or non-ASCII characters",
        );
    }
    let refresh = match text(&["refreshToken", "refresh_token"]) {
        Some(r) if usable_token(&r) => Some(r),
        Some(_) => {
            return Err(
                "had a refresh token that is empty or holds whitespace or non-ASCII characters",
            )
        }
        None => None,
    };
    let seconds = |k: &str| match field(k) {
        Field::Number(n) => Some(n),
        Field::Text(t) => Some(parse(&t)).filter(|n| n.is_finite()),
        Field::Other => None,
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

/// A refresh call's result, as the host reports it.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// A refresh function resolved: `None` for `null` or `undefined`, else the token set read
    /// from its value.
    Function(Option<Result<TokenSet, &'static str>>),
    /// A refresh endpoint answered.
    Http {
        /// The HTTP status.
        status: u16,
        /// The body's OAuth 2.0 `error`, if it had a string one.
        oauth_error: Option<String>,
        /// The response's `Date`, ms.
        date: Option<f64>,
        /// `Retry-After`, ms.
        retry_after_ms: Option<f64>,
        /// The token set read from the body (only looked at for a 2xx).
        body: Result<TokenSet, &'static str>,
    },
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
pub fn classify(reply: Reply, oauth2: bool) -> Attempt {
    let (status, oauth_error, date, retry_after_ms, body) = match reply {
        Reply::Function(None) => {
            return Attempt::Definitive(
                Error::new(Code::SessionExpired, "the refresh function returned null"),
                Answer::default(),
            )
        }
        Reply::Function(Some(set)) => return tokens_from(set, None, Answer::default()),
        Reply::Http {
            status,
            oauth_error,
            date,
            retry_after_ms,
            body,
        } => (status, oauth_error, date, retry_after_ms, body),
    };
    let oauth_error = oauth_error.filter(|e| is_error_code(e));
    let said = match &oauth_error {
        Some(e) => format!("HTTP {status} {e}"),
        None => format!("HTTP {status}"),
    };
    let kind = refresh_status(status, oauth_error.as_deref(), oauth2);
    let answer = Answer {
        status: Some(status),
        oauth_error,
    };
    match kind {
        RefreshStatus::Success => tokens_from(body, date, answer),
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
            retry_after_ms,
            answer,
        ),
    }
}

fn tokens_from(set: Result<TokenSet, &'static str>, date: Option<f64>, answer: Answer) -> Attempt {
    match set {
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

/// A refresh call that threw with this `status` property: 400/401/403 end the session (the
/// function reported a refused refresh token); anything else is transient.
pub fn thrown_ends_session(status: Option<u16>) -> bool {
    matches!(status, Some(400 | 401 | 403))
}
