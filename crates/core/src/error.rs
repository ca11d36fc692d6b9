//! The one error type of authlane: a stable code, a message that says what to do, and what
//! caused it. The core holds no JS value: a cause that is a value the shell holds (what a send,
//! the refresh call or a storage callback threw) is named by [`Cause::Host`], and the shell
//! attaches that value when it turns the error into an `AuthlaneError`.

use crate::effect::Slot;

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
        }
    }

    /// Every code, in API.md's order.
    pub const ALL: [Code; 10] = [
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

    /// The session is over: sending the request again cannot succeed until a login
    /// (`isSessionError`).
    pub fn ends_session(self) -> bool {
        matches!(self, Code::SessionExpired | Code::LoggedOut)
    }
}

/// A value the shell holds that caused an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host {
    /// What the last refresh call threw or rejected with (its own `AuthlaneError` for a timeout
    /// or a network error).
    Call,
    /// What the storage callback for this slot threw or rejected with.
    Storage(Slot),
    /// The device is offline: the shell's `OfflineError`.
    Offline,
}

/// What an [`Error`] wraps.
#[derive(Clone, Debug, PartialEq)]
pub enum Cause {
    /// One of our own errors.
    Inner(Box<Error>),
    /// A value the shell holds.
    Host(Host),
}

/// An authlane error: a code, a message that says what to do, and optionally what caused it.
///
/// ```
/// use authlane_core::error::{Code, Error};
/// let e = Error::new(Code::InvalidToken, "missing part #2");
/// assert_eq!(e.code(), Code::InvalidToken);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Error {
    code: Code,
    message: String,
    cause: Option<Cause>,
}

impl Error {
    /// An error with no cause.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
            cause: None,
        }
    }

    /// This error, caused by `inner`.
    pub fn caused_by(mut self, inner: Error) -> Self {
        self.cause = Some(Cause::Inner(Box::new(inner)));
        self
    }

    /// This error, caused by a value the shell holds.
    pub fn caused_by_host(mut self, host: Host) -> Self {
        self.cause = Some(Cause::Host(host));
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

    /// The code of the error this one wraps, when it wraps one of ours.
    pub fn cause_code(&self) -> Option<Code> {
        match &self.cause {
            Some(Cause::Inner(inner)) => Some(inner.code),
            _ => None,
        }
    }
}

/// Concatenates `parts`: messages are built from pieces, without `core::fmt` (which costs
/// kilobytes of wasm).
///
/// ```
/// assert_eq!(authlane_core::error::cat(&["a", "b", "c"]), "abc");
/// ```
pub fn cat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        out.push_str(p);
    }
    out
}

/// `n` in decimal (an integer; a fraction is dropped).
pub fn decimal(n: f64) -> String {
    let mut out = String::new();
    if n < 0.0 {
        out.push('-');
    }
    crate::json::write_int(&mut out, n.abs().trunc() as u64);
    out
}
