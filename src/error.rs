//! The one error type of authlane, and the only place where it meets JavaScript.
//!
//! Rust code returns [`Error`]; at the boundary [`Error::into_js`] turns it into the JS shell's
//! `AuthlaneError` through the factory the shell registers at load time (`setErrorFactory`), so
//! every error a user sees has the same class, a stable `code` and, where there is one, a `cause`.

use std::cell::RefCell;
use std::fmt;

use wasm_bindgen::prelude::*;

/// The stable error codes of API.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// A bad option.
    InvalidConfig,
    /// `decodeJwt` got a malformed token.
    InvalidToken,
    /// The session is over; tokens were removed.
    SessionExpired,
    /// Transient refresh failure; tokens kept.
    RefreshFailed,
    /// The refresh answered 2xx without a usable token.
    BadRefreshResponse,
    /// The request was held when `logout()` or `dispose()` ran.
    LoggedOut,
    /// An attempt took longer than its timeout.
    Timeout,
    /// The request could not be sent.
    NetworkError,
    /// A storage callback threw or rejected.
    StorageError,
    /// A request to be sent again had a one-shot body.
    BodyNotReplayable,
    /// A value JS threw that authlane passes on unchanged (an `AbortError`, a listener's error).
    Thrown,
}

impl Code {
    /// The code as JS sees it, e.g. `"SESSION_EXPIRED"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidConfig => "INVALID_CONFIG",
            Code::InvalidToken => "INVALID_TOKEN",
            Code::SessionExpired => "SESSION_EXPIRED",
            Code::RefreshFailed => "REFRESH_FAILED",
            Code::BadRefreshResponse => "BAD_REFRESH_RESPONSE",
            Code::LoggedOut => "LOGGED_OUT",
            Code::Timeout => "TIMEOUT",
            Code::NetworkError => "NETWORK_ERROR",
            Code::StorageError => "STORAGE_ERROR",
            Code::BodyNotReplayable => "BODY_NOT_REPLAYABLE",
            Code::Thrown => "THROWN",
        }
    }

    /// The code named by `s`, if it is one of ours.
    pub fn parse(s: &str) -> Option<Code> {
        [
            Code::InvalidConfig,
            Code::InvalidToken,
            Code::SessionExpired,
            Code::RefreshFailed,
            Code::BadRefreshResponse,
            Code::LoggedOut,
            Code::Timeout,
            Code::NetworkError,
            Code::StorageError,
            Code::BodyNotReplayable,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// An authlane error: a code, a message that says what to do, and optionally the JS error behind it.
///
/// ```
/// use authlane::error::{Code, Error};
/// let e = Error::new(Code::InvalidToken, "missing part #2");
/// assert_eq!(e.code(), Code::InvalidToken);
/// ```
#[derive(Clone, Debug)]
pub struct Error {
    code: Code,
    message: String,
    cause: Option<Cause>,
    /// An error that came from JS as it is: handed back unchanged.
    original: Option<JsValue>,
}

#[derive(Clone, Debug)]
enum Cause {
    Js(JsValue),
    Inner(Box<Error>),
}

impl Error {
    /// An error with no cause.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
            cause: None,
            original: None,
        }
    }

    /// An error caused by a value JS threw or rejected with.
    pub fn with_cause(code: Code, message: impl Into<String>, cause: JsValue) -> Self {
        Error {
            code,
            message: message.into(),
            cause: Some(Cause::Js(cause)),
            original: None,
        }
    }

    /// The code of the error this one wraps, when it wraps one of ours.
    pub fn cause_code(&self) -> Option<Code> {
        match &self.cause {
            Some(Cause::Inner(inner)) => Some(inner.code),
            _ => None,
        }
    }

    /// This error, caused by `inner` (its JS value becomes `cause`).
    pub fn caused_by(mut self, inner: Error) -> Self {
        self.cause = Some(Cause::Inner(Box::new(inner)));
        self
    }

    /// A value JS threw or rejected with: an AuthlaneError keeps its code; anything else (an
    /// `AbortError`, a `TypeError`) is passed on unchanged with code [`Code::Thrown`].
    pub fn from_js(value: JsValue) -> Self {
        let field = |k: &str| {
            js_sys::Reflect::get(&value, &JsValue::from_str(k))
                .ok()
                .and_then(|v| v.as_string())
        };
        let (code, message) =
            if value.is_object() && field("name").as_deref() == Some("AuthlaneError") {
                (
                    field("code")
                        .as_deref()
                        .and_then(Code::parse)
                        .unwrap_or(Code::Thrown),
                    field("message").unwrap_or_default(),
                )
            } else {
                (Code::Thrown, field("message").unwrap_or_default())
            };
        Error {
            code,
            message,
            cause: None,
            original: Some(value),
        }
    }

    /// The stable code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// The message (never holds a token).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Turns the error into the JS shell's `AuthlaneError`; a plain `Error` with a `code` property
    /// if the shell registered no factory (only in this crate's own wasm tests).
    pub fn into_js(self) -> JsValue {
        if let Some(original) = self.original {
            return original;
        }
        let factory = FACTORY.with(|f| f.borrow().clone());
        let code = JsValue::from_str(self.code.as_str());
        let message = JsValue::from_str(&self.message);
        let cause = match self.cause {
            Some(Cause::Js(v)) => v,
            Some(Cause::Inner(e)) => e.into_js(),
            None => JsValue::UNDEFINED,
        };
        if let Some(factory) = factory {
            if let Ok(err) = factory.call3(&JsValue::NULL, &code, &message, &cause) {
                return err;
            }
        }
        let err = js_sys::Error::new(&self.message);
        let _ = js_sys::Reflect::set(&err, &JsValue::from_str("code"), &code);
        err.into()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl From<Error> for JsValue {
    fn from(e: Error) -> JsValue {
        e.into_js()
    }
}

thread_local! {
    static FACTORY: RefCell<Option<js_sys::Function>> = const { RefCell::new(None) };
}

/// Registers `(code, message, cause) => AuthlaneError`; the JS shell calls it once after loading.
#[wasm_bindgen(js_name = setErrorFactory)]
pub fn set_error_factory(factory: js_sys::Function) {
    FACTORY.with(|f| *f.borrow_mut() = Some(factory));
}
