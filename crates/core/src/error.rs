//! The one error type of authlane: a stable code, a message, and what caused it.
//!
//! Rust code returns [`Error`]. Values the host threw or rejected with (a JS `TypeError`, an
//! `AbortError`) travel inside it as opaque [`Foreign`] values, so this crate needs no JS: the
//! binding puts them in and, at the boundary, turns the error into the JS shell's `AuthlaneError`
//! (or hands a passed-on value back unchanged).

use std::any::Any;
use std::fmt;
use std::rc::Rc;

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

    /// The codes a user can see, in API.md's order ([`Code::Thrown`] never reaches JS: the
    /// thrown value itself does).
    pub const PUBLIC: [Code; 10] = [
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
    ];

    /// The code named by `s`, if it is one of ours.
    pub fn parse(s: &str) -> Option<Code> {
        Code::PUBLIC.into_iter().find(|c| c.as_str() == s)
    }

    /// The session is over: sending the request again cannot succeed until a login
    /// (`isSessionError`).
    pub fn ends_session(self) -> bool {
        matches!(self, Code::SessionExpired | Code::LoggedOut)
    }
}

/// A value from the host (in the wasm binding, a `JsValue`), carried without being looked at.
pub type Foreign = Rc<dyn Any>;

/// What an [`Error`] wraps.
#[derive(Clone, Debug)]
pub enum Cause {
    /// A value the host threw or rejected with.
    Foreign(Foreign),
    /// One of our own errors.
    Inner(Box<Error>),
}

/// An authlane error: a code, a message that says what to do, and optionally what caused it.
///
/// ```
/// use authlane_core::error::{Code, Error};
/// let e = Error::new(Code::InvalidToken, "missing part #2");
/// assert_eq!(e.code(), Code::InvalidToken);
/// ```
#[derive(Clone, Debug)]
pub struct Error {
    code: Code,
    message: String,
    cause: Option<Cause>,
    /// A value from the host passed on as it is: the binding hands it back unchanged.
    original: Option<Foreign>,
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

    /// An error caused by a value the host threw or rejected with.
    pub fn with_cause(code: Code, message: impl Into<String>, cause: Foreign) -> Self {
        Error {
            code,
            message: message.into(),
            cause: Some(Cause::Foreign(cause)),
            original: None,
        }
    }

    /// A value the host threw, passed on unchanged; `code` and `message` are what the binding
    /// read from it (an `AuthlaneError` keeps its code, anything else is [`Code::Thrown`]).
    pub fn passed_on(code: Code, message: impl Into<String>, original: Foreign) -> Self {
        Error {
            code,
            message: message.into(),
            cause: None,
            original: Some(original),
        }
    }

    /// The code of the error this one wraps, when it wraps one of ours.
    pub fn cause_code(&self) -> Option<Code> {
        match &self.cause {
            Some(Cause::Inner(inner)) => Some(inner.code),
            _ => None,
        }
    }

    /// This error, caused by `inner`.
    pub fn caused_by(mut self, inner: Error) -> Self {
        self.cause = Some(Cause::Inner(Box::new(inner)));
        self
    }

    /// The stable code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// The message (never holds a token).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// What this error wraps.
    pub fn cause(&self) -> Option<&Cause> {
        self.cause.as_ref()
    }

    /// The host's value this error passes on unchanged, if it is one.
    pub fn original(&self) -> Option<&Foreign> {
        self.original.as_ref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}
